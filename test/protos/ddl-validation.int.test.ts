/**
 * Typed inputs, case by case, through MCollective's own code and through mco-rex (issue 26):
 * - MCollective: Debian's mcollective 2.12 in a `ruby` child (support/mco-validate.rb): `mco rpc`'s
 *   key=value split and string_to_ddl_type, and DDL#validate_rpc_request, as client and daemon run it;
 * - mco-rex: the HTTP API of the real app (POST /jobs, 201 or 422) with the real proxy-plugin behind
 *   it, the proxy's own check (validateArguments on the arguments as it parses them), and for
 *   key=value cases the CLI's parsing (splitKeyValue, typeInputText).
 * Both must agree on every case, except the stricter rules docs/USAGE.md lists, which must refuse
 * with their rule named and "stricter than MCollective" in the message.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

import { isLosslessNumber, stringify } from 'lossless-json';

import { splitKeyValue, typeInputText } from '@common/input-typing';
import { INTEGER_LITERAL, parseExact } from '@protos/json-numbers';
import { createDdlRegistry } from '@proxy/actions/ddl-registry';
import { parseAgentDdl } from '@proxy/actions/ddl-registry';
import { parseRubyDdl } from '@proxy/actions/ruby-ddl';
import { resolveAction, validateArguments } from '@proxy/actions/validate-arguments';
import { FLEET_AGENT_DIRECTORY } from '@test/fleet/mcollective/mcollective-fleet';
import { openTestDataSource, type OpenTestDataSource } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from '@test/ui-extension/jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp } from '@test/ui-extension/jobs/support/job-stack';
import type { ProxyClients } from '@server/proxies/proxy-client';

const DDL_FILE = path.join(FLEET_AGENT_DIRECTORY, 'rexcheck.ddl');

interface Case {
  /** `json`: the value as JSON in the API body; `cli`: a `key=value` argument of `rex job run`. */
  mode: 'json' | 'cli';
  input: string;
  text: string;
  /** A documented stricter rule of mco-rex: MCollective accepts, mco-rex refuses naming this rule. */
  stricter?: 'type' | 'regex_newline' | 'unknown_input';
}

const json = (input: string, text: string, stricter?: Case['stricter']): Case => ({ mode: 'json', input, text, stricter });
const cli = (input: string, text: string, stricter?: Case['stricter']): Case => ({ mode: 'cli', input, text, stricter });

const CASES: Case[] = [
  json('count', '5'),
  json('count', '5.0'),
  json('count', '5e0'),
  json('count', '-3'),
  json('count', '"5"'),
  json('count', 'true'),
  json('count', 'null'),
  json('count', '9007199254740993', 'type'),
  json('ratio', '2.5'),
  json('ratio', '2'),
  json('ratio', '2.0'),
  json('ratio', '-0.5'),
  json('ratio', '1e3'),
  json('ratio', '"2.5"'),
  json('amount', '7'),
  json('amount', '7.25'),
  json('amount', '"7"'),
  json('flag', 'true'),
  json('flag', '"true"'),
  json('flag', '1'),
  json('level', '"low"'),
  json('level', '"medium"'),
  json('level', '1'),
  json('text', '"abc 123"'),
  json('text', '"ABC"'),
  json('text', '"abc\\ndef"', 'regex_newline'),
  json('text', '"abc\\nDEF;rm"', 'regex_newline'),
  json('text', '"abcdefghijk"'),
  json('text', '5'),
  json('text', '"caf\u00e9"'),
  json('path', '"/etc/hosts"'),
  json('path', '"/etc/hosts\\n"'),
  json('path', '"a b"'),
  json('line', '"a\\rb"'),
  json('line', '""'),
  json('line', '"x"'),
  json('safe', '"nginx-1.2"'),
  json('safe', '"a;b"'),
  json('safe', '"a && b"'),
  json('address', '"192.168.0.1"'),
  json('address', '"192.168.0.256"'),
  json('address', '"::1"'),
  json('undeclared', '"x"', 'unknown_input'),
  cli('count', 'count=5'),
  cli('count', 'count=-5'),
  cli('count', 'count=0x10'),
  cli('count', 'count=1e3'),
  cli('count', 'count= 5'),
  cli('count', 'count=5.0'),
  cli('ratio', 'ratio=2'),
  cli('ratio', 'ratio=2.50'),
  cli('ratio', 'ratio=007.50'),
  cli('amount', 'amount=12'),
  cli('amount', 'amount=1.5'),
  cli('flag', 'flag=y'),
  cli('flag', 'flag=Yes'),
  cli('flag', 'flag=0'),
  cli('flag', 'flag=maybe'),
  cli('level', 'level=high'),
  cli('text', 'text=a=b'),
  cli('text', 'text='),
  cli('text', '=abc'),
  cli('text', 'text==abc'),
  cli('count', 'count=12345678901234567890', 'type'),
  cli('safe', 'safe=a b'),
  cli('path', 'path=/tmp/x'),
];

interface RubyResult {
  split?: [string, string] | null;
  parse_error?: string;
  parsed?: { kind: string; text: string };
  valid?: boolean;
  error?: string;
}

