/**
 * Bad input (issue #12): fast-check generates malformed path parameters, query strings, Foreman
 * searches and JSON bodies for EVERY route of the API (enumerated from the express router, as the
 * permission matrix does), sent one at a time to the real app on a port, mostly as admin (so the
 * input, not the permissions, is what gets refused) and partly as the other personas.
 *
 * For every answer: never a 5xx; a refusal (4xx) carries Foreman's JSON `{"error": {code, message}}`
 * and left the database exactly as it was; a success (2xx) is a real one (the created object can be
 * read back, a deleted one is gone, a list is a list).
 *
 * What "the database as it was" compares, per database:
 *  - SQLite: `total_changes()` of the one connection the app and this test share (pool size 1): the
 *    number of rows any INSERT, UPDATE or DELETE touched since the connection opened. Stricter than
 *    comparing contents: a write of identical values counts too.
 *  - MariaDB: `CHECKSUM TABLE` of every table of the scratch database (row contents, computed live),
 *    and a CRC of every row of `audits`, before and after.
 *  - Both leave out login audit rows, which authentication writes on purpose (LOGIN_AUDITS).
 * A success may write, and may leave a job running: after each one the test cancels any job it
 * made, waits until the job is final and the database quiet, and takes a new baseline.
 *
 * Runs on SQLite (the larger share), MariaDB, and a private MariaDB started with latin1 as its
 * default character set, where text beyond Latin-1 (emoji, CJK) in descriptions, role names,
 * searches and paths must be stored and found like any other (issue 24: it answered 500 there).
 * The figures are printed and recorded in docs/RELIABILITY.md (Bad input). FUZZ_SEED=<n> replays a
 * run (the seed is printed with the figures).
 *
 * Then YAML and JSON bombs (deep nesting, billion laughs, huge keys, oversized bodies) go to a
 * ui-extension running as a process of its own on the latin1 MariaDB, so that running out of
 * memory or stack would show as the process exiting: each is refused with a 4xx, and it lives on.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import request from 'supertest';
import { listRoutes } from '@test/support/routes';
import { openTestDataSource, testDatabases, type OpenTestDataSource, type TestDatabase } from '@test/support/databases';
import { portForLaterListen } from '@test/support/ports';
import { PASSWORD, startAuthStack, type AuthStack, type Persona } from '../ui-extension/auth/support/auth-stack';
import { databaseFingerprint, settle } from './support/database-fingerprint';
import { BEYOND_LATIN1, BOMBS, bodyFor, pathGarbage, queryString, type Json, type WireBody } from './support/fuzz-requests';
import { AUTH_HEADER, createPrivateMariaDb, killAll, seedAdmin, startUiProcess, type PrivateMariaDb, type UiProc } from './support/processes';

jest.setTimeout(300_000);

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
/** FUZZ_SCALE multiplies the request counts (e.g. 0.1 while working on the test). */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
/** Requests per database: 5,600 together, the larger share on SQLite. */
const RUNS: Record<TestDatabase['kind'] | 'latin1', number> = { sqlite: Math.round(3800 * SCALE), mysql: Math.round(1200 * SCALE), latin1: Math.round(600 * SCALE) };
/** Each bomb is sent this often: three of three tries killed the process before (issue 24). */
const BOMB_TRIES = 3;

/** Objects the generated requests act on, made through the API before the run. */
interface Pools {
  ids: Record<string, Array<number | string>>;
  /** Objects a DELETE or PUT may hit without breaking the personas the run acts as. */
  expendable: Record<string, number[]>;
  roleForFilters: number;
  bystander: number;
  storedAction: number;
}

interface GeneratedRequest {
  route: string;
  method: string;
  path: string;
  persona: Persona;
  body: WireBody | undefined;
}

const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();

