/**
 * Hostile input to the real server (issue 24): bodies nested to exhaust the stack or the heap,
 * YAML bombs in the inventory import (deep nesting, billion laughs, huge keys), ids written in
 * other bases. Every refusal is a 4xx with the API's JSON error naming the field and the rule,
 * answered in bounded time. (What the public status says when the database goes away is in
 * test/ui-extension/status/status.int.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@server/config';
import { silentLogger } from '@server/logger';
import { startServer, type RunningServer } from '@server/server';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

jest.setTimeout(120_000);

const PASSWORD = 'hostile-input-password';
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

function configFor(database: OpenTestDataSource['database'], dir: string) {
  return loadConfig({
    env: {},
    overrides: {
      'http.port': 0,
      'database.type': database.type,
      'database.url': database.url,
      'database.sqlite_path': database.sqlite_path,
      'admin.password': PASSWORD,
      'admin.password_file': path.join(dir, 'pw'),
      'proxies.sync_interval_s': 0,
      'scheduler.enabled': false,
    },
  });
}

interface Answer {
  status: number;
  /** The first 2,000 characters of the answer. */
  text: string;
  /** The whole answer's length. */
  length: number;
  ms: number;
  error?: { code: string; message: string; details?: { fields?: Array<{ field: string; rule: string }> } };
}

async function send(base: string, method: string, url: string, body?: string, contentType = 'application/json'): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${base}${url}`, { method, headers: { authorization: AUTH, ...(body === undefined ? {} : { 'content-type': contentType }) }, body, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  let error: Answer['error'];
  try {
    error = (JSON.parse(text) as { error?: Answer['error'] }).error;
  } catch {
    error = undefined;
  }
  return { status: res.status, text: text.slice(0, 2000), length: text.length, ms: Date.now() - started, error };
}

const deepJson = (levels: number, inner = '1') => `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;

/** Billion laughs: nine levels of ten aliases each, a billion strings once expanded. */
function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
  }
  lines.push('organizations: *i');
  return `${lines.join('\n')}\n`;
}

