/**
 * The web UI's login over HTTP on SQLite and MariaDB: passport-local through `auth.login` (rate
 * limit and audit), the session cookie, CSRF, the full current user behind a cookie (roles and
 * filters count as for HTTP Basic), sessions shared by two ui-extension instances on one
 * database, ended by a password change or reset on every instance, and ended at their absolute
 * lifetime however busy. HTTP Basic must stay as it was.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@server/config';
import { silentLogger } from '@server/logger';
import { startServer, type RunningServer } from '@server/server';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const PASSWORD = 'session-test-password';
const USER_PASSWORD = 'a-long-user-password';
const BASIC = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

function configFor(database: OpenTestDataSource['database'], dir: string, more: Record<string, unknown> = {}) {
  return loadConfig({
    env: {},
    overrides: {
      ...more,
      'http.port': 0,
      'database.type': database.type,
      'database.url': database.url,
      'database.sqlite_path': database.sqlite_path,
      'admin.password': PASSWORD,
      'admin.password_file': path.join(dir, 'initial-admin-password'),
      'proxies.sync_interval_s': 0,
      // Small, so the rate-limit test needs few attempts; every other test fails at most once per login.
      'auth.max_failed_logins_per_user': 3,
    },
  });
}

interface Login {
  cookie: string;
  csrf: string;
  setCookie: string;
  body: { user: { login: string; admin: boolean }; csrf_token: string };
}

async function login(server: RunningServer, password = PASSWORD, user = 'admin'): Promise<Response> {
  return fetch(`${server.url}/api/v2/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: user, password }) });
}

async function loggedIn(server: RunningServer, user = 'admin', password = PASSWORD): Promise<Login> {
  const res = await login(server, password, user);
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as Login['body'];
  return { cookie: setCookie.split(';')[0], csrf: body.csrf_token, setCookie, body };
}

describe.each(testDatabases())('browser sessions on $kind', (db) => {
  let scratch: OpenTestDataSource;
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    scratch = await openTestDataSource(db);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-session-'));
    a = await startServer({ config: configFor(scratch.database, dir), logger: silentLogger(), migrate: false });
    b = await startServer({ config: configFor(scratch.database, dir), logger: silentLogger(), migrate: false });
  });

  async function roleId(name: string): Promise<number> {
    const res = await fetch(`${a.url}/api/v2/roles/${encodeURIComponent(name)}`, { headers: { authorization: BASIC } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: number }).id;
  }

  async function createUser(userLogin: string, roleIds: number[]): Promise<number> {
    const res = await fetch(`${a.url}/api/v2/users`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: BASIC }, body: JSON.stringify({ user: { login: userLogin, password: USER_PASSWORD, role_ids: roleIds } }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  }

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await scratch?.close();
  });

  it('answers the user and a CSRF token and sets an HttpOnly SameSite=Lax cookie when the password is right', async () => {
    const session = await loggedIn(a);
    expect(session.body.user).toMatchObject({ login: 'admin', admin: true });
    expect(session.csrf).toMatch(/^[\w-]{40,}$/);
    expect(session.setCookie).toMatch(/^rex_session=[\w-]{40,};/);
    expect(session.setCookie).toMatch(/HttpOnly/i);
    expect(session.setCookie).toMatch(/SameSite=Lax/i);
    expect(session.setCookie).toMatch(/Path=\//);
  });

  it('answers 401 and sets no cookie when the password is wrong', async () => {
    const res = await login(a, 'not-the-password');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('login or password is wrong');
  });

  it('answers 400 naming the field when the login is missing', async () => {
    const res = await fetch(`${a.url}/api/v2/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'x' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('invalid body: login: is required');
  });

  it('answers the same user and CSRF token on GET for a valid cookie, and 401 without one', async () => {
    const session = await loggedIn(a);
    const res = await fetch(`${a.url}/api/v2/session`, { headers: { cookie: session.cookie } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(session.body);
    expect((await fetch(`${a.url}/api/v2/session`)).status).toBe(401);
    expect((await fetch(`${a.url}/api/v2/session`, { headers: { cookie: 'rex_session=forged-token-forged-token-forged' } })).status).toBe(401);
  });

  it('authenticates API reads with the cookie alone', async () => {
    const session = await loggedIn(a);
    expect((await fetch(`${a.url}/api/v2/hosts`, { headers: { cookie: session.cookie } })).status).toBe(200);
    expect((await fetch(`${a.url}/api/v2/hosts`)).status).toBe(401);
  });

  it('answers 403 naming the header when a cookie-authenticated POST carries no or a wrong CSRF token', async () => {
    const session = await loggedIn(a);
    const post = (headers: Record<string, string>) => fetch(`${a.url}/api/v2/remote_execution/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: session.cookie, ...headers }, body: '{}' });
    const missing = await post({});
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/^X-CSRF-Token: /);
    expect((await post({ 'x-csrf-token': `${session.csrf}x` })).status).toBe(403);
    // With the token the request passes authentication and reaches validation.
    const passed = await post({ 'x-csrf-token': session.csrf });
    expect(passed.status).toBe(400);
    expect(((await passed.json()) as { error: { message: string } }).error.message).toMatch(/^invalid body: job/);
  });

  it('keeps HTTP Basic working without any cookie or CSRF token', async () => {
    const res = await fetch(`${a.url}/api/v2/remote_execution/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: BASIC }, body: '{}' });
    expect(res.status).toBe(400);
    expect((await fetch(`${a.url}/api/v2/hosts`, { headers: { authorization: BASIC } })).status).toBe(200);
  });

  it('accepts a session opened on one instance on another sharing the database, and a logout on either ends it on both', async () => {
    const session = await loggedIn(a);
    expect((await fetch(`${b.url}/api/v2/session`, { headers: { cookie: session.cookie } })).status).toBe(200);
    expect((await fetch(`${b.url}/api/v2/hosts`, { headers: { cookie: session.cookie } })).status).toBe(200);

    const noCsrf = await fetch(`${b.url}/api/v2/session`, { method: 'DELETE', headers: { cookie: session.cookie } });
    expect(noCsrf.status).toBe(403);
    const out = await fetch(`${b.url}/api/v2/session`, { method: 'DELETE', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^rex_session=;/);

    expect((await fetch(`${a.url}/api/v2/session`, { headers: { cookie: session.cookie } })).status).toBe(401);
    expect((await fetch(`${a.url}/api/v2/hosts`, { headers: { cookie: session.cookie } })).status).toBe(401);
    const rows = (await scratch.dataSource.query('SELECT COUNT(*) AS n FROM user_sessions WHERE id IS NOT NULL')) as Array<{ n: number | string }>;
    expect(Number(rows[0].n)).toBeGreaterThan(0);
  });

  it('answers 429 with the limit in the message once a login failed too often, even for the right password', async () => {
    await createUser('often-wrong', []);
    for (let i = 0; i < 3; i++) expect((await login(a, 'not-the-password', 'often-wrong')).status).toBe(401);
    const res = await login(a, USER_PASSWORD, 'often-wrong');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^too many failed logins for this login from your address; try again in \d+ s$/);
  });

  it('audits a session login and a refused one with the method session', async () => {
    await loggedIn(a);
    await login(a, 'not-the-password-either');
    const audits = (await (await fetch(`${a.url}/api/v2/audits?per_page=1000&search=${encodeURIComponent('type = User')}`, { headers: { authorization: BASIC } })).json()) as { results: Array<{ action: string; audited_changes: Record<string, unknown> | null }> };
    const session = audits.results.filter((r) => r.audited_changes?.method === 'session').map((r) => r.action);
    expect(session).toEqual(expect.arrayContaining(['login', 'login_failed']));
  });

  it('refuses a personal access token as the password of a session login', async () => {
    const userId = await createUser('token-owner', []);
    const token = (await (await fetch(`${a.url}/api/v2/users/${userId}/personal_access_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: BASIC }, body: JSON.stringify({ personal_access_token: { name: 'web' } }) })).json()) as { token_value: string };
    expect(token.token_value).toMatch(/^rex_pat_/);
    expect((await login(a, token.token_value, 'token-owner')).status).toBe(401);
    expect((await fetch(`${a.url}/api/v2/current_user`, { headers: { authorization: `Basic ${Buffer.from(`token-owner:${token.token_value}`).toString('base64')}` } })).status).toBe(200);
  });

  it('applies the roles of a cookie user: a Viewer reads hosts but may not list namespaces to run (403 with the API message)', async () => {
    await createUser('web-viewer', [await roleId('Viewer')]);
    const session = await loggedIn(a, 'web-viewer', USER_PASSWORD);
    expect(session.body.user).toMatchObject({ login: 'web-viewer', admin: false });
    expect((await fetch(`${a.url}/api/v2/hosts`, { headers: { cookie: session.cookie } })).status).toBe(200);
    const me = (await (await fetch(`${a.url}/api/v2/current_user`, { headers: { cookie: session.cookie } })).json()) as { login: string; admin: boolean };
    expect(me).toMatchObject({ login: 'web-viewer', admin: false });
    const refused = await fetch(`${a.url}/api/v2/remote_execution/namespaces`, { headers: { cookie: session.cookie } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/create_jobs/) });
  });

  it('ends a session at once when its user is disabled', async () => {
    const userId = await createUser('soon-disabled', [await roleId('Viewer')]);
    const session = await loggedIn(a, 'soon-disabled', USER_PASSWORD);
    expect((await fetch(`${a.url}/api/v2/hosts`, { headers: { cookie: session.cookie } })).status).toBe(200);
    const put = await fetch(`${a.url}/api/v2/users/${userId}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: BASIC }, body: JSON.stringify({ user: { disabled: true } }) });
    expect(put.status).toBe(200);
    expect((await fetch(`${b.url}/api/v2/hosts`, { headers: { cookie: session.cookie } })).status).toBe(401);
    expect((await fetch(`${a.url}/api/v2/session`, { headers: { cookie: session.cookie } })).status).toBe(401);
  });

  it('stores only a hash of the cookie token', async () => {
    const session = await loggedIn(a);
    const token = session.cookie.split('=')[1];
    const rows = (await scratch.dataSource.query('SELECT id FROM user_sessions')) as Array<{ id: string }>;
    expect(rows.map((r) => r.id)).not.toContain(token);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.id))).toBe(true);
  });
  async function changeOwnPassword(server: RunningServer, session: Login, userId: number, current: string, next: string): Promise<Response> {
    return fetch(`${server.url}/api/v2/users/${userId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
      body: JSON.stringify({ user: { password: next, current_password: current } }),
    });
  }

  it('ends every other session of a user on every instance when they change their own password, keeping the one they changed it in', async () => {
    const userId = await createUser('rotating-self', [await roleId('Viewer')]);
    const here = await loggedIn(a, 'rotating-self', USER_PASSWORD);
    const elsewhere = await loggedIn(b, 'rotating-self', USER_PASSWORD);
    expect((await fetch(`${b.url}/api/v2/hosts`, { headers: { cookie: elsewhere.cookie } })).status).toBe(200);
    expect((await changeOwnPassword(a, here, userId, USER_PASSWORD, 'a-brand-new-password')).status).toBe(200);
    expect((await fetch(`${b.url}/api/v2/hosts`, { headers: { cookie: elsewhere.cookie } })).status).toBe(401);
    expect((await fetch(`${a.url}/api/v2/session`, { headers: { cookie: elsewhere.cookie } })).status).toBe(401);
    expect((await fetch(`${b.url}/api/v2/hosts`, { headers: { cookie: here.cookie } })).status).toBe(200);
    expect((await fetch(`${a.url}/api/v2/session`, { headers: { cookie: here.cookie } })).status).toBe(200);
    const rows = (await scratch.dataSource.query('SELECT COUNT(*) AS n FROM user_sessions WHERE user_id = ?', [userId])) as Array<{ n: number | string }>;
    expect(Number(rows[0].n)).toBe(1);
  });

  it('ends every session of a user when an administrator resets the password', async () => {
    const userId = await createUser('reset-by-admin', [await roleId('Viewer')]);
    const first = await loggedIn(a, 'reset-by-admin', USER_PASSWORD);
    const second = await loggedIn(b, 'reset-by-admin', USER_PASSWORD);
    const put = await fetch(`${b.url}/api/v2/users/${userId}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: BASIC }, body: JSON.stringify({ user: { password: 'reset-password-1' } }) });
    expect(put.status).toBe(200);
    for (const session of [first, second]) {
      for (const server of [a, b]) expect((await fetch(`${server.url}/api/v2/hosts`, { headers: { cookie: session.cookie } })).status).toBe(401);
    }
    expect((await login(a, 'reset-password-1', 'reset-by-admin')).status).toBe(200);
  });

  it('refuses a session opened with a password the user no longer has, even when the change bypassed the API', async () => {
    await createUser('changed-in-sql', []);
    const session = await loggedIn(a, 'changed-in-sql', USER_PASSWORD);
    await scratch.dataSource.query("UPDATE users SET password_hash = ? WHERE login = 'changed-in-sql'", ['$2a$11$abcdefghijklmnopqrstuu0123456789abcdefghijklmnopqrstv']);
    expect((await fetch(`${b.url}/api/v2/session`, { headers: { cookie: session.cookie } })).status).toBe(401);
  });

  it('marks the cookie Secure when a trusted proxy says the request came over TLS, and not when an untrusted peer says so', async () => {
    expect((await loggedIn(a)).setCookie).not.toMatch(/;\s*Secure/i);
    // X-Forwarded-Proto from a peer that is not a trusted proxy (a's trust_proxy is empty) does not count.
    const spoofed = await fetch(`${a.url}/api/v2/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ login: 'admin', password: PASSWORD }) });
    expect(spoofed.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-session-'));
    const behindProxy = await startServer({ config: configFor(scratch.database, dir, { 'http.trust_proxy': 'loopback' }), logger: silentLogger(), migrate: false });
    try {
      const viaProxy = await fetch(`${behindProxy.url}/api/v2/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ login: 'admin', password: PASSWORD }) });
      expect(viaProxy.status).toBe(200);
      expect(viaProxy.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
      const plain = await fetch(`${behindProxy.url}/api/v2/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: PASSWORD }) });
      expect(plain.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
    } finally {
      await behindProxy.close();
    }
  });

  it('ends a session at its absolute lifetime however busy it is, and never sets a cookie expiring later', async () => {
    let now = new Date('2026-05-01T08:00:00Z');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-session-'));
    const clocked = await startServer({
      config: configFor(scratch.database, dir, { 'http.session_idle_timeout_s': 1800, 'http.session_max_lifetime_s': 3600 }),
      logger: silentLogger(),
      migrate: false,
      clock: () => now,
    });
    try {
      const session = await loggedIn(clocked);
      const expires = new Date(/Expires=([^;]+)/i.exec(session.setCookie)![1]);
      expect(expires.getTime()).toBeLessThanOrEqual(now.getTime() + 1800_000);
      // Busy: a request every 20 minutes, well inside the 30-minute idle timeout.
      for (let minutes = 20; minutes < 60; minutes += 20) {
        now = new Date(now.getTime() + 20 * 60_000);
        expect([minutes, (await fetch(`${clocked.url}/api/v2/hosts`, { headers: { cookie: session.cookie } })).status]).toEqual([minutes, 200]);
      }
      now = new Date(Date.parse('2026-05-01T09:00:00Z'));
      expect((await fetch(`${clocked.url}/api/v2/hosts`, { headers: { cookie: session.cookie } })).status).toBe(401);
      expect((await fetch(`${clocked.url}/api/v2/session`, { headers: { cookie: session.cookie } })).status).toBe(401);
    } finally {
      await clocked.close();
    }
  });
});
