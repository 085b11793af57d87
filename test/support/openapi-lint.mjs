// Lints an OpenAPI document with Redocly's linter (@redocly/openapi-core, the engine of
// `redocly lint`) and its `recommended` ruleset. The package is ESM only, which jest's CommonJS
// runtime cannot load, so tests run this file with node: the document on stdin, the problems out
// as JSON on stdout ([{ ruleId, severity, message, location }]).
import { createConfig, lintFromString } from '@redocly/openapi-core';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const config = await createConfig({ extends: ['recommended'] });
const problems = await lintFromString({ source: Buffer.concat(chunks).toString('utf8'), absoluteRef: 'openapi.json', config });
process.stdout.write(JSON.stringify(problems.map((p) => ({
  ruleId: p.ruleId,
  severity: p.severity,
  message: p.message,
  location: p.location.map((l) => l.pointer).join(' '),
}))));
