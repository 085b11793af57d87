/**
 * Limits (issue #12): an oversized body answers 413, a job over jobs.max_hosts_per_job answers 422
 * naming the limit, and unknown fields answer 422 naming each one; every refusal carries the JSON
 * error body and leaves the database as it was (database-fingerprint.ts says what is compared).
 * Real app on a port, real proxies and fleet on NATS, SQLite and MariaDB.
 */
import request from 'supertest';
import { testDatabases } from '@test/support/databases';
import { PASSWORD, startAuthStack, type AuthStack } from '../ui-extension/auth/support/auth-stack';
import { databaseFingerprint, expectNoWrite } from './support/database-fingerprint';

jest.setTimeout(120_000);

/** Small, so the six hosts of the stack are over it. */
const MAX_HOSTS = 3;

describe.each(testDatabases())('limits on $kind', (database) => {
  let s: AuthStack;
  let fingerprint: () => Promise<string>;

  beforeAll(async () => {
    s = await startAuthStack(database, { config: { 'jobs.max_hosts_per_job': MAX_HOSTS } });
    fingerprint = databaseFingerprint(s);
  });

  afterAll(async () => {
    await s?.close();
  });

  /** Sends as admin and checks the refusal: status, JSON error body, nothing written. */
  async function refused(method: 'post' | 'put', path: string, body: string | object, status: number): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
    const res = await expectNoWrite(fingerprint, () => request(s.url)[method](path).auth('admin', PASSWORD).set('Content-Type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body)));
    expect({ status: res.status, contentType: res.headers['content-type'] }).toEqual({ status, contentType: 'application/json; charset=utf-8' });
    return (res.body as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;
  }

  const job = (fields: Record<string, unknown>) => ({ job: { namespace: 'rpcutil', action: 'ping', arguments: {}, timeout: 5, ...fields } });

  it('answers 413 with the JSON error body and writes nothing when a body is over 5 MB', async () => {
    const huge = JSON.stringify(job({ targeting: { host_ids: [s.hosts.webA.id] }, description: 'x'.repeat(6 * 1024 * 1024) }));
    const error = await refused('post', '/api/v2/remote_execution/jobs', huge, 413);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'request body: is too large' });
    await refused('put', `/api/v2/users/${s.users.viewer}`, JSON.stringify({ user: { firstname: 'y'.repeat(6 * 1024 * 1024) } }), 413);
  });

  it('reads a body just under 5 MB and refuses its over-long field by name (400) when the limit is not reached', async () => {
    const big = JSON.stringify(job({ targeting: { host_ids: [s.hosts.webA.id] }, description: 'x'.repeat(4 * 1024 * 1024) }));
    const error = await refused('post', '/api/v2/remote_execution/jobs', big, 400);
    expect(error.message).toBe('invalid body: job.description: must be at most 255 characters');
  });

  it('answers 422 naming the limit and its config key when a search targets more hosts than jobs.max_hosts_per_job', async () => {
    const error = await refused('post', '/api/v2/remote_execution/jobs', job({ targeting: { search: `name ~ ${s.prefix}` } }), 422);
    expect(error.message).toBe(`targeting: matches 6 hosts, more than the ${MAX_HOSTS} one job may target (jobs.max_hosts_per_job); split the job or narrow the targeting`);
    expect(error.details).toEqual({ fields: [{ field: 'targeting', rule: `at most ${MAX_HOSTS} hosts` }], limit: MAX_HOSTS, hosts: 6 });
  });

  it('answers 422 before looking the hosts up when host_ids lists more hosts than the limit', async () => {
    const ids = Object.values(s.hosts).map((h) => h.id).slice(0, MAX_HOSTS + 1);
    const error = await refused('post', '/api/v2/remote_execution/jobs', job({ targeting: { host_ids: ids } }), 422);
    expect(error.details).toMatchObject({ limit: MAX_HOSTS, hosts: MAX_HOSTS + 1 });
  });

  it('applies the same limit to schedules, Puppet runs and replays', async () => {
    const search = { search: `name ~ ${s.prefix}` };
    const start_at = new Date(Date.now() + 86_400_000).toISOString();
    expect((await refused('post', '/api/v2/remote_execution/jobs', job({ targeting: search, scheduling: { start_at } }), 422)).details).toMatchObject({ limit: MAX_HOSTS });
    expect((await refused('post', '/api/v2/remote_execution/puppet_run', { targeting: search }, 422)).details).toMatchObject({ limit: MAX_HOSTS });
    expect((await refused('post', `/api/v2/remote_execution/jobs/${s.jobs.webPing.id}/replay`, { targeting: search }, 422)).details).toMatchObject({ limit: MAX_HOSTS });
  });

  it('runs a job of exactly the limit', async () => {
    const ids = [s.hosts.webA.id, s.hosts.dbA.id, s.hosts.webB.id];
    const res = await s.as('admin').post('/api/v2/remote_execution/jobs', job({ targeting: { host_ids: ids } })).expect(201);
    const final = await s.waitFinal((res.body as { id: number }).id);
    expect(final).toMatchObject({ state: 'succeeded', total_hosts: MAX_HOSTS });
  });

  // The three below answered 500 (or a bare status line) until the fuzz test found them.
  it('answers 431 with the JSON error body when the request line and headers are over 16 KiB', async () => {
    const res = await request(s.url).get(`/api/v2/hosts?search=${'x'.repeat(20_000)}`).auth('admin', PASSWORD);
    expect({ status: res.status, contentType: res.headers['content-type'] }).toEqual({ status: 431, contentType: 'application/json; charset=utf-8' });
    expect(res.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^request: the request line and headers exceed the 16 KiB limit/) });
  });

  it('answers 400 naming the path when a path parameter is not valid percent-encoding', async () => {
    for (const path of ['/api/v2/hosts/%zz', '/api/v2/remote_execution/jobs/%E0%A4%A', '/api/v2/users/%/personal_access_tokens/1']) {
      const res = await request(s.url).get(path).auth('admin', PASSWORD);
      expect({ path, status: res.status, error: res.body.error?.message }).toEqual({ path, status: 400, error: 'request path: is not valid percent-encoding' });
    }
  });

  it('answers 422 naming __proto__ and constructor as unknown fields, and writes nothing', async () => {
    const error = await refused('post', '/api/v2/roles', '{"role":{"name":"x","__proto__":{"admin":true},"constructor":{}}}', 422);
    expect(error.details?.unknown_fields).toEqual(['role.__proto__', 'role.constructor']);
  });

  it('answers 422 naming every unknown field of a job, at any depth, and writes nothing', async () => {
    const body = { ...job({ timout: 30, targeting: { host_ids: [s.hosts.webA.id], colour: 'red' } }), extra: true };
    const error = await refused('post', '/api/v2/remote_execution/jobs', body, 422);
    expect(error.details?.unknown_fields).toEqual(['job.timout', 'job.targeting.colour', 'extra']);
    expect(error.message).toMatch(/^invalid body: unknown fields job\.timout, job\.targeting\.colour, extra \(job\.timout: is not a known field; known fields here: namespace, action, arguments, targeting, description, concurrency_level, batch_size, timeout, rollout, scheduling, recurrence, targeting_type;/);
  });

  it('answers 422 naming the unknown field of users, roles, filters, schedules, Puppet runs, tokens and the login', async () => {
    const cases: Array<[string, 'post' | 'put', string, object, string]> = [
      ['user', 'post', '/api/v2/users', { user: { login: `${s.prefix}x`, password: 'a-long-password', is_admin: true } }, 'user.is_admin'],
      ['role', 'post', '/api/v2/roles', { role: { name: `${s.prefix}r`, colour: 'red' } }, 'role.colour'],
      ['filter', 'post', '/api/v2/filters', { filter: { role_id: s.roles.webOperator, permissions: ['view_hosts'], unlimited: true } }, 'filter.unlimited'],
      ['token', 'post', `/api/v2/users/${s.users.viewer}/personal_access_tokens`, { personal_access_token: { name: 't', scopes: ['all'] } }, 'personal_access_token.scopes'],
      ['puppet run', 'post', `/api/v2/hosts/${s.hosts.webA.id}/puppet_run`, { arguments: { noop: true }, force: true }, 'force'],
      ['replay', 'post', `/api/v2/remote_execution/jobs/${s.jobs.webPing.id}/replay`, { hosts: 'all', when: 'now' }, 'when'],
      ['login', 'post', '/api/v2/session', { login: 'admin', password: PASSWORD, remember_me: true }, 'remember_me'],
    ];
    for (const [what, method, path, body, field] of cases) {
      const error = await refused(method, path, body, 422);
      expect({ what, unknown: error.details?.unknown_fields }).toEqual({ what, unknown: [field] });
    }
  });
});