describe.each(testDatabases())('hostile input on $kind', (database) => {
  let db: OpenTestDataSource;
  let server: RunningServer;
  let dir: string;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-hostile-'));
    server = await startServer({ config: configFor(db.database, dir), logger: silentLogger(), migrate: false });
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an id written in another base with 400 naming the parameter, where the decimal id answers', async () => {
    await send(server.url, 'GET', '/api/v2/hosts');
    const audits = JSON.parse((await send(server.url, 'GET', '/api/v2/audits?per_page=1')).text) as { results: Array<{ id: number }> };
    const id = audits.results[0].id;
    expect((await send(server.url, 'GET', `/api/v2/audits/${id}`)).status).toBe(200);
    for (const written of [`0x${id.toString(16)}`, `0o${id.toString(8)}`, `0b${id.toString(2)}`, `${id}e0`, `0${id}`, `%20${id}`]) {
      const answer = await send(server.url, 'GET', `/api/v2/audits/${written}`);
      expect({ written, status: answer.status, field: answer.error?.details?.fields?.[0]?.field }).toEqual({ written, status: 400, field: 'id' });
    }
    const cancel = await send(server.url, 'POST', '/api/v2/remote_execution/jobs/0x1/cancel');
    expect(cancel.status).toBe(400);
    expect(cancel.error?.message).toMatch(/^invalid id: id: must be a decimal number/);
  });

  it.each([
    ['5 MB of [', () => deepJson(2_500_000)],
    ['33 levels inside the arguments of a job', () => JSON.stringify({ job: { namespace: 'rpcutil', action: 'ping', arguments: { deep: JSON.parse(deepJson(30)) as unknown }, targeting: { search: 'name = x' } } })],
    ['100,000 levels of objects', () => `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
  ])('refuses a JSON body nested %s with 400 before parsing it', async (_what, body) => {
    const answer = await send(server.url, 'POST', '/api/v2/remote_execution/jobs', body());
    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'request body: nests arrays and objects deeper than 32 levels', details: { fields: [{ field: 'body', rule: 'at most 32 levels deep' }] } });
    expect(answer.ms).toBeLessThan(10_000);
  });

  it('answers a body of one key of 4 MB, or of 200,000 unknown keys, with a refusal of a few kilobytes', async () => {
    const hugeKey = await send(server.url, 'POST', '/api/v2/remote_execution/jobs', JSON.stringify({ job: { [`k${'x'.repeat(4_000_000)}`]: 1 } }));
    expect(hugeKey.status).toBe(422);
    expect(hugeKey.error?.message).toMatch(/^invalid body: unknown field job\.kx{95}… \(/);
    const manyKeys = await send(server.url, 'POST', '/api/v2/roles', JSON.stringify({ role: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i])) }));
    expect(manyKeys.status).toBe(422);
    expect(manyKeys.error?.message).toMatch(/; and 199980 more\)$/);
    // Bounded whatever the input: the first 20 fields, named in the message, in details.fields and in
    // Foreman's errors and full_messages (which its clients print), each name cut at 96 characters.
    for (const answer of [hugeKey, manyKeys]) expect(answer.length).toBeLessThan(8000);
  });

  it.each([
    ["1,000 'not's in a host search", 'GET', `/api/v2/hosts?search=${encodeURIComponent(`${'not '.repeat(1000)}name = x`)}`, undefined, /^search: nests parentheses and 'not' more than 50 levels deep/],
    ["1,100 'or'ed terms in a host search", 'GET', `/api/v2/hosts?search=${encodeURIComponent(Array(1100).fill('x').join(' or '))}`, undefined, /^search: has more than 250 terms/],
    ["1,000 'not's in an audit search", 'GET', `/api/v2/audits?search=${encodeURIComponent(`${'not '.repeat(1000)}user = x`)}`, undefined, /^search: nests parentheses and 'not' more than 50 levels deep/],
  ])('refuses a search with %s with 400 naming the search (500 before)', async (_what, method, url, body, message) => {
    const answer = await send(server.url, method, url, body as string | undefined);
    expect({ status: answer.status, code: answer.error?.code, field: answer.error?.details?.fields?.[0]?.field }).toEqual({ status: 400, code: 'INVALID_ARGUMENT', field: 'search' });
    expect(answer.error?.message).toMatch(message);
  });

  it.each([
    '/api/v2/hosts', '/api/v2/hostgroups', '/api/v2/smart_proxies', '/api/v2/users', '/api/v2/roles', '/api/v2/filters', '/api/v2/audits',
    '/api/v2/remote_execution/jobs', '/api/v2/remote_execution/actions', '/api/v2/job_invocations', '/api/v2/fact_names', '/api/v2/organizations', '/api/v2/locations',
  ])('refuses a page past any list on %s with 400 naming page, where page 1 answers (64-bit offsets overflowed to a 500 before)', async (list) => {
    expect((await send(server.url, 'GET', `${list}?page=1`)).status).toBe(200);
    for (const page of ['500000000000000000', '99999999999999999999', '9007199254740993', '1000000001']) {
      const answer = await send(server.url, 'GET', `${list}?page=${page}`);
      expect(answer.status).toBe(400);
      expect(answer.error?.message).toContain('page: must be at most 1000000000');
    }
    const last = await send(server.url, 'GET', `${list}?page=1000000000&per_page=1000`);
    expect(last.status).toBe(200);
    expect(JSON.parse(last.text)).toMatchObject({ page: 1000000000, results: [] });
  });

  it('names the media type when a body is sent as a type the route cannot read (curl -d sends a form), instead of calling it missing', async () => {
    const job = JSON.stringify({ job: { namespace: 'rpcutil', action: 'ping', targeting: { search: 'name = x' } } });
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const answer = await send(server.url, 'POST', '/api/v2/remote_execution/jobs', job, type);
      expect(answer.status).toBe(415);
      expect(answer.error?.message).toBe(`request body: Content-Type must be application/json, got ${type.split(';')[0]}`);
    }
    // The inventory import takes YAML too, and says so.
    const xml = await send(server.url, 'POST', '/api/v2/inventory/import', '<a/>', 'application/xml');
    expect(xml.status).toBe(415);
    expect(xml.error?.message).toBe('request body: Content-Type must be application/json or application/yaml or application/x-yaml or text/yaml or text/plain, got application/xml');
    // JSON with its charset still reads.
    expect((await send(server.url, 'POST', '/api/v2/roles', JSON.stringify({ role: { name: 'media type role' } }), 'application/json; charset=utf-8')).status).toBe(201);
  });

  it('still takes brackets inside strings as text, not as nesting', async () => {
    const answer = await send(server.url, 'POST', '/api/v2/roles', JSON.stringify({ role: { name: `brackets ${'['.repeat(40)}`, description: `"\\"${'{'.repeat(40)}` } }));
    expect(answer.status).toBe(201);
  });

  it.each([
    ['2 MB of flow nesting', () => deepJson(1_000_000), /nests flow collections \(\[ or \{\) deeper than 32 levels/],
    ['1 MB of compact nested sequences', () => `organizations:\n${'- '.repeat(500_000)}x\n`, /indents a line more than 128 columns/],
    ['block nesting 200 levels deep', () => Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n', /indents a line more than 128 columns/],
    ['block nesting 40 levels deep within the indentation limit', () => Array.from({ length: 40 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n') + ' 1\n', /nests deeper than 32 levels/],
    ['a billion laughs', billionLaughs, /expands aliases more than 100 times/],
    ['a key of a million characters', () => `${'k'.repeat(1_000_000)}: 1\n`, /holds a key, value or comment longer than 65536 characters/],
    ['a quoted value of 4 MB', () => `organizations: ["${'v'.repeat(4_000_000)}"]\n`, /holds a key, value or comment longer than 65536 characters/],
    ['an unknown key of 60,000 characters, quoted back cut short', () => `{"${'k'.repeat(60_000)}": 1}\n`, /^invalid inventory: inventory: Unrecognized key\(s\) in object: 'k{160,}…$/],
    ['16 MB of one-character items (8 million nodes: past 4 GB before)', () => `hosts: [${'1,'.repeat(8_000_000)}1]\n`, /^invalid inventory: holds more than 2000000 keys, values and items$/],
    ['a mapping of 80,000 keys (a minute of blocked event loop before)', () => `${Array.from({ length: 80_000 }, (_, i) => `k${i}: 1`).join('\n')}\n`, /^invalid inventory: inventory: Unrecognized key\(s\) in object: 'k0', 'k1'/],
  ])('refuses an inventory import of %s with 400, the process serving on', async (_what, text, message) => {
    const answer = await send(server.url, 'POST', '/api/v2/inventory/import', text(), 'application/yaml');
    expect(answer.status).toBe(400);
    expect(answer.error?.code).toBe('INVALID_ARGUMENT');
    expect(answer.error?.message).toMatch(message);
    expect(answer.ms).toBeLessThan(20_000);
    expect((await send(server.url, 'GET', '/api/v2/status')).status).toBe(200);
  });

  it('refuses an inventory import over 16 MB with 413 before reading it', async () => {
    const answer = await send(server.url, 'POST', '/api/v2/inventory/import', `organizations:\n${'  - org\n'.repeat(2_200_000)}`, 'application/yaml');
    expect(answer.status).toBe(413);
    expect(answer.error?.message).toBe('request body: is too large');
  });

  it('imports a YAML inventory with an anchor reused, nested as a real one is', async () => {
    const text = ['organizations: [Hostile Org]', 'hostgroups: [hostile, hostile/web]', 'hosts:', '  - name: h1.example.com', '    hostgroup: hostile/web', '    facts: &facts {osfamily: Debian, "ünïcode": "café 💩"}', '  - name: h2.example.com', '    facts: *facts', ''].join('\n');
    const answer = await send(server.url, 'POST', '/api/v2/inventory/import', text, 'application/yaml');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ hosts: { created: 2 } });
  });
});
