/**
 * Admin-grade HTTP (issue #25 part 6) on the real app with the web UI served: unknown /api paths and
 * probe-style paths get a JSON 404 (never the web app's page) while the UI's own pages still get it;
 * /healthz, /livez and /readyz answer JSON; every request writes one access line with its request
 * id, ISO time and level name; /apidoc serves Swagger UI from this server under its own CSP.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { loadConfig } from '@server/config';
import { createApp } from '@server/http/app';
import { createLogger } from '@server/logger';
import { buildServices } from '@server/services';
import { openTestDataSource, type OpenTestDataSource } from '@test/support/databases';
import { launchBrowser, trackCspViolations } from '@test/e2e/support/browser';

const PASSWORD = 'admin-http-test-password';

interface LogLine {
  level: string;
  time: string;
  msg: string;
  requestId?: string;
  [key: string]: unknown;
}

describe('admin-grade HTTP', () => {
  let db: OpenTestDataSource;
  let app: Express;
  let webRoot: string;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    db = await openTestDataSource('sqlite');
    const logger = createLogger({ level: 'debug', destination: { write: (line) => lines.push(JSON.parse(line) as LogLine) } });
    const config = loadConfig({ env: {}, overrides: { 'admin.password': PASSWORD, 'admin.password_file': '/dev/null' } });
    const services = buildServices({ config, dataSource: db.dataSource, logger, clock: () => new Date() });
    await services.auth.ensureAdmin({ password: PASSWORD, passwordFile: '/dev/null' });
    webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-web-'));
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>mco-rex</title><div id="root"></div>');
    fs.mkdirSync(path.join(webRoot, 'assets'));
    fs.writeFileSync(path.join(webRoot, 'assets', 'app-1234.js'), 'console.log(1);');
    fs.writeFileSync(path.join(webRoot, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = createApp({ services, logger, webRoot });
  });

  afterAll(async () => {
    if (webRoot) fs.rmSync(webRoot, { recursive: true, force: true });
    await db?.close();
  });

  function expectJson404(res: request.Response, label: string): void {
    expect([label, res.status, String(res.headers['content-type'])]).toEqual([label, 404, expect.stringMatching(/^application\/json/)]);
    expect([label, res.body]).toEqual([label, { error: { code: 'NOT_FOUND', message: expect.stringMatching(/^no (API )?route for /), requestId: expect.any(String) } }]);
    expect(res.text).not.toContain('<div id="root">');
  }

  it('answers every unknown /api path with a JSON 404, authenticated or not, whatever the method', async () => {
    for (const [method, url] of [['get', '/api'], ['get', '/api/'], ['get', '/api/v1/hosts'], ['get', '/api/v2/nope'], ['get', '/api/v2/hosts/1/nope/2'], ['post', '/api/v3/jobs'], ['delete', '/api/v2'], ['get', '/apis/v1']] as const) {
      expectJson404(await request(app)[method](url).auth('admin', PASSWORD), `${method} ${url} as admin`);
      const anonymous = await request(app)[method](url);
      expect([`${method} ${url}`, anonymous.status]).toEqual([`${method} ${url}`, url.startsWith('/api/v2') ? 401 : 404]);
      expect(anonymous.text).not.toContain('<div id="root">');
    }
  });

  it('answers probe-style paths with a JSON 404, never the web app, and still serves the UI pages and files', async () => {
    const probes = ['/.env', '/.git/config', '/wp-login.php', '/wp-admin/', '/index.php', '/phpinfo.php', '/actuator/health', '/actuator', '/server-status',
      '/cgi-bin/luci', '/admin/config.php', '/.well-known/security.txt', '/hosts/1/edit', '/jobs/12/hosts', '/assets/missing.js', '/index.html.bak', '/console', '/metrics.json', '/login.action'];
    for (const probe of probes) {
      expectJson404(await request(app).get(probe), `GET ${probe}`);
      expect([probe, (await request(app).head(probe)).status]).toEqual([probe, 404]);
    }
    expectJson404(await request(app).post('/wp-login.php').send('log=admin&pwd=admin'), 'POST /wp-login.php');
    for (const page of ['/', '/hosts', '/hosts/web-1.example.com', '/jobs/12', '/smart_proxies/3/remote_execution', '/account', '/jobs/12/']) {
      const res = await request(app).get(page);
      expect([page, res.status, String(res.headers['content-type'])]).toEqual([page, 200, expect.stringMatching(/^text\/html/)]);
      expect(res.text).toContain('<div id="root">');
    }
    expect((await request(app).get('/assets/app-1234.js').expect(200)).text).toBe('console.log(1);');
    await request(app).get('/favicon.svg').expect(200);
  });

  it('answers /healthz, /livez and /readyz with JSON', async () => {
    for (const url of ['/healthz', '/livez']) {
      const res = await request(app).get(url).expect(200).expect('Content-Type', /^application\/json/).expect('Cache-Control', 'no-store');
      expect(res.body).toEqual({ status: 'alive' });
    }
    const ready = await request(app).get('/readyz').expect('Content-Type', /^application\/json/);
    expect(ready.body).toMatchObject({ database: { reachable: expect.any(Boolean), writable: expect.any(Boolean) }, smart_proxies: { online: 0, offline: 0, unknown: 0 } });
  });

  it('writes one access line per request with its request id, ISO time and level name', async () => {
    lines.length = 0;
    await request(app).get('/api/v2/hosts?per_page=5').auth('admin', PASSWORD).set('X-Request-Id', 'access-log-test-1').expect(200).expect('X-Request-Id', 'access-log-test-1');
    await request(app).get('/api/v2/nope').auth('admin', PASSWORD).set('X-Request-Id', 'access-log-test-2').expect(404);
    const made = await request(app).get('/wp-login.php').expect(404);
    const access = (id: string) => lines.filter((l) => l.requestId === id && typeof l.responseTime === 'number');
    expect(access('access-log-test-1')).toEqual([expect.objectContaining({
      level: 'info', component: 'http', msg: 'GET /api/v2/hosts?per_page=5 200', method: 'GET', url: '/api/v2/hosts?per_page=5', status: 200,
      responseTime: expect.any(Number), ip: expect.any(String), user: 'admin',
    })]);
    expect(access('access-log-test-1')[0].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(access('access-log-test-2')).toEqual([expect.objectContaining({ level: 'info', msg: 'GET /api/v2/nope 404', status: 404 })]);
    // What the request logged itself (the error handler's line) carries the same id.
    expect(lines.some((l) => l.requestId === 'access-log-test-2' && l.code === 'NOT_FOUND' && l.level === 'debug')).toBe(true);
    // An id the server made is the one it answered with; headers are never logged.
    expect(access(String(made.headers['x-request-id']))).toEqual([expect.objectContaining({ msg: 'GET /wp-login.php 404' })]);
    expect(JSON.stringify(lines)).not.toMatch(/authorization|cookie/i);
    expect(lines.every((l) => typeof l.level === 'string' && /^\d{4}-\d\d-\d\dT/.test(l.time))).toBe(true);
  });

  it('serves Swagger UI at /apidoc from this server, under a CSP that differs only in data: images', async () => {
    const page = await request(app).get('/apidoc').expect(200).expect('Content-Type', /^text\/html/);
    expect(page.text).toContain('<script src="/apidoc/swagger-ui-bundle.js"></script>');
    expect(page.text).not.toMatch(/https?:\/\//);
    expect(page.text).not.toMatch(/<script>|<style|style=/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    const elsewhere = String((await request(app).get('/api/v2/status')).headers['content-security-policy']);
    expect(elsewhere).toContain("img-src 'self';");
    expect(csp.replace("img-src 'self' data:", "img-src 'self'")).toBe(elsewhere);
    const bundle = await request(app).get('/apidoc/swagger-ui-bundle.js').expect(200).expect('Content-Type', /javascript/);
    expect(bundle.text).toContain('SwaggerUIBundle');
    await request(app).get('/apidoc/swagger-ui.css').expect(200).expect('Content-Type', /^text\/css/);
    const init = await request(app).get('/apidoc/initializer.js').expect(200).expect('Content-Type', /javascript/);
    expect(init.text).toContain("url: '/api/v2/openapi.json'");
    // The package's own index.html and initializer (the Petstore example) are not served.
    expectJson404(await request(app).get('/apidoc/index.html'), 'GET /apidoc/index.html');
    expectJson404(await request(app).get('/apidoc/swagger-initializer.js'), 'GET /apidoc/swagger-initializer.js');
  });

  it('shows the API in Swagger UI in a real browser, with nothing fetched from elsewhere and no CSP violation', async () => {
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const violations = await trackCspViolations(page);
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}/apidoc`);
      await page.locator('.swagger-ui .info .title', { hasText: 'mco-rex API' }).waitFor({ timeout: 20_000 });
      // Every tag's section, and an operation of each kind, from this server's document.
      await page.locator('.opblock-tag', { hasText: 'jobs' }).first().waitFor();
      await page.locator('.opblock-tag', { hasText: 'jobs' }).first().click();
      await page.locator('.opblock-summary-path', { hasText: '/api/v2/remote_execution/jobs/{id}/replay' }).first().waitFor();
      expect(await page.locator('.opblock-tag').count()).toBeGreaterThanOrEqual(19);
      expect(requested.filter((url) => !url.startsWith(base) && !url.startsWith('data:'))).toEqual([]);
      expect(violations).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