function runMcollective(cases: Case[]): RubyResult[] {
  const run = spawnSync('ruby', [path.join(__dirname, 'support', 'mco-validate.rb'), DDL_FILE], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`mco-validate.rb failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as RubyResult[];
}

/** The CLI's typed value in the Ruby harness's terms, floats compared by value. */
function typedOf(value: unknown): { kind: string; text: string } {
  if (isLosslessNumber(value)) return INTEGER_LITERAL.test(value.value) ? { kind: 'integer', text: value.value } : { kind: 'float', text: String(Number(value.value)) };
  if (typeof value === 'boolean') return { kind: 'boolean', text: String(value) };
  return { kind: typeof value, text: String(value) };
}

describe('typed inputs: mco-rex against MCollective 2.12', () => {
  const ruby = runMcollective(CASES);
  const ddl = parseAgentDdl(parseRubyDdl(fs.readFileSync(DDL_FILE, 'utf8')), 'ddl_directory');
  const resolved = resolveAction(createDdlRegistry([ddl]), 'rexcheck', 'typed');
  let db: OpenTestDataSource;
  let proxy: TestProxy;
  let clients: ProxyClients;
  let app: JobApp;
  let hostgroupId: number;
  const ddlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-typed-ddl-'));
  const tally = { cases: 0, agree: 0, stricter: 0 };

  beforeAll(async () => {
    fs.copyFileSync(DDL_FILE, path.join(ddlDir, 'rexcheck.ddl'));
    const collective = `rextyped${randomBytes(4).toString('hex')}`;
    proxy = await startTestProxy({ name: 'typed-proxy', natsUrl: 'nats://127.0.0.1:4222', collective, overrides: { 'ddl.directory': ddlDir } });
    clients = createTestProxyClient();
    db = await openTestDataSource('sqlite');
    const seeded = await seedInventory(db.dataSource, {
      hostgroups: ['typed'],
      proxies: [{ name: 'typed-proxy', url: proxy.url, capabilities: ['remote_execution', 'choria'] }],
      hosts: [{ name: 'typed-01.example.com', hostgroup: 'typed', proxy: 'typed-proxy' }],
    });
    hostgroupId = seeded.hostgroupIds.get('typed')!;
    app = await startJobApp({ dataSource: db.dataSource, proxies: clients });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await db?.close();
    clients?.close();
    await proxy?.stop();
    fs.rmSync(ddlDir, { recursive: true, force: true });
    console.log(`typed inputs: ${tally.cases} cases, ${tally.agree} agree with MCollective, ${tally.stricter} refused by a documented stricter rule`);
  });

  async function post(argumentsJson: string): Promise<{ status: number; message: string }> {
    const body = `{"job":{"namespace":"rexcheck","action":"typed","arguments":${argumentsJson},"targeting":{"hostgroup_id":${hostgroupId}},"timeout":1}}`;
    const res = await fetch(`${app.url}/api/v2/remote_execution/jobs`, { method: 'POST', headers: { Authorization: AUTH, 'Content-Type': 'application/json' }, body });
    const answer = (await res.json()) as { error?: { message: string } };
    return { status: res.status, message: answer.error?.message ?? '' };
  }

  /** The proxy's own check, on the arguments as its gRPC handler parses them. */
  function proxyAccepts(argumentsJson: string): boolean {
    try {
      validateArguments(resolved, parseExact(argumentsJson));
      return true;
    } catch {
      return false;
    }
  }

  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES.map((c, i) => [`${c.mode} ${c.input} ${JSON.stringify(c.text)}${c.stricter ? ` (stricter: ${c.stricter})` : ''}`, i] as const))('agrees with MCollective on %s', async (_name, i) => {
    const c = CASES[i];
    const mco = ruby[i];
    tally.cases++;
    let argumentsJson: string;
    if (c.mode === 'json') {
      argumentsJson = `{${JSON.stringify(c.input)}:${c.text}}`;
    } else {
      // The CLI: split and type as `mco rpc` does, or refuse where it refuses.
      const split = splitKeyValue(c.text);
      expect(split ? [split.key, split.value] : null).toEqual(mco.split);
      if (!split) {
        tally.agree++;
        return;
      }
      const typed = typeInputText(resolved.action.inputs.get(split.key)?.type ?? 'string', split.value);
      expect(typed.ok).toBe(mco.parse_error === undefined);
      if (!typed.ok) {
        tally.agree++;
        return;
      }
      expect(typedOf(typed.value)).toEqual(mco.parsed?.kind === 'float' ? { kind: 'float', text: String(Number(mco.parsed.text)) } : mco.parsed);
      argumentsJson = stringify({ [split.key]: typed.value }) as string;
    }
    const api = await post(argumentsJson);
    if (c.stricter) {
      expect(mco.valid).toBe(true);
      expect(api.status).toBe(422);
      expect(api.message).toContain(`rule ${c.stricter}`);
      expect(api.message).toContain('stricter than MCollective');
      expect(proxyAccepts(argumentsJson)).toBe(false);
      tally.stricter++;
      return;
    }
    expect({ status: api.status, message: api.message }).toEqual({ status: mco.valid ? 201 : 422, message: expect.any(String) as string });
    expect(proxyAccepts(argumentsJson)).toBe(mco.valid);
    tally.agree++;
  });
});
