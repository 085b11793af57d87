/**
 * The OpenAPI document (GET /api/v2/openapi.json) through a real linter: Redocly's, with its
 * `recommended` ruleset, must find nothing, not even a warning. And each operation documents its
 * success: a response schema (none only for a 204), a description and a tag the document describes.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildOpenApiDocument } from '@server/http/openapi';
import { routeCatalog } from '@server/http/routes/catalog';

interface Problem { ruleId: string; severity: string; message: string; location: string }
type Operation = { operationId: string; description?: string; tags?: string[]; responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }> };

const LINTER = path.resolve(__dirname, '../../support/openapi-lint.mjs');

function lint(document: unknown): Problem[] {
  const run = spawnSync(process.execPath, [LINTER], { input: JSON.stringify(document), encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`the linter failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Problem[];
}

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument(routeCatalog(), { version: '1.2.3' }) as { tags: Array<{ name: string; description: string }>; paths: Record<string, Record<string, Operation>> };
  const operations = Object.values(document.paths).flatMap((ops) => Object.values(ops));

  it('passes Redocly\'s recommended rules with no error and no warning', () => {
    expect(lint(document)).toEqual([]);
  });

  it('finds problems when there are some, so the check above can fail', () => {
    const broken = structuredClone(document) as unknown as { info: Record<string, unknown>; paths: Record<string, Record<string, Record<string, unknown>>> };
    delete broken.info.license;
    delete broken.paths['/api/v2/hosts'].get.responses;
    const found = lint(broken).map((p) => `${p.severity} ${p.ruleId}`);
    expect(found).toEqual(expect.arrayContaining(['warn info-license', 'error struct']));
  });

  it('gives every operation a description, a described tag and a success response with its schema', () => {
    const tags = new Map(document.tags.map((t) => [t.name, t.description]));
    expect(operations.length).toBe(routeCatalog().length);
    for (const op of operations) {
      const success = Object.entries(op.responses).filter(([code]) => code.startsWith('2'));
      expect({ op: op.operationId, successes: success.length, described: (op.description ?? '').length > 40, tagged: op.tags?.length === 1 && (tags.get(op.tags[0]) ?? op.tags[0]) !== op.tags[0] })
        .toEqual({ op: op.operationId, successes: 1, described: true, tagged: true });
      const [code, response] = success[0];
      // JSON answers have their schema; a file (the hosts export) has one per media type it sends.
      const typed = Object.keys(response.content ?? {}).length > 0 && Object.values(response.content ?? {}).every((c) => c.schema !== undefined);
      expect({ op: op.operationId, schema: code === '204' || typed }).toEqual({ op: op.operationId, schema: true });
    }
  });
});
