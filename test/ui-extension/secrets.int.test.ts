/**
 * Secrets (passwords, tokens, the database password, private keys, broker credentials) never
 * appear in logs, errors or API output (issue #8): a whole server and a whole proxy run with every
 * log line captured at trace level, and every body and line is searched for the secrets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProxyProto } from '@protos/load';
import { loadConfig as loadProxyConfig } from '@proxy/config';
import { createLogger as createProxyLogger } from '@proxy/logger';
import { runProxy } from '@proxy/main';
import { loadConfig } from '@server/config';
import { createLogger } from '@server/logger';
import { startServer } from '@server/server';
import { openTestDataSource, testDatabases } from '@test/support/databases';
import { makePki, type TestPki } from '@test/support/pki';
import { withCallerSecret } from '@test/support/proxy-secret';

const CALLER_SECRET = 'caller-Secret-of-the-proxy-0123456789abcdef';

jest.setTimeout(90_000);

const ADMIN_PASSWORD = 'admin-secret-Pw-1';
const USER_PASSWORD = 'user-secret-Pw-2';
const WRONG_PASSWORD = 'wrong-secret-Pw-3';

function captured() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe.each(testDatabases())('secrets on $kind', (database) => {
  let pki: TestPki;

  beforeAll(() => {
    pki = makePki();
  });

  afterAll(() => {
    pki?.cleanup();
  });

  it('never shows a password, token, hash or key in API bodies or log lines of a whole session', async () => {
    const scratch = await openTestDataSource(database, { migrate: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-secrets-'));
    const client = pki.issue('foreman.example.com', { usage: 'client' });
    const log = captured();
    const config = loadConfig({
      env: {},
      overrides: {
        'http.port': 0, 'database.type': scratch.database.type, 'database.url': scratch.database.url, 'database.sqlite_path': scratch.database.sqlite_path,
        'admin.password': ADMIN_PASSWORD, 'admin.password_file': path.join(dir, 'pw'), 'proxies.sync_interval_s': 0, 'log.level': 'trace',
        'proxies.tls.ca_file': pki.ca, 'proxies.tls.cert_file': client.cert, 'proxies.tls.key_file': client.key,
      },
    });
    const server = await startServer({ config, logger: createLogger({ level: 'trace', destination: log.destination }), migrate: true });
    const bodies: string[] = [];
    const call = async (method: string, url: string, auth: [string, string], body?: unknown) => {
      const res = await fetch(`${server.url}${url}`, {
        method,
        headers: { authorization: `Basic ${Buffer.from(auth.join(':')).toString('base64')}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      bodies.push(text);
      return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    try {
      const admin: [string, string] = ['admin', ADMIN_PASSWORD];
      const user = await call('POST', '/api/v2/users', admin, { user: { login: 'carrier', password: USER_PASSWORD } });
      expect(user.status).toBe(201);
      const token = await call('POST', `/api/v2/users/${String(user.json.id)}/personal_access_tokens`, ['carrier', USER_PASSWORD], { personal_access_token: { name: 'secret-test' } });
      const tokenValue = String(token.json.token_value);
      bodies.pop();
      expect((await call('GET', '/api/v2/current_user', ['carrier', tokenValue])).status).toBe(200);
      expect((await call('GET', '/api/v2/current_user', ['carrier', WRONG_PASSWORD])).status).toBe(401);
      await call('PUT', `/api/v2/users/${String(user.json.id)}`, admin, { user: { password: `${USER_PASSWORD}-next` } });
      for (const url of ['/api/v2/users', `/api/v2/users/${String(user.json.id)}`, `/api/v2/users/${String(user.json.id)}/personal_access_tokens`, '/api/v2/audits?per_page=1000', '/api/v2/current_user', '/api/v2/status', '/api/v2/roles', '/api/v2/filters']) {
        expect((await call('GET', url, admin)).status).toBe(200);
      }
      const hashes = ((await scratch.dataSource.query('SELECT password_hash FROM users')) as Array<{ password_hash: string }>).map((r) => r.password_hash);
      const tokenHashes = ((await scratch.dataSource.query('SELECT token_hash FROM personal_access_tokens')) as Array<{ token_hash: string }>).map((r) => r.token_hash);
      const keyBody = fs.readFileSync(client.key, 'utf8').split('\n')[1];
      const secrets = [ADMIN_PASSWORD, USER_PASSWORD, `${USER_PASSWORD}-next`, WRONG_PASSWORD, tokenValue, keyBody, ...hashes, ...tokenHashes];
      expect(log.lines.length).toBeGreaterThan(5);
      for (const [where, texts] of [['API bodies', bodies], ['log lines', log.lines]] as const) {
        const found = secrets.filter((secret) => texts.some((t) => t.includes(secret)));
        expect({ where, found }).toEqual({ where, found: [] });
      }
    } finally {
      await server.close();
      await scratch.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('secrets at startup', () => {
  it('keeps the database password out of the startup error and the log', async () => {
    const log = captured();
    const config = loadConfig({ env: {}, overrides: { 'http.port': 0, 'database.type': 'mysql', 'database.url': 'mysql://root:db-Secret-pw@127.0.0.1:1/none', 'log.level': 'trace' } });
    const error = await startServer({ config, logger: createLogger({ level: 'trace', destination: log.destination }), migrate: true }).then(() => undefined, (e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(`${error?.message} ${String((error as { cause?: unknown })?.cause)}`).not.toContain('db-Secret-pw');
    expect(log.lines.join('\n')).not.toContain('db-Secret-pw');
  });

  it('keeps a wrong secret value out of the configuration error', () => {
    expect(() => loadConfig({ env: { UI_EXTENSION_DATABASE_URL: 'not a url with pw-Secret-9' } })).toThrow(/database\.url .*\[secret\]/);
    expect(() => loadConfig({ env: { UI_EXTENSION_DATABASE_URL: 'not a url with pw-Secret-9' } })).not.toThrow(/pw-Secret-9/);
  });

  it('keeps broker credentials, the caller secret and private keys out of the proxy log and its GetInfo', async () => {
    const pki = makePki();
    const log = captured();
    const serverCert = pki.issue('localhost', { dns: ['localhost'], usage: 'server' });
    const client = pki.issue('foreman.example.com', { usage: 'client' });
    const proxy = await runProxy(loadProxyConfig({
      env: {
        PROXY_PLUGIN_GRPC_PORT: '0', PROXY_PLUGIN_TRANSPORT: 'choria', PROXY_PLUGIN_SECURITY_MODE: 'insecure', PROXY_PLUGIN_LOG_LEVEL: 'trace', PROXY_PLUGIN_AUDIT_FILE: '/dev/null',
        // Nothing listens on port 1: the proxy retries in the background and logs each attempt.
        PROXY_PLUGIN_NATS_URL: 'nats://natsuser:nats-Secret-pw@127.0.0.1:1',
        PROXY_PLUGIN_GRPC_TLS_CERT_FILE: serverCert.cert, PROXY_PLUGIN_GRPC_TLS_KEY_FILE: serverCert.key, PROXY_PLUGIN_GRPC_TLS_CLIENT_CA_FILE: pki.ca, PROXY_PLUGIN_GRPC_TLS_TRUSTED_CLIENTS: 'foreman.example.com',
        PROXY_PLUGIN_GRPC_CALLER_SECRET: CALLER_SECRET,
      },
    }), createProxyLogger({ level: 'trace', destination: log.destination }));
    const rpc = new (loadProxyProto().rex.proxy.v1.ProxyService)(`localhost:${proxy.port}`, grpc.credentials.createSsl(fs.readFileSync(pki.ca), fs.readFileSync(client.key), fs.readFileSync(client.cert)), { interceptors: [withCallerSecret(CALLER_SECRET)] });
    try {
      const info = await new Promise<{ broker_url: string }>((resolve, reject) => rpc.GetInfo({}, (e, v) => (e ? reject(e) : resolve(v as { broker_url: string }))));
      expect(info.broker_url).toBe('nats://127.0.0.1:1');
      await new Promise((r) => setTimeout(r, 300));
      const text = log.lines.join('\n');
      expect(text).toContain('broker unreachable');
      expect(text).toContain('"callerSecret":true');
      for (const secret of ['nats-Secret-pw', CALLER_SECRET, fs.readFileSync(serverCert.key, 'utf8').split('\n')[1]]) expect(text).not.toContain(secret);
    } finally {
      rpc.close();
      await proxy.stop();
      pki.cleanup();
    }
  });
});
