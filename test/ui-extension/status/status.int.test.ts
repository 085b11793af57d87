/**
 * The health checks of issue #27 on the real server (startServer) and real databases: /livez,
 * /readyz and /api/v2/status answer from the background monitors, so a proxy that accepts
 * connections and never answers (what a SIGSTOPped process looks like on the network) does not slow
 * them; a database that stops answering is named by the kind of failure, never by its address.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@server/config';
import { createDataSource } from '@server/data-source';
import { silentLogger } from '@server/logger';
import { startServer, type RunningServer } from '@server/server';
import { describeDatabaseFailure } from '@server/status/database-health';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';
import { mysqlTestUrl, openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { ADMIN_PASSWORD, AUTH, seedInventory } from '@test/ui-extension/jobs/support/job-stack';

jest.setTimeout(60_000);

function configFor(database: OpenTestDataSource['database'], overrides: Record<string, unknown> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-status-'));
  return loadConfig({
    env: {},
    overrides: {
      'http.port': 0,
      'database.type': database.type,
      'database.url': database.url,
      'database.sqlite_path': database.sqlite_path,
      'admin.password': ADMIN_PASSWORD,
      'admin.password_file': path.join(dir, 'initial-admin-password'),
      'proxies.sync_interval_s': 0,
      'proxies.plaintext': true,
      'proxies.caller_secret': TEST_PROXY_SECRET,
      'health.database_interval_ms': 200,
      'health.proxy_interval_ms': 300,
      'health.timeout_ms': 500,
      'health.proxy_failures': 2,
      ...overrides,
    },
  });
}

async function timed(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, body, ms: Date.now() - started };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP listener that accepts connections and never says a word, like a stopped process. */
async function silentListener(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A TCP forwarder to the test MariaDB that can be cut: the server then sees its database vanish. */
async function cuttableForwarder(target: URL): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 3306), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

describe.each(testDatabases())('health checks on $kind', (database) => {
  let db: OpenTestDataSource | undefined;
  let server: RunningServer | undefined;
  let hung: Awaited<ReturnType<typeof silentListener>> | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await hung?.close();
    hung = undefined;
    await db?.close();
    db = undefined;
  });

  it('answers /api/v2/status and /readyz in under a second while a proxy hangs, and shows the proxy offline within seconds', async () => {
    db = await openTestDataSource(database);
    hung = await silentListener();
    const { proxyIds } = await seedInventory(db.dataSource, { hostgroups: [], proxies: [{ name: 'hung-proxy', url: `127.0.0.1:${hung.port}`, capabilities: ['remote_execution'] }], hosts: [] });
    const proxyId = proxyIds.get('hung-proxy')!;
    server = await startServer({ config: configFor(db.database), logger: silentLogger(), migrate: false });
    const started = Date.now();

    const proxy = await until('the hung proxy', async () => (await timed(`${server!.url}/api/v2/smart_proxies/${proxyId}`, { headers: { authorization: AUTH } })).body,
      (p) => p.status === 'offline');
    const offlineAfterMs = Date.now() - started;
    expect(proxy).toMatchObject({ status: 'offline', status_checked_at: expect.any(String), status_reason: expect.stringMatching(/DEADLINE|deadline|no answer/i) });
    expect(Date.now() - Date.parse(proxy.status_checked_at as string)).toBeLessThan(3000);

    const calls = [];
    for (let i = 0; i < 10; i++) {
      calls.push(await timed(`${server.url}/api/v2/status`));
      calls.push(await timed(`${server.url}/api/v2/status`, { headers: { authorization: AUTH } }));
      calls.push(await timed(`${server.url}/readyz`));
    }
    for (const c of calls) expect(c.ms).toBeLessThan(1000);
    const [anonymous, admin, ready] = calls;
    expect(anonymous).toMatchObject({ status: 200, body: { result: 'degraded', database: { reachable: true, writable: true } } });
    expect(anonymous.body.smart_proxies).toBeUndefined();
    expect(admin.body.smart_proxies).toEqual([expect.objectContaining({ id: proxyId, name: 'hung-proxy', reachable: false, status: 'offline', checked_at: expect.any(String) })]);
    // A dead proxy is every instance's problem: it does not take this one out of the balancer.
    // Counted, never named: /readyz is anonymous.
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', database: { reachable: true, writable: true }, smart_proxies: { online: 0, offline: 1, unknown: 0 } } });
    expect(JSON.stringify(ready.body)).not.toContain('hung-proxy');
    expect(await timed(`${server.url}/healthz`)).toMatchObject({ status: 200, body: { status: 'alive' } });
    expect(await timed(`${server.url}/livez`)).toMatchObject({ status: 200, body: { status: 'alive' } });
    expect(server.services.proxyHealth.isDown(proxyId)).toBe(true);
    process.stdout.write(`health check figures (${database.kind}): ${JSON.stringify({ offlineAfterMs, slowestStatusMs: Math.max(...calls.map((c) => c.ms)) })}\n`);
  });

  if (database.kind === 'mysql') {
    it('names neither address nor credentials in /api/v2/status when the database stops answering', async () => {
      db = await openTestDataSource(database);
      const target = new URL(db.database.url!);
      const forwarder = await cuttableForwarder(target);
      const viaForwarder = new URL(db.database.url!);
      viaForwarder.port = String(forwarder.port);
      viaForwarder.username = 'root';
      server = await startServer({ config: configFor({ ...db.database, url: viaForwarder.toString() }), logger: silentLogger(), migrate: false });
      expect((await timed(`${server.url}/readyz`)).status).toBe(200);

      await forwarder.cut();
      // A write that fails on the cut connection may turn /readyz 503 first; the ping follows.
      const down = await until('/readyz', () => timed(`${server!.url}/readyz`), (r) => r.status === 503 && (r.body.database as { reachable: boolean }).reachable === false);
      const status = await timed(`${server.url}/api/v2/status`);
      expect(status.ms).toBeLessThan(1000);
      expect(status).toMatchObject({ status: 503, body: { result: 'degraded', database: { reachable: false, error: expect.any(String) } } });
      for (const text of [JSON.stringify(status.body), JSON.stringify(down.body)]) {
        expect(text).not.toContain('127.0.0.1');
        expect(text).not.toContain(String(forwarder.port));
        expect(text).not.toContain(target.pathname.slice(1));
      }
      expect(down.body).toMatchObject({ status: 'not_ready', database: { reachable: false, reason: expect.stringMatching(/connection (refused|lost)|no answer/) }, smart_proxies: { online: 0, offline: 0, unknown: 0 } });
      // The process itself still answers: liveness stays 200 while readiness is 503.
      expect(await timed(`${server.url}/healthz`)).toMatchObject({ status: 200, body: { status: 'alive' } });
    });

    it('describes a failed connection to an unknown host without its name or the password', async () => {
      const url = new URL(mysqlTestUrl());
      url.hostname = 'rex-secret-db-host.invalid';
      url.username = 'rex';
      url.password = 'hunter2-secret';
      const unreachable = createDataSource({ type: 'mysql', url: url.toString(), sqlite_path: ':memory:', pool_size: 1 });
      const error = await unreachable.initialize().then(() => undefined, (e: unknown) => e);
      expect(error).toBeDefined();
      const reason = describeDatabaseFailure(error);
      expect(reason).toBe('host name not resolved');
      expect(reason).not.toMatch(/rex-secret|hunter2/);
    });
  }
});
