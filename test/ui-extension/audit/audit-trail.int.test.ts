/**
 * What security reviewers look for in the audit trail, through the real app on both databases:
 * every refusal (403) with who, which route and which permission refused it, counted per minute so a
 * storm cannot fill the table; and every inventory import and PuppetDB sync with who and what it
 * changed. (Proxy refreshes and registrations: inventory/smart-proxy-registration.int.test.ts.)
 */
import request from 'supertest';
import type { Express } from 'express';
import type { AuditRow } from '@server/audit/audit.service';
import { loadConfig } from '@server/config';
import { createApp } from '@server/http/app';
import { silentLogger } from '@server/logger';
import type { PuppetDbClient, PuppetDbNode } from '@server/puppetdb/puppetdb.client';
import { buildServices, type Services } from '@server/services';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const PASSWORD = 'audit-trail-password';

describe.each(testDatabases())('audit trail on $kind', (database) => {
  let db: OpenTestDataSource;
  let services: Services;
  let app: Express;
  let puppetdbNodes: PuppetDbNode[];

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const config = loadConfig({ env: {}, overrides: { 'admin.password': PASSWORD, 'admin.password_file': '/dev/null' } });
    puppetdbNodes = [];
    // PuppetDB's inventory as a stand-in: the sync's audit and fact precedence are under test, not the client.
    const puppetdb: PuppetDbClient = { url: 'https://puppetdb.test:8081', query: async () => [], certnames: async () => [], inventory: async () => puppetdbNodes, close: () => undefined };
    services = buildServices({ config, dataSource: db.dataSource, logger: silentLogger(), clock: () => new Date(), puppetdb });
    await services.auth.ensureAdmin({ password: PASSWORD, passwordFile: '/dev/null' });
    app = createApp({ services, logger: silentLogger() });
    const viewerRole = (await admin().get('/api/v2/roles/Viewer').expect(200)).body as { id: number };
    await admin().post('/api/v2/users').send({ user: { login: 'viewer', password: PASSWORD, role_ids: [viewerRole.id] } }).expect(201);
  });

  afterAll(async () => {
    await services?.denials.close();
    await db?.close();
  });

  const admin = () => ({
    get: (path: string) => request(app).get(path).auth('admin', PASSWORD),
    post: (path: string) => request(app).post(path).auth('admin', PASSWORD),
  });
  const viewer = () => ({
    get: (path: string) => request(app).get(path).auth('viewer', PASSWORD),
    post: (path: string) => request(app).post(path).auth('viewer', PASSWORD),
  });

  async function audits(search: string): Promise<AuditRow[]> {
    const res = await admin().get(`/api/v2/audits?per_page=1000&search=${encodeURIComponent(search)}`).expect(200);
    return (res.body as { results: AuditRow[] }).results;
  }
  const countOf = (rows: AuditRow[]) => rows.reduce((n, r) => n + Number(r.audited_changes?.count ?? 0), 0);

  it('audits a refusal as it happens: who, the route, the path, the missing permission and why', async () => {
    const res = await viewer().post('/api/v2/inventory/import').send({ organizations: ['Nope'] }).expect(403);
    const rows = await audits('action = denied and user = viewer');
    expect(rows).toEqual([expect.objectContaining({
      user_name: 'viewer',
      action: 'denied',
      auditable_type: 'Route',
      auditable_name: 'POST /api/v2/inventory/import',
      request_uuid: res.headers['x-request-id'],
      remote_address: expect.stringContaining('127.0.0.1'),
      audited_changes: { method: 'POST', path: '/api/v2/inventory/import', permissions: ['manage_inventory'], count: 1, reasons: { 'access denied: importing an inventory needs the manage_inventory permission': 1 } },
    })]);
  });

  it('names a route with parameters as declared and the path as asked', async () => {
    const adminId = ((await admin().get('/api/v2/current_user').expect(200)).body as { id: number }).id;
    await viewer().get(`/api/v2/users/${adminId}`).expect(403);
    const [row] = await audits('action = denied and user = viewer and auditable_name = "GET /api/v2/users/:id"');
    expect(row.audited_changes).toMatchObject({ path: `/api/v2/users/${adminId}`, permissions: ['manage_users'] });
  });

  it('writes a storm of refusals as two entries per route and minute whose counts add up to every refusal', async () => {
    const before = countOf(await audits('action = denied and user = viewer'));
    const routes = ['/api/v2/inventory/import', '/api/v2/inventory/puppetdb_sync', '/api/v2/smart_proxies/1/refresh'];
    const storm = 300;
    for (let i = 0; i < storm; i++) await viewer().post(routes[i % routes.length]).send({}).expect(403);
    await services.denials.flush(true);
    const rows = await audits('action = denied and user = viewer');
    process.stdout.write(`denial storm on ${database.kind}: ${storm} refusals -> ${rows.length} audit rows in all, counts ${countOf(rows) - before} new\n`);
    expect(countOf(rows) - before).toBe(storm);
    // The earlier tests' two routes plus three here, at most two rows each (first at once, the rest
    // of the minute in one), and twice that if the storm crossed a minute's end.
    expect(rows.length).toBeLessThanOrEqual(2 * 2 * 5);
  });

  it('audits an inventory import with who and the counts of what it created and changed, and a refused file not at all', async () => {
    await admin().post('/api/v2/inventory/import').send({ hostgroups: ['audited'], hosts: [{ name: 'audited01.example.com', hostgroup: 'audited', facts: { osfamily: 'Debian', role: 'db' } }] }).expect(200);
    await admin().post('/api/v2/inventory/import').send({ hosts: [{ name: 'bad.example.com', hostgroup: 'no/such' }] }).expect(400);
    const rows = await audits('action = import');
    expect(rows).toEqual([expect.objectContaining({
      user_name: 'admin',
      auditable_type: 'Inventory',
      auditable_name: 'inventory file',
      audited_changes: expect.objectContaining({ hostgroups: { created: 1 }, hosts: { created: 1, updated: 0, reassigned: 0, unchanged: 0, facts_written: 2, facts_deleted: 0, facts_outranked: 0 } }),
    })]);
  });

  it('audits a PuppetDB sync asked for by a user, a scheduled one only when it changed something, and keeps the inventory file\'s facts', async () => {
    puppetdbNodes = [{ certname: 'audited01.example.com', facts: { osfamily: 'RedHat', kernel: 'Linux' }, producer: null }];
    const summary = (await admin().post('/api/v2/inventory/puppetdb_sync').expect(200)).body as Record<string, number>;
    expect(summary).toMatchObject({ nodes: 1, facts_written: 1, facts_outranked: 1 });
    await services.puppetdbSync.sync();
    const rows = await audits('action = sync');
    expect(rows).toEqual([expect.objectContaining({ user_name: 'admin', auditable_name: 'puppetdb', audited_changes: expect.objectContaining({ nodes: 1, facts_written: 1, facts_outranked: 1 }) })]);
    puppetdbNodes = [{ certname: 'audited01.example.com', facts: { osfamily: 'RedHat', kernel: 'Linux 6' }, producer: null }];
    await services.puppetdbSync.sync();
    expect(await audits('action = sync')).toEqual([expect.objectContaining({ user_name: null, remote_address: 'scheduler', audited_changes: expect.objectContaining({ facts_written: 1 }) }), rows[0]]);
    const facts = (await admin().get('/api/v2/hosts/audited01.example.com/facts').expect(200)).body as { results: unknown[] };
    expect(facts.results).toEqual([
      { name: 'kernel', value: 'Linux 6', source: 'puppetdb' },
      { name: 'osfamily', value: 'Debian', source: 'inventory' },
      { name: 'role', value: 'db', source: 'inventory' },
    ]);
  });
});
