/**
 * Security headers (helmet) on API and web UI responses of the real app on both databases, and
 * what changes when a request arrives over TLS: served by node's https server around the same app,
 * HSTS is sent and the session cookie is Secure without any configuration.
 */
import fs from 'node:fs';
import https from 'node:https';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { loadConfig } from '@server/config';
import { createApp } from '@server/http/app';
import { silentLogger } from '@server/logger';
import { buildServices } from '@server/services';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { makePki, type TestPki } from '@test/support/pki';

const PASSWORD = 'headers-test-password';

describe.each(testDatabases())('security headers on $kind', (database) => {
  let db: OpenTestDataSource;
  let app: Express;
  let webRoot: string;
  let pki: TestPki;
  let tls: Server;
  let tlsUrl: string;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const config = loadConfig({ env: {}, overrides: { 'admin.password': PASSWORD, 'admin.password_file': '/dev/null' } });
    const services = buildServices({ config, dataSource: db.dataSource, logger: silentLogger(), clock: () => new Date() });
    await services.auth.ensureAdmin({ password: PASSWORD, passwordFile: '/dev/null' });
    webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-web-'));
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>mco-rex</title><div id="root"></div>');
    app = createApp({ services, logger: silentLogger(), webRoot });
    pki = makePki();
    const cert = pki.issue('localhost', { ip: ['127.0.0.1'], usage: 'server' });
    tls = https.createServer({ cert: fs.readFileSync(cert.cert), key: fs.readFileSync(cert.key) }, app);
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', () => resolve()));
    tlsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
    pki?.cleanup();
    if (webRoot) fs.rmSync(webRoot, { recursive: true, force: true });
    await db?.close();
  });

  function expectSecurityHeaders(headers: Record<string, string | string[] | undefined>): void {
    const csp = String(headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-eval');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
  }

  it('sends the headers on API answers, errors included, and on the web UI page', async () => {
    const status = await request(app).get('/api/v2/status').expect(200);
    expectSecurityHeaders(status.headers);
    expectSecurityHeaders((await request(app).get('/api/v2/hosts').expect(401)).headers);
    expectSecurityHeaders((await request(app).get('/api/v2/no-such-route').auth('admin', PASSWORD).expect(404)).headers);
    const page = await request(app).get('/jobs/12').expect(200);
    expect(page.text).toContain('<div id="root">');
    expectSecurityHeaders(page.headers);
  });

  it('sends Strict-Transport-Security only over TLS, where the session cookie is Secure', async () => {
    const plain = await request(app).post('/api/v2/session').send({ login: 'admin', password: PASSWORD }).expect(200);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    expect(String(plain.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);
    const secure = await request(tlsUrl).post('/api/v2/session').ca(fs.readFileSync(pki.ca)).send({ login: 'admin', password: PASSWORD }).expect(200);
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(String(secure.headers['set-cookie'])).toMatch(/;\s*Secure/i);
    expectSecurityHeaders(secure.headers);
  });
});
