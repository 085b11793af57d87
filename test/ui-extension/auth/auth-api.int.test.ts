/**
 * Authentication and account management over HTTP on both databases: brute-force limits per login
 * and address and per address for unknown logins (never for tokens, never keeping a right password
 * out from elsewhere), failures audited with counts, personal access tokens (shown once, stored hashed, revocable, expiring), users,
 * roles and filters with Foreman's envelopes, and the login and change audit trail.
 */
import type { Express } from 'express';
import request from 'supertest';
import { loadConfig } from '@server/config';
import { createApp } from '@server/http/app';
import { silentLogger } from '@server/logger';
import { buildServices, type Services } from '@server/services';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

jest.setTimeout(120_000);

const ADMIN_PASSWORD = 'admin-password-1';

describe.each(testDatabases())('authentication API on $kind', (database) => {
  let db: OpenTestDataSource;
  let app: Express;
  let services: Services;
  let address = 0;
  /** Each test calls from its own client address (X-Forwarded-For behind a trusted proxy), so per-address limits stay apart. */
  let from: string;
  const call = (method: 'get' | 'post' | 'put' | 'delete', path: string, auth?: [string, string]) => {
    const t = request(app)[method](path).set('X-Forwarded-For', from);
    return auth ? t.auth(auth[0], auth[1]) : t;
  };
  const admin: [string, string] = ['admin', ADMIN_PASSWORD];

  async function makeUser(login: string, password: string, extra: Record<string, unknown> = {}): Promise<number> {
    return ((await call('post', '/api/v2/users', admin).send({ user: { login, password, ...extra } }).expect(201)).body as { id: number }).id;
  }

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const config = loadConfig({ env: {}, overrides: { 'admin.password': ADMIN_PASSWORD, 'admin.password_file': '/dev/null' } });
    services = buildServices({ config, dataSource: db.dataSource, logger: silentLogger(), clock: () => new Date() });
    await services.auth.ensureAdmin({ password: ADMIN_PASSWORD, passwordFile: '/dev/null' });
    app = createApp({ services, logger: silentLogger(), trustProxy: true });
  });

  beforeEach(() => {
    address += 1;
    from = `198.51.100.${address}`;
  });

  afterAll(async () => {
    await db?.close();
  });

  type AuditPage = { results: Array<{ action: string; remote_address: string | null; user_name: string | null; audited_changes: { count?: number; method?: string; reasons?: Record<string, number> } | null }> };
  /** The failed and refused logins of a login name in the audit trail, with everything counted so far written. */
  async function failureCounts(login: string): Promise<{ failed: number; blocked: number; rows: AuditPage['results'] }> {
    await services.auth.flushLoginFailures(true);
    const page = (await call('get', `/api/v2/audits?search=${encodeURIComponent(`user = ${login} and (action = login_failed or action = login_blocked)`)}&per_page=1000`, admin).expect(200)).body as AuditPage;
    const sum = (action: string) => page.results.filter((a) => a.action === action).reduce((n, a) => n + (a.audited_changes?.count ?? 0), 0);
    return { failed: sum('login_failed'), blocked: sum('login_blocked'), rows: page.results };
  }

  it('answers 429 to the 11th failed login of one user from one address, even with the right password, and 200 to the right password from another address', async () => {
    await makeUser('brute', 'right-password');
    from = '203.0.113.1';
    // Failures are counted per clock minute (counted-audit.ts): a loop that crosses one has two.
    const firstMinute = Math.floor(Date.now() / 60_000);
    for (let i = 1; i <= 10; i++) await call('get', '/api/v2/current_user', ['brute', `guess-${i}`]).expect(401);
    const minutes = Math.floor(Date.now() / 60_000) - firstMinute + 1;
    const blocked = await call('get', '/api/v2/current_user', ['brute', 'guess-11']).expect(429);
    expect(blocked.body.error).toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/^too many failed logins for this login from your address; try again in \d+ s$/) });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    await call('get', '/api/v2/current_user', ['brute', 'right-password']).expect(429);
    // The weapon of before: 10 wrong passwords a minute from anywhere kept the user out everywhere.
    from = '203.0.113.99';
    await call('get', '/api/v2/current_user', ['brute', 'right-password']).expect(200);
    const counted = await failureCounts('brute');
    expect(counted).toMatchObject({ failed: 10, blocked: 2 });
    expect(counted.rows.map((a) => a.remote_address)).toEqual(expect.arrayContaining(['203.0.113.1']));
    // One entry at once and one with the rest of each minute, not one per attempt.
    expect(counted.rows.filter((a) => a.action === 'login_failed').length).toBeLessThanOrEqual(2 * minutes);
  });

  it('answers every one of 60 parallel requests of one user with the right password, before and after its credentials are cached', async () => {
    // A CI job or 200 long-poll clients share one API user: a burst of right passwords is no brute force.
    await makeUser('busy', 'busy-password');
    for (const round of ['cold', 'warm']) {
      const statuses = await Promise.all(Array.from({ length: 60 }, () => call('get', '/api/v2/current_user', ['busy', 'busy-password']).then((r) => r.status)));
      expect([round, statuses.filter((s) => s !== 200)]).toEqual([round, []]);
    }
    // The limit still holds for wrong passwords after such a burst.
    for (let i = 1; i <= 10; i++) await call('get', '/api/v2/current_user', ['busy', `wrong-${i}`]).expect(401);
    await call('get', '/api/v2/current_user', ['busy', 'wrong-11']).expect(429);
  });

  it("refuses unknown logins from an address after 30 failures, but lets a known user's right password from it through", async () => {
    await makeUser('bystander-user', 'bystander-password');
    for (let i = 1; i <= 30; i++) await call('get', '/api/v2/current_user', [`nobody-${i}`, 'x']).expect(401);
    const unknown = await call('get', '/api/v2/current_user', ['nobody-31', 'x']).expect(429);
    expect(unknown.body.error.message).toMatch(/^too many failed logins from your address; try again in \d+ s$/);
    await call('get', '/api/v2/current_user', ['bystander-user', 'bystander-password']).expect(200);
    // A known login's wrong password gets the same answer as an unknown login: no way to tell them apart.
    const wrong = await call('get', '/api/v2/current_user', ['bystander-user', 'not-it']).expect(429);
    expect(wrong.body.error.message).toMatch(/^too many failed logins from your address; try again in \d+ s$/);
    from = '198.51.100.250';
    await call('get', '/api/v2/current_user', ['nobody-32', 'x']).expect(401);
  });

  it('accepts a valid personal access token from an address whose password attempts are refused', async () => {
    const id = await makeUser('tokened', 'tokened-password');
    const token = (await call('post', `/api/v2/users/${id}/personal_access_tokens`, admin).send({ personal_access_token: { name: 'ci' } }).expect(201)).body.token_value as string;
    // Wrong tokens are not throttled either, and each is audited (sent first, before the made-up
    // names below fill this address's quota of login names with entries of their own).
    for (let i = 0; i < 3; i++) await call('get', '/api/v2/current_user', ['tokened', `rex_pat_made-up-${i}`]).expect(401);
    for (let i = 1; i <= 10; i++) await call('get', '/api/v2/current_user', ['tokened', `guess-${i}`]).expect(401);
    for (let i = 1; i <= 31; i++) await call('get', '/api/v2/current_user', [`ghost-${i}`, 'x']);
    await call('get', '/api/v2/current_user', ['tokened', 'guess-11']).expect(429);
    await call('get', '/api/v2/current_user', ['tokened', token]).expect(200);
    const counted = await failureCounts('tokened');
    expect(counted.rows.filter((a) => a.audited_changes?.method === 'token').reduce((n, a) => n + (a.audited_changes?.count ?? 0), 0)).toBe(3);
  });

  it('puts the current-password check of a password change through the same throttle, audited', async () => {
    const id = await makeUser('forgetful', 'forgetful-password');
    for (let i = 1; i <= 10; i++) {
      await call('put', `/api/v2/users/${id}`, ['forgetful', 'forgetful-password']).send({ user: { password: 'new-password-1', current_password: `guess-${i}` } }).expect(400);
    }
    const refused = await call('put', `/api/v2/users/${id}`, ['forgetful', 'forgetful-password']).send({ user: { password: 'new-password-1', current_password: 'forgetful-password' } }).expect(429);
    expect(refused.body.error.message).toMatch(/^too many failed logins for this login from your address/);
    const counted = await failureCounts('forgetful');
    expect(counted).toMatchObject({ failed: 10, blocked: 1 });
    expect(counted.rows.every((a) => a.audited_changes?.method === 'current_password')).toBe(true);
    // From another address the right current password still changes it.
    from = '198.51.100.251';
    await call('put', `/api/v2/users/${id}`, ['forgetful', 'forgetful-password']).send({ user: { password: 'new-password-1', current_password: 'forgetful-password' } }).expect(200);
  });

  it('stops accepting an old password cached by another instance as soon as it is changed', async () => {
    // A second instance on the same database: its own services, so its own cache of verified credentials.
    const other = createApp({ services: buildServices({ config: loadConfig({ env: {} }), dataSource: db.dataSource, logger: silentLogger(), clock: () => new Date() }), logger: silentLogger(), trustProxy: true });
    const id = await makeUser('rotator', 'rotator-password');
    await request(other).get('/api/v2/current_user').set('X-Forwarded-For', from).auth('rotator', 'rotator-password').expect(200);
    await call('put', `/api/v2/users/${id}`, admin).send({ user: { password: 'rotated-password-2' } }).expect(200);
    await request(other).get('/api/v2/current_user').set('X-Forwarded-For', from).auth('rotator', 'rotator-password').expect(401);
    await request(other).get('/api/v2/current_user').set('X-Forwarded-For', from).auth('rotator', 'rotated-password-2').expect(200);
  });

  it('shows a personal access token once, stores only its hash, accepts it as the Basic password until revoked', async () => {
    const id = await makeUser('scripter', 'scripter-password');
    const created = await call('post', `/api/v2/users/${id}/personal_access_tokens`, ['scripter', 'scripter-password']).send({ personal_access_token: { name: 'ci' } }).expect(201);
    const token = created.body.token_value as string;
    expect(token).toMatch(/^rex_pat_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: 'ci', user_id: id, active: true, revoked: false, expires_at: null });

    const listed = await call('get', `/api/v2/users/${id}/personal_access_tokens`, ['scripter', 'scripter-password']).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body.results).toEqual([expect.not.objectContaining({ token_value: expect.anything() })]);
    const stored = (await db.dataSource.query('SELECT token_hash FROM personal_access_tokens WHERE user_id = ?', [id])) as Array<{ token_hash: string }>;
    expect(stored[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored[0].token_hash).not.toContain(token);

    await call('get', '/api/v2/current_user', ['scripter', token]).expect(200);
    await call('get', '/api/v2/current_user', ['admin', token]).expect(401);
    await expect(services.auth.login('scripter', token, { method: 'session' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const last = (await call('get', `/api/v2/users/${id}/personal_access_tokens/${created.body.id}`, admin).expect(200)).body as { last_used_at: string | null };
    expect(last.last_used_at).not.toBeNull();

    const revoked = await call('delete', `/api/v2/users/${id}/personal_access_tokens/${created.body.id}`, ['scripter', token]).expect(200);
    expect(revoked.body).toMatchObject({ revoked: true, active: false });
    await call('get', '/api/v2/current_user', ['scripter', token]).expect(401);
  });

  it('stops accepting a token when it expires, even one verified moments before', async () => {
    const id = await makeUser('shortlived', 'shortlived-password');
    const expires = new Date(Date.now() + 1500).toISOString();
    const token = (await call('post', `/api/v2/users/${id}/personal_access_tokens`, admin).send({ personal_access_token: { name: 'brief', expires_at: expires } }).expect(201)).body.token_value as string;
    await call('get', '/api/v2/current_user', ['shortlived', token]).expect(200);
    await new Promise((r) => setTimeout(r, 1700));
    await call('get', '/api/v2/current_user', ['shortlived', token]).expect(401);
    const past = await call('post', `/api/v2/users/${id}/personal_access_tokens`, admin).send({ personal_access_token: { name: 'old', expires_at: '2001-01-01T00:00:00Z' } }).expect(400);
    expect(past.body.error.message).toBe('expires_at: must be in the future');
  });

  it("refuses one user's access to another user's tokens without manage_users", async () => {
    const a = await makeUser('tok-a', 'tok-a-password');
    await makeUser('tok-b', 'tok-b-password');
    const res = await call('get', `/api/v2/users/${a}/personal_access_tokens`, ['tok-b', 'tok-b-password']).expect(403);
    expect(res.body.error.message).toBe("access denied: listing another user's tokens needs the manage_users permission");
  });

  it('creates users with roles and taxonomies, and answers bad input with 400 naming the field and rule', async () => {
    const viewer = ((await call('get', '/api/v2/roles/Viewer', admin).expect(200)).body as { id: number; locked: boolean });
    expect(viewer.locked).toBe(true);
    const made = await call('post', '/api/v2/users', admin).send({ user: { login: 'newbie', password: 'newbie-password', mail: 'newbie@example.com', role_ids: [viewer.id] } }).expect(201);
    expect(made.body).toMatchObject({ login: 'newbie', mail: 'newbie@example.com', admin: false, disabled: false, roles: [{ id: viewer.id, name: 'Viewer' }], organizations: [], locations: [] });
    expect(JSON.stringify(made.body)).not.toMatch(/password|\$2[aby]\$/);

    const short = await call('post', '/api/v2/users', admin).send({ user: { login: 'x', password: 'short' } }).expect(400);
    expect(short.body.error.message).toBe('invalid body: user.password: must be at least 8 characters');
    const dup = await call('post', '/api/v2/users', admin).send({ user: { login: 'newbie', password: 'another-password' } }).expect(409);
    expect(dup.body.error.message).toBe("login: 'newbie' is already taken");
    // Unique without case on both databases (MariaDB's collation already compared so; SQLite took 'NEWBIE').
    const lookAlike = await call('post', '/api/v2/users', admin).send({ user: { login: 'NEWBIE', password: 'another-password' } }).expect(409);
    expect(lookAlike.body.error.message).toBe("login: 'NEWBIE' is already taken (as 'newbie': logins must differ by more than case)");
    const other = (await call('post', '/api/v2/users', admin).send({ user: { login: 'case-other', password: 'another-password' } }).expect(201)).body as { id: number };
    await call('put', `/api/v2/users/${other.id}`, admin).send({ user: { login: 'Admin' } }).expect(409);
    await call('put', `/api/v2/users/${other.id}`, admin).send({ user: { login: 'Case-Other' } }).expect(200);
    const badRole = await call('post', '/api/v2/users', admin).send({ user: { login: 'other', password: 'other-password', role_ids: [99999] } }).expect(400);
    expect(badRole.body.error).toMatchObject({ message: 'role_ids: no role with id 99999', details: { fields: [{ field: 'role_ids', rule: 'existing role ids' }] } });
  });

  it('lets users change their own password only with the current one, and never their roles', async () => {
    const id = await makeUser('selfish', 'selfish-password');
    const missing = await call('put', `/api/v2/users/${id}`, ['selfish', 'selfish-password']).send({ user: { password: 'new-password-1' } }).expect(400);
    expect(missing.body.error.message).toBe('current_password: is required to change your own password');
    await call('put', `/api/v2/users/${id}`, ['selfish', 'selfish-password']).send({ user: { password: 'new-password-1', current_password: 'wrong-password' } }).expect(400);
    await call('put', `/api/v2/users/${id}`, ['selfish', 'selfish-password']).send({ user: { password: 'new-password-1', current_password: 'selfish-password' } }).expect(200);
    await call('get', '/api/v2/current_user', ['selfish', 'selfish-password']).expect(401);
    await call('get', '/api/v2/current_user', ['selfish', 'new-password-1']).expect(200);
    await call('put', `/api/v2/users/${id}`, ['selfish', 'new-password-1']).send({ user: { role_ids: [1] } }).expect(403);
    await call('put', `/api/v2/users/${id}`, ['selfish', 'new-password-1']).send({ user: { admin: true } }).expect(403);
  });

  it('keeps administrators to administrators even for a user manager', async () => {
    const adminRole = ((await call('get', '/api/v2/roles/Admin', admin).expect(200)).body as { id: number }).id;
    await makeUser('usermgr', 'usermgr-password', { role_ids: [adminRole] });
    await call('get', '/api/v2/users', ['usermgr', 'usermgr-password']).expect(200);
    await call('post', '/api/v2/users', ['usermgr', 'usermgr-password']).send({ user: { login: 'sneaky', password: 'sneaky-password', admin: true } }).expect(403);
    await call('put', '/api/v2/users/admin', ['usermgr', 'usermgr-password']).send({ user: { password: 'taken-over-1' } }).expect(403);
    await call('delete', '/api/v2/users/admin', ['usermgr', 'usermgr-password']).expect(403);
  });

  it('refuses a disabled user, by password and by token', async () => {
    const id = await makeUser('leaver', 'leaver-password');
    const token = (await call('post', `/api/v2/users/${id}/personal_access_tokens`, ['leaver', 'leaver-password']).send({ personal_access_token: { name: 't' } }).expect(201)).body.token_value as string;
    await call('put', `/api/v2/users/${id}`, admin).send({ user: { disabled: true } }).expect(200);
    await call('get', '/api/v2/current_user', ['leaver', 'leaver-password']).expect(401);
    await call('get', '/api/v2/current_user', ['leaver', token]).expect(401);
  });

  it('locks built-in roles and validates filter searches, naming the key and the rule', async () => {
    const viewer = ((await call('get', '/api/v2/roles/Viewer', admin).expect(200)).body as { id: number });
    const locked = await call('put', `/api/v2/roles/${viewer.id}`, admin).send({ role: { description: 'mine now' } }).expect(400);
    expect(locked.body.error.message).toBe(`role Viewer is built in and locked; clone it (POST /api/v2/roles/${viewer.id}/clone) and change the clone`);
    await call('post', '/api/v2/filters', admin).send({ filter: { role_id: viewer.id, permissions: ['view_hosts'] } }).expect(400);

    const clone = (await call('post', `/api/v2/roles/${viewer.id}/clone`, admin).send({ role: { name: 'Viewer copy' } }).expect(201)).body as { id: number; builtin: boolean; cloned_from_id: number; filters: unknown[] };
    expect(clone).toMatchObject({ builtin: false, cloned_from_id: viewer.id });
    expect(clone.filters).toHaveLength(1);
    const bad = async (search: string, permissions: string[] = ['view_hosts']) => (await call('post', '/api/v2/filters', admin).send({ filter: { role_id: clone.id, permissions, search } }).expect(400)).body.error.message as string;
    expect(await bad('hostgroup = nowhere')).toBe("search: no hostgroup 'nowhere'");
    expect(await bad('colour = blue')).toMatch(/^search: unknown key 'colour'; a filter may use namespace, agent, action, name, job_template, hostgroup/);
    expect(await bad('namespace = package')).toBe("search: 'namespace' does not apply to view_hosts; view_hosts takes host conditions");
    expect(await bad('hostgroup = web or hostgroup = db')).toMatch(/^search: a filter is a list of 'key = value' or 'key \^ \(a, b\)' terms joined by 'and'/);
    expect(await bad('hostgroup ~ we')).toBe("search: operator '~' cannot be used in a filter (hostgroup); use = or ^");
    const unknownPermission = await call('post', '/api/v2/filters', admin).send({ filter: { role_id: clone.id, permissions: ['fly'] } }).expect(400);
    expect(unknownPermission.body.error.message).toMatch(/^permissions: unknown permission 'fly'; valid are view_hosts, view_jobs/);
    const ok = await call('post', '/api/v2/filters', admin).send({ filter: { role_id: clone.id, permission_ids: [3], search: 'namespace = rpcutil and action ^ (ping, inventory)' } }).expect(201);
    expect(ok.body).toMatchObject({ unlimited: false, role: { id: clone.id, name: 'Viewer copy' }, permissions: [{ id: 3, name: 'create_jobs', resource_type: 'JobInvocation' }] });
  });

  it('shows each user their own audit entries, and all of them with view_audit_logs, without secrets', async () => {
    const id = await makeUser('watched', 'watched-password');
    await call('put', `/api/v2/users/${id}`, admin).send({ user: { password: 'rotated-password-1' } }).expect(200);
    await call('get', '/api/v2/current_user', ['watched', 'rotated-password-1']).expect(200);
    const own = (await call('get', '/api/v2/audits?per_page=1000', ['watched', 'rotated-password-1']).expect(200)).body as { total: number; results: Array<{ user_name: string; action: string }> };
    expect(own.results.length).toBeGreaterThan(0);
    expect(own.results.every((a) => a.user_name === 'watched')).toBe(true);
    const all = (await call('get', `/api/v2/audits?search=${encodeURIComponent(`type = User and auditable_id = ${id}`)}`, admin).expect(200)).body as { results: Array<{ action: string; user_name: string; audited_changes: Record<string, unknown> | null }> };
    expect(all.results.map((a) => `${a.user_name} ${a.action}`)).toEqual(expect.arrayContaining(['admin update', 'admin create', 'watched login']));
    const update = all.results.find((a) => a.action === 'update')!;
    expect(update.audited_changes).toEqual({ password: '[FILTERED]' });
    expect(JSON.stringify(all)).not.toContain('rotated-password-1');
    const bad = await call('get', `/api/v2/audits?search=${encodeURIComponent('colour = blue')}`, admin).expect(400);
    expect(bad.body.error.message).toMatch(/^search: unknown field 'colour'/);
  });

  it('tells each user what they may do', async () => {
    const me = (await call('get', '/api/v2/current_user', admin).expect(200)).body as { login: string; admin: boolean; permissions: string[] };
    expect(me).toMatchObject({ login: 'admin', admin: true });
    expect(me.permissions).toContain('manage_users');
    await makeUser('nobody-special', 'nobody-password');
    const plain = (await call('get', '/api/v2/current_user', ['nobody-special', 'nobody-password']).expect(200)).body as { permissions: string[] };
    expect(plain.permissions).toEqual([]);
    await call('get', '/api/v2/hosts', ['nobody-special', 'nobody-password']).expect(403);
  });
});