/** A valid body per route that takes one; the generator mutates it (and sometimes sends it as is). */
function templates(s: AuthStack, p: Pools): Record<string, Json> {
  return {
    'POST /api/v2/session': { login: 'admin', password: PASSWORD },
    'POST /api/v2/remote_execution/jobs': { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, timeout: 5, description: 'fuzz café 💩 日本' } },
    'POST /api/v2/remote_execution/jobs/:id/replay': { hosts: 'all' },
    'POST /api/v2/hosts/:id/puppet_run': { arguments: { noop: true } },
    'POST /api/v2/remote_execution/puppet_run': { targeting: { host_ids: [s.hosts.webA.id] }, timeout: 5 },
    'PUT /api/v2/remote_execution/schedules/:id': { description: 'fuzz schedule 東京 🏯' },
    'POST /api/v2/remote_execution/actions/:id/schedule': { targeting: { host_ids: [s.hosts.webA.id] }, scheduling: { start_at: tomorrow() }, description: 'fuzz schedule' },
    'POST /api/v2/users': { user: { login: `${s.prefix}fuzz-user`, password: 'a-long-password' } },
    'PUT /api/v2/users/:id': { user: { firstname: 'Fuzz' } },
    'POST /api/v2/users/:user_id/personal_access_tokens': { personal_access_token: { name: 'fuzz' } },
    'POST /api/v2/roles': { role: { name: `${s.prefix}fuzz-role ロール` } },
    'PUT /api/v2/roles/:id': { role: { description: 'fuzz Ελληνικά 💩' } },
    'POST /api/v2/roles/:id/clone': { role: { name: `${s.prefix}fuzz-clone` } },
    'POST /api/v2/filters': { filter: { role_id: p.roleForFilters, permissions: ['view_hosts'], search: 'hostgroup = db' } },
    'PUT /api/v2/filters/:id': { filter: { search: 'hostgroup = web' } },
    'POST /api/v2/inventory/import': { organizations: [`${s.prefix}fuzz-org 한국어`] },
  };
}

/** Which pool a path parameter draws real values from. */
function poolOf(route: string, param: string): string {
  const [method, path] = route.split(' ');
  const segment = path.split('/').slice(0, path.split('/').indexOf(`:${param}`)).pop() ?? '';
  const name = param === 'user_id' ? 'users' : param === 'name' ? 'fact_names' : segment;
  const writes = method !== 'GET';
  // Users, roles and filters the personas rely on are never the target of a change.
  if (writes && ['users', 'roles', 'filters', 'personal_access_tokens', 'schedules'].includes(name) && !(name === 'users' && param === 'user_id')) return `expendable:${name}`;
  return name;
}

function requestArbitrary(routes: string[], s: AuthStack, p: Pools): { any: fc.Arbitrary<GeneratedRequest>; perRoute: Array<fc.Arbitrary<GeneratedRequest>> } {
  const bodies = templates(s, p);
  const perRoute = routes.map((route) => {
    const [method, pattern] = route.split(' ');
    const params = [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]);
    const paramArbs = params.map((param) => {
      const key = poolOf(route, param);
      const real = key.startsWith('expendable:') ? p.expendable[key.slice('expendable:'.length)] : p.ids[key];
      return real && real.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...real.map(String)) }, { weight: 2, arbitrary: pathGarbage }) : pathGarbage;
    });
    const hasBody = method === 'POST' || method === 'PUT';
    return fc
      .record({
        values: fc.tuple(...paramArbs),
        query: fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: method === 'GET' ? 4 : 1, arbitrary: queryString }),
        persona: fc.oneof({ weight: 12, arbitrary: fc.constant<Persona>('admin') }, { weight: 4, arbitrary: fc.constantFrom<Persona>('viewer', 'operator', 'manager') }, { weight: 1, arbitrary: fc.constant<Persona>('anonymous') }),
        body: hasBody ? bodyFor(bodies[route]).map((b) => b as WireBody | undefined) : fc.constant(undefined),
      })
      .map(({ values, query, persona, body }): GeneratedRequest => {
        let i = 0;
        const path = pattern.replace(/:(\w+)/g, () => values[i++]);
        return { route, method, path: query ? `${path}?${query}` : path, persona, body };
      });
  });
  // Now and then a path no route has, under the API.
  const noRoute = fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), pathGarbage).map(([method, tail]): GeneratedRequest => ({ route: 'no route', method, path: `/api/v2/${tail}`, persona: 'admin', body: undefined }));
  // Logging in runs bcrypt (about 100 ms) per attempt: fewer of those.
  const weighted = perRoute.map((arbitrary, i) => ({ weight: routes[i] === 'POST /api/v2/session' ? 1 : 4, arbitrary }));
  return { any: fc.oneof(...weighted, { weight: 2, arbitrary: noRoute }), perRoute: [...perRoute, noRoute] };
}

