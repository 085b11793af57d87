/**
 * Logins while MariaDB cannot be reached: the ui-extension reaches the database through a loopback
 * TCP relay that the test cuts and restores, so the driver sees real refused and dropped connections.
 * A login that could not be checked answers 503 with an error body and is not a failed guess: more of
 * them than the lockout allows leave the user able to log in once the database is back.
 */
import net from 'node:net';
import type { Express } from 'express';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@server/config';
import { createDataSource } from '@server/data-source';
import { createApp } from '@server/http/app';
import { silentLogger } from '@server/logger';
import { buildServices } from '@server/services';
import { openTestDataSource, type OpenTestDataSource } from '@test/support/databases';

const ADMIN_PASSWORD = 'admin-password-1';

/** A TCP relay to the MariaDB server that can be cut (every connection dropped, new ones refused) and restored on the same port. */
function tcpRelay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () => new Promise<void>((resolve) => {
    server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.once('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    server.listen(port, '127.0.0.1', () => {
      port = (server!.address() as net.AddressInfo).port;
      resolve();
    });
  });
  return {
    listen,
    get port() {
      return port;
    },
    cut: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server!.close(() => resolve());
    }),
  };
}

describe('logins while the database is down (MariaDB)', () => {
  let db: OpenTestDataSource;
  let viaRelay: DataSource;
  let relay: ReturnType<typeof tcpRelay>;
  let app: Express;

  beforeAll(async () => {
    db = await openTestDataSource('mysql');
    const url = new URL(db.database.url!);
    relay = tcpRelay({ host: url.hostname, port: Number(url.port || 3306) });
    await relay.listen();
    url.hostname = '127.0.0.1';
    url.port = String(relay.port);
    viaRelay = createDataSource({ ...db.database, url: url.toString() });
    await viaRelay.initialize();
    const config = loadConfig({ env: {}, overrides: { 'admin.password': ADMIN_PASSWORD, 'admin.password_file': '/dev/null' } });
    const services = buildServices({ config, dataSource: viaRelay, logger: silentLogger(), clock: () => new Date() });
    await services.auth.ensureAdmin({ password: ADMIN_PASSWORD, passwordFile: '/dev/null' });
    app = createApp({ services, logger: silentLogger(), trustProxy: true });
  });

  afterAll(async () => {
    if (viaRelay?.isInitialized) await viaRelay.destroy().catch(() => undefined);
    await db?.close();
  });

  it('answers 503 and counts no failed login when the credentials could not be checked', async () => {
    await relay.cut();
    // More than the per-user (10) lockout, with the right and a wrong password.
    for (let i = 0; i < 12; i++) {
      const res = await request(app).get('/api/v2/current_user').set('X-Forwarded-For', '198.51.100.7').auth('admin', i % 2 === 0 ? ADMIN_PASSWORD : 'wrong-password');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: { code: 'UNAVAILABLE', message: 'the database is unavailable; retry later' } });
    }
    await relay.listen();
    // The pool may hand out a connection the cut killed before it notices; the first try may still be 503.
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await request(app).get('/api/v2/current_user').set('X-Forwarded-For', '198.51.100.7').auth('admin', ADMIN_PASSWORD)).status;
      expect([200, 503]).toContain(status);
    }
    expect(status).toBe(200);
  });
});