/** Loads pools of real ids and makes the objects the run may change or delete. */
async function makePools(s: AuthStack): Promise<Pools> {
  const admin = s.as('admin');
  const created = async (path: string, body: unknown): Promise<{ id: number } & Record<string, unknown>> => (await admin.post(path, body).expect(201)).body as { id: number };
  const users = [];
  for (let i = 0; i < 4; i++) users.push((await created('/api/v2/users', { user: { login: `${s.prefix}expendable-${i}`, password: 'a-long-password' } })).id);
  const bystander = users[0];
  const roles = [];
  for (let i = 0; i < 4; i++) roles.push((await created('/api/v2/roles', { role: { name: `${s.prefix}expendable-role-${i}` } })).id);
  const filters = [];
  for (let i = 0; i < 4; i++) filters.push((await created('/api/v2/filters', { filter: { role_id: roles[0], permissions: ['view_jobs'], search: 'namespace = rpcutil' } })).id);
  const tokens = [];
  for (let i = 0; i < 3; i++) tokens.push((await created(`/api/v2/users/${bystander}/personal_access_tokens`, { personal_access_token: { name: `t${i}` } })).id);
  const schedules = [];
  for (let i = 0; i < 3; i++) {
    const job = (await admin.post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, scheduling: { start_at: tomorrow() } } }).expect(201)).body as { schedule_id: number };
    schedules.push(job.schedule_id);
  }
  const storedAction = ((await admin.get(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}`).expect(200)).body as { remote_action_id: number }).remote_action_id;
  const roleIds = ((await admin.get('/api/v2/roles?per_page=100').expect(200)).body as { results: Array<{ id: number }> }).results.map((r) => r.id);
  const audits = ((await admin.get('/api/v2/audits?per_page=20').expect(200)).body as { results: Array<{ id: number }> }).results.map((a) => a.id);
  return {
    ids: {
      hosts: Object.values(s.hosts).map((h) => h.id),
      hostgroups: Object.values(s.hostgroups),
      smart_proxies: [s.proxies.a.id, s.proxies.b.id],
      jobs: Object.values(s.jobs).map((j) => j.id),
      schedules,
      actions: [storedAction],
      users: [...Object.values(s.users), bystander],
      roles: roleIds,
      filters,
      audits,
      personal_access_tokens: tokens,
      fact_names: ['osfamily', 'kernel'],
    },
    expendable: { users: users.slice(1), roles: roles.slice(1), filters, personal_access_tokens: tokens, schedules },
    roleForFilters: roles[0],
    bystander,
    storedAction,
  };
}

function send(s: AuthStack, r: GeneratedRequest): request.Test {
  const agent = request(s.url);
  const method = r.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete' | 'patch';
  let test = agent[method](r.path).timeout({ response: 20_000 });
  if (r.persona !== 'anonymous') test = test.auth(r.persona === 'admin' ? 'admin' : `${s.prefix}${r.persona}`, PASSWORD);
  if (r.body && r.body.kind !== 'none') test = test.set('Content-Type', r.body.contentType).send(r.body.text);
  // Text answers (a refusal must be JSON, so keep whatever came) instead of supertest's parsing.
  return test.buffer(true).parse((res, done) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('end', () => done(null, text));
  });
}

/** What is wrong with a refusal, if anything. */
function refusalProblem(status: number, contentType: string | undefined, text: string): string | undefined {
  if (!contentType?.startsWith('application/json')) return `content type ${contentType ?? 'none'}, not JSON`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'a body that is not JSON';
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string' || error.message === '') return `no {"error": {code, message}} body: ${text.slice(0, 200)}`;
  if (status >= 500) return `${status} ${error.code}: ${error.message}`;
  return undefined;
}

/** Checks a success is real: lists are lists, made things can be read, deleted things are gone. Answers jobs it made, to stop them. */
async function successProblem(s: AuthStack, r: GeneratedRequest, status: number, contentType: string | undefined, text: string): Promise<{ problem?: string; jobs: number[] }> {
  const admin = s.as('admin');
  if (status === 204) return text === '' ? { jobs: [] } : { problem: '204 with a body', jobs: [] };
  // Prometheus' text format, the one answer that is not JSON.
  if (r.path.split('?')[0] === '/metrics') return contentType?.startsWith('text/plain') && /^# (HELP|TYPE) /m.test(text) ? { jobs: [] } : { problem: `metrics as ${contentType ?? 'no content type'}`, jobs: [] };
  // The API documentation page (Swagger UI), the one HTML answer.
  if (r.path.split('?')[0] === '/apidoc') return contentType?.startsWith('text/html') && text.includes('swagger-ui-bundle.js') ? { jobs: [] } : { problem: `apidoc as ${contentType ?? 'no content type'}`, jobs: [] };
  // A job's hosts as a file (issue #19): CSV starting with its header row, or JSON lines, each an object.
  if (/\/hosts\/export$/.test(r.path.split('?')[0])) {
    if (contentType?.startsWith('text/csv')) return text.startsWith('host_id,host_name,state,') ? { jobs: [] } : { problem: 'a CSV export without its header row', jobs: [] };
    if (contentType?.startsWith('application/x-ndjson')) return text.split('\n').filter(Boolean).every((line) => typeof JSON.parse(line) === 'object') ? { jobs: [] } : { problem: 'a JSON lines export with a line that is no object', jobs: [] };
    return { problem: `export as ${contentType ?? 'no content type'}`, jobs: [] };
  }
  if (!contentType?.startsWith('application/json')) return { problem: `${status} with content type ${contentType ?? 'none'}`, jobs: [] };
  const body = JSON.parse(text) as Record<string, unknown>;
  const path = r.path.split('?')[0];
  const jobs: number[] = [];
  // Every route that starts a job: ours, the Foreman aliases (job_invocations, rerun) and a template run.
  if (/\/(jobs|replay|puppet_run|job_invocations|rerun|run)$/.test(path) && r.method === 'POST' && typeof body.id === 'number') jobs.push(body.id);
  if (r.method === 'GET') {
    if ('results' in body && (!Array.isArray(body.results) || typeof body.total !== 'number')) return { problem: 'a list without results[] and total', jobs };
    return { jobs };
  }
  if (r.method === 'DELETE') {
    const after = await admin.get(path);
    // Foreman's DELETE of a personal access token revokes it: it stays listed, inactive.
    if (/\/personal_access_tokens\/[^/]+$/.test(path)) return after.status === 200 && (after.body as { revoked?: boolean; active?: boolean }).revoked === true && (after.body as { active?: boolean }).active === false ? { jobs } : { problem: `revoked, yet GET ${path} answers ${after.status} ${JSON.stringify(after.body)}`, jobs };
    return after.status === 404 ? { jobs } : { problem: `deleted, yet GET ${path} answers ${after.status}`, jobs };
  }
  if (status === 201) {
    if (typeof body.id !== 'number') return { problem: '201 without an id', jobs };
    const readBack = jobs.length > 0 || /\/schedule$/.test(path)
      ? `/api/v2/remote_execution/jobs/${body.id}`
      : /\/personal_access_tokens$/.test(path) ? `${path}/${body.id}`
      : /\/clone$/.test(path) ? `/api/v2/roles/${body.id}`
      : `${path}/${body.id}`;
    const after = await admin.get(readBack);
    if (after.status !== 200) return { problem: `created ${body.id}, yet GET ${readBack} answers ${after.status}`, jobs };
    return { jobs };
  }
  if (r.method === 'PUT') {
    const after = await admin.get(path);
    return after.status === 200 ? { jobs } : { problem: `updated, yet GET ${path} answers ${after.status}`, jobs };
  }
  return typeof body === 'object' && body !== null ? { jobs } : { problem: `${status} with a body that is not an object`, jobs };
}

/** Cancels a job a generated request made and waits until it is final (a scheduled one is only cancelled). */
async function stopJob(s: AuthStack, job: number): Promise<void> {
  const admin = s.as('admin');
  await admin.post(`/api/v2/remote_execution/jobs/${job}/cancel`);
  const until = Date.now() + 30_000;
  for (;;) {
    const state = ((await admin.get(`/api/v2/remote_execution/jobs/${job}?wait=1`).expect(200)).body as { state: string }).state;
    if (['succeeded', 'failed', 'cancelled', 'scheduled'].includes(state)) return;
    if (Date.now() > until) throw new Error(`job ${job} made by a generated request is still ${state} 30 s after cancel`);
  }
}

/**
 * Sends generated requests to every route of one stack and checks every answer (see the top of
 * this file); prints the figures and fails with the first 20 problems found.
 */
async function fuzzEveryRoute(s: AuthStack, pools: Pools, label: string, runs: number): Promise<void> {
  const routes = listRoutes(s.app);
  expect(routes.length).toBeGreaterThan(50);
  const fingerprint = databaseFingerprint(s);
  // Five requests per route first, so every route is covered whatever the seed; the rest at random.
  const generator = requestArbitrary(routes, s, pools);
  const firsts = generator.perRoute.flatMap((arbitrary, i) => fc.sample(arbitrary, { numRuns: 5, seed: SEED + i }));
  const samples = [...firsts, ...fc.sample(generator.any, { numRuns: runs - firsts.length, seed: SEED })];
  const byStatus: Record<number, number> = {};
  const byBody: Record<string, number> = {};
  const routesHit = new Set<string>();
  const refusedRoutes = new Set<string>();
  const failures: string[] = [];
  let refusedWrites = 0;
  let readsThatWrote = 0;
  let slowest = { ms: 0, request: '' };
  const started = Date.now();
  let baseline = await settle(fingerprint);
  for (const r of samples) {
    const sent = Date.now();
    const res = await send(s, r);
    const ms = Date.now() - sent;
    if (ms > slowest.ms) slowest = { ms, request: `${r.method} ${r.path.slice(0, 120)}` };
    const text = res.body as string;
    const contentType = res.headers['content-type'] as string | undefined;
    byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
    if (r.body) byBody[r.body.kind] = (byBody[r.body.kind] ?? 0) + 1;
    routesHit.add(r.route);
    const where = `${r.persona} ${r.method} ${r.path.slice(0, 300)}${r.body ? ` ${r.body.contentType} ${r.body.text.slice(0, 300)}` : ''}`;
    if (res.status >= 400) {
      refusedRoutes.add(r.route);
      const problem = refusalProblem(res.status, contentType, text);
      if (problem) failures.push(`${res.status} for ${where}: ${problem}`);
      const after = await fingerprint();
      if (r.method !== 'GET') refusedWrites += 1;
      if (after !== baseline) {
        failures.push(`${res.status} for ${where}: the database changed`);
        baseline = await settle(fingerprint);
      }
    } else if (res.status >= 200 && res.status < 300) {
      const { problem, jobs } = await successProblem(s, r, res.status, contentType, text);
      if (problem) failures.push(`${res.status} for ${where}: ${problem}`);
      for (const job of jobs) await stopJob(s, job);
      if (r.method === 'GET') {
        // A read may write (a first login's audit is left out already); count it, do not fail.
        const after = await fingerprint();
        if (after !== baseline) {
          readsThatWrote += 1;
          baseline = await settle(fingerprint);
        }
      } else {
        baseline = await settle(fingerprint);
      }
    } else {
      failures.push(`${res.status} for ${where}: neither a success nor a refusal`);
    }
    if (failures.length >= 20) break;
  }
  const seconds = (Date.now() - started) / 1000;
  // The figures for docs/RELIABILITY.md (Bad input).
  console.log(JSON.stringify({ database: label, seed: SEED, requests: samples.length, seconds, routes: routes.length, routes_hit: routesHit.size, routes_refusing: refusedRoutes.size, refused_writes_checked: refusedWrites, successful_reads_that_wrote: readsThatWrote, by_status: byStatus, bodies: byBody, slowest }));
  expect(failures).toEqual([]);
  expect([...routes, 'no route'].filter((route) => !routesHit.has(route))).toEqual([]);
}

/**
 * Text beyond Latin-1 where users write it: role names and descriptions, job and schedule
 * descriptions, user names, organizations, searches and paths. Stored as sent, found by search,
 * never a 5xx.
 */
async function beyondLatin1RoundTrips(s: AuthStack): Promise<void> {
  const admin = s.as('admin');
  // Its own user: the generated run before it may have deleted any user of the pools.
  const user = ((await admin.post('/api/v2/users', { user: { login: `${s.prefix}beyond-latin1-${Date.now()}`, password: 'a-long-password' } }).expect(201)).body as { id: number }).id;
  const statuses: number[] = [];
  const check = <T extends request.Response>(res: T): T => {
    statuses.push(res.status);
    return res;
  };
  for (const [i, text] of BEYOND_LATIN1.entries()) {
    const role = check(await admin.post('/api/v2/roles', { role: { name: `${s.prefix}role ${i} ${text}`.slice(0, 100), description: text } }));
    expect(role.status).toBe(201);
    expect((check(await admin.get(`/api/v2/roles/${role.body.id as number}`)).body as { name: string; description: string })).toMatchObject({ name: `${s.prefix}role ${i} ${text}`.slice(0, 100), description: text });
    const job = check(await admin.post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, scheduling: { start_at: tomorrow() }, description: text } }));
    expect(job.status).toBe(201);
    expect((check(await admin.get(`/api/v2/remote_execution/jobs/${job.body.id as number}`)).body as { description: string }).description).toBe(text);
    const found = check(await admin.get(`/api/v2/remote_execution/jobs?search=${encodeURIComponent(`description ~ "${text.slice(0, 12)}"`)}`));
    expect(found.status).toBe(200);
    expect((found.body as { results: Array<{ id: number }> }).results.map((r) => r.id)).toContain(job.body.id);
    expect(check(await admin.put(`/api/v2/remote_execution/schedules/${job.body.schedule_id as number}`, { description: `${text} 2` })).status).toBe(200);
    expect(check(await admin.put(`/api/v2/users/${user}`, { user: { firstname: text.slice(0, 50), lastname: text.slice(0, 50) } })).status).toBe(200);
    expect((check(await admin.get(`/api/v2/users/${user}`)).body as { firstname: string }).firstname).toBe(text.slice(0, 50));
    expect(check(await admin.post('/api/v2/inventory/import', { organizations: [`${s.prefix}org ${i} ${text}`.slice(0, 150)] })).status).toBe(200);
    expect(check(await admin.get(`/api/v2/hosts?search=${encodeURIComponent(`name ~ "${text}"`)}`)).status).toBe(200);
    expect(check(await admin.get(`/api/v2/hosts/${encodeURIComponent(text)}`)).status).toBe(404);
    expect(check(await admin.get(`/api/v2/audits?search=${encodeURIComponent(text)}`)).status).toBeLessThan(500);
  }
  const organizations = (check(await admin.get(`/api/v2/organizations?per_page=100&search=${encodeURIComponent(`${s.prefix}org`)}`)).body as { results: Array<{ name: string }> }).results.map((o) => o.name);
  expect(organizations).toEqual(expect.arrayContaining(BEYOND_LATIN1.map((text, i) => `${s.prefix}org ${i} ${text}`.slice(0, 150))));
  expect(statuses.filter((status) => status >= 500)).toEqual([]);
}

describe.each(testDatabases())('bad input on $kind', (database) => {
  let s: AuthStack;
  let pools: Pools;

  beforeAll(async () => {
    // Long polls answer within a second; the login throttle (its own tests) would otherwise lock
    // the loopback address out after 30 generated wrong passwords.
    s = await startAuthStack(database, { config: { 'jobs.long_poll_max_s': 1, 'auth.max_failed_logins_per_address': 1_000_000, 'auth.max_failed_logins_per_user': 1_000_000 } });
    pools = await makePools(s);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('never answers 5xx, refuses with a JSON error and no database change, and succeeds for real, on generated input to every route', async () => {
    await fuzzEveryRoute(s, pools, database.kind, RUNS[database.kind]);
  });

  it('stores and finds text beyond Latin-1 wherever users write it', async () => {
    await beyondLatin1RoundTrips(s);
  });
});

/** One bomb as the wire carries it; the answer's status and how long it took. */
async function detonate(base: string, bomb: (typeof BOMBS)[number]): Promise<{ status: number; ms: number; code?: string }> {
  const started = Date.now();
  const res = await fetch(`${base}${bomb.path}`, { method: bomb.method, headers: { authorization: AUTH_HEADER, 'content-type': bomb.contentType }, body: bomb.body(), signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, ms: Date.now() - started, code };
}

/** Peak resident memory of a process so far (VmHWM), in MB; undefined once it is gone. */
function peakMb(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  } catch {
    return undefined;
  }
}

describe('bad input on a MariaDB whose default character set is latin1', () => {
  let mariadb: PrivateMariaDb | undefined;
  let s: AuthStack;
  let pools: Pools;
  let processDb: OpenTestDataSource | undefined;
  let ui: UiProc | undefined;

  beforeAll(async () => {
    mariadb = createPrivateMariaDb(await portForLaterListen(), { characterSet: 'latin1' });
    await mariadb.start();
    // No character set stated: the scratch databases take the server's latin1, as an operator's
    // `CREATE DATABASE rex` would; the migrations must make the tables utf8mb4 themselves.
    const latin1: TestDatabase = { kind: 'mysql', url: mariadb.url, characterSet: 'server-default' };
    s = await startAuthStack(latin1, { config: { 'jobs.long_poll_max_s': 1, 'auth.max_failed_logins_per_address': 1_000_000, 'auth.max_failed_logins_per_user': 1_000_000 } });
    pools = await makePools(s);
    processDb = await openTestDataSource(latin1);
    await seedAdmin(processDb.dataSource);
    ui = await startUiProcess({ database: processDb.database, instanceId: 'bombs-ui' });
  });

  afterAll(async () => {
    // The process and the stack first: dropping their scratch databases needs the server.
    await ui?.kill('SIGKILL');
    await s?.close();
    await processDb?.close().catch(() => undefined);
    await mariadb?.destroy();
    await killAll();
  });

  it('runs on a server whose default is latin1, whose scratch database the migrations turned utf8mb4', async () => {
    expect(await s.db.dataSource.query('SELECT @@character_set_server AS server, DEFAULT_CHARACTER_SET_NAME AS now FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()')).toEqual([{ server: 'latin1', now: 'utf8mb4' }]);
  });

  it('stores and finds text beyond Latin-1 wherever users write it', async () => {
    await beyondLatin1RoundTrips(s);
  });

  it('never answers 5xx, refuses with a JSON error and no database change, and succeeds for real, on generated input to every route', async () => {
    await fuzzEveryRoute(s, pools, 'mysql-latin1', RUNS.latin1);
  });

  it('refuses every YAML and JSON bomb with a 4xx, and the ui-extension process lives through all of them', async () => {
    const answers: Array<{ bomb: string; status: number; ms: number; code?: string }> = [];
    const perBomb: Array<{ bomb: string; statuses: number[]; slowest_ms: number; peak_memory_mb?: number }> = [];
    const exited = () => ui!.child.exitCode !== null || ui!.child.signalCode !== null;
    const startMb = peakMb(ui!.child.pid!);
    for (const bomb of BOMBS) {
      const mine: typeof answers = [];
      for (let i = 0; i < BOMB_TRIES && !exited(); i++) {
        const answer = await detonate(ui!.url, bomb).catch((error: Error) => ({ status: 0, ms: 0, code: error.message }));
        mine.push({ bomb: bomb.name, ...answer });
      }
      answers.push(...mine);
      perBomb.push({ bomb: bomb.name, statuses: mine.map((a) => a.status), slowest_ms: Math.max(...mine.map((a) => a.ms)), peak_memory_mb: exited() ? undefined : peakMb(ui!.child.pid!) });
      if (exited()) break;
    }
    process.stdout.write(`Bombs one by one (peak memory of the process so far, from ${startMb} MB at the start): ${JSON.stringify(perBomb)}\n`);
    const exits = exited() ? 1 : 0;
    const status = exits === 0 ? await fetch(`${ui!.url}/api/v2/status`).then((r) => r.status) : 0;
    const figures = {
      bombs: BOMBS.length,
      requests: answers.length,
      answers_5xx: answers.filter((a) => a.status >= 500 || a.status === 0).length,
      process_exits: exits,
      by_status: answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {}),
      slowest_ms: Math.max(...answers.map((a) => a.ms)),
      peak_memory_mb: exits === 0 ? peakMb(ui!.child.pid!) : undefined,
    };
    process.stdout.write(`Bombs figures: ${JSON.stringify(figures)}\n`);
    expect({ exits, lastLines: exits ? ui!.lines.slice(-5) : [] }).toEqual({ exits: 0, lastLines: [] });
    expect(answers.filter((a) => a.status < 400 || a.status >= 500)).toEqual([]);
    expect(answers.length).toBe(BOMBS.length * BOMB_TRIES);
    expect(status).toBe(200);
  });
});
