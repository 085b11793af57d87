/**
 * The Foreman inventory sync (issue #25) through the real app on both databases, against a loopback
 * server answering Foreman's API v2 shapes (test/support/fake-foreman.ts: a real Foreman cannot run
 * here). It creates, updates and removes hosts, hostgroups and facts, reports each change, changes
 * nothing when run again, and names Foreman when it refuses the login or cannot be reached.
 */
import net from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import type { AuditRow } from '@server/audit/audit.service';
import { loadConfig } from '@server/config';
import { createForemanClient, type ForemanClient } from '@server/foreman/foreman.client';
import type { ForemanSyncReport } from '@server/inventory/foreman-sync.service';
import { createApp } from '@server/http/app';
import { silentLogger } from '@server/logger';
import { buildServices, type Services } from '@server/services';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { runRex } from '@test/ui-extension/cli/support/rex-process';
import { startFakeForeman, type FakeForeman, type FakeForemanState } from '@test/support/fake-foreman';

const PASSWORD = 'foreman-sync-password';

const initialForeman = (): FakeForemanState => ({
  hostgroups: [{ id: 1, title: 'base' }, { id: 2, title: 'base/web' }, { id: 3, title: 'base/db' }],
  smart_proxies: [{ id: 1, name: 'puppet-a.example.com', url: 'https://puppet-a.example.com:8443' }, { id: 2, name: 'puppet-x.example.com', url: 'https://puppet-x.example.com:8443' }],
  hosts: [
    { id: 11, name: 'web1.example.com', hostgroup_id: 2, puppet_proxy_name: 'puppet-a.example.com', organization_name: 'Default Organization', location_name: 'Default Location', facts: { 'os::family': 'RedHat', processorcount: '4', kernel: 'Linux' } },
    { id: 12, name: 'web2.example.com', hostgroup_id: 2, puppet_proxy_name: 'puppet-x.example.com', organization_name: 'Default Organization', location_name: 'Lab', facts: { 'os::family': 'RedHat', processorcount: '2' } },
    { id: 13, name: 'db1.example.com', hostgroup_id: 3, puppet_proxy_name: 'puppet-a.example.com', organization_name: 'Default Organization', location_name: 'Lab', facts: { 'os::family': 'Debian', role: 'db' } },
  ],
});

/** A port nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(testDatabases())('Foreman sync on $kind', (database) => {
  let db: OpenTestDataSource;
  let foreman: FakeForeman;
  const clients: ForemanClient[] = [];
  const built: Services[] = [];

  function appWith(client: { url: string; login: string; token: string; maxAnswerBytes?: number }): { app: Express; services: Services } {
    const config = loadConfig({ env: {}, overrides: { 'admin.password': PASSWORD, 'admin.password_file': '/dev/null' } });
    const foremanClient = createForemanClient({ ...client, timeoutMs: 5000, perPage: 2 });
    clients.push(foremanClient);
    const services = buildServices({ config, dataSource: db.dataSource, logger: silentLogger(), clock: () => new Date(), foreman: foremanClient });
    built.push(services);
    return { app: createApp({ services, logger: silentLogger() }), services };
  }
  let app: Express;
  let services: Services;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    foreman = await startFakeForeman(initialForeman());
    ({ app, services } = appWith(foreman));
    await services.auth.ensureAdmin({ password: PASSWORD, passwordFile: '/dev/null' });
    const admin = request.agent(app).auth('admin', PASSWORD);
    // A registered proxy Foreman also names; a host and a hostgroup from the inventory file, which the sync must never remove.
    await admin.post('/api/v2/inventory/import').send({
      hostgroups: ['imported'],
      smart_proxies: [{ name: 'puppet-a.example.com', url: '127.0.0.1:50051' }],
      hosts: [{ name: 'filed.example.com', hostgroup: 'imported', facts: { role: 'file' } }, { name: 'db1.example.com', facts: { role: 'database' } }],
    }).expect(200);
    const viewerRole = (await admin.get('/api/v2/roles/Viewer').expect(200)).body as { id: number };
    await admin.post('/api/v2/users').send({ user: { login: 'viewer', password: PASSWORD, role_ids: [viewerRole.id] } }).expect(201);
  });

  afterAll(async () => {
    for (const s of built) await s.denials.close();
    for (const c of clients) c.close();
    await foreman?.close();
    await db?.close();
  });

  const sync = async (expectStatus = 200) => (await request(app).post('/api/v2/inventory/foreman_sync').auth('admin', PASSWORD).expect(expectStatus)).body as ForemanSyncReport;
  const host = async (name: string) => (await request(app).get(`/api/v2/hosts/${name}`).auth('admin', PASSWORD)).body as Record<string, unknown>;
  const facts = async (name: string) => ((await request(app).get(`/api/v2/hosts/${name}/facts?per_page=100`).auth('admin', PASSWORD).expect(200)).body as { results: Array<{ name: string; value: string; source: string }> }).results;
  const titles = async () => ((await request(app).get('/api/v2/hostgroups?per_page=100').auth('admin', PASSWORD).expect(200)).body as { results: Array<{ title: string }> }).results.map((g) => g.title).sort();

  it('creates hosts, hostgroups and facts from every page of Foreman and reports each change', async () => {
    const report = await sync();
    expect(report).toMatchObject({
      foreman: foreman.url,
      hosts: { created: 2, updated: 1, removed: 0, unchanged: 0 },
      hostgroups: { created: 3, updated: 0, removed: 0, kept: 0 },
      facts: { written: 6, deleted: 0, outranked: 1 },
      smart_proxies: { matched: ['puppet-a.example.com'], unknown: ['puppet-x.example.com'] },
      changes_omitted: 0,
    });
    expect(report.changes).toEqual([
      { type: 'hostgroup', name: 'base', change: 'created' },
      { type: 'hostgroup', name: 'base/web', change: 'created' },
      { type: 'hostgroup', name: 'base/db', change: 'created' },
      { type: 'organization', name: 'Default Organization', change: 'created' },
      { type: 'location', name: 'Default Location', change: 'created' },
      { type: 'location', name: 'Lab', change: 'created' },
      { type: 'host', name: 'web1.example.com', change: 'created' },
      { type: 'host', name: 'web2.example.com', change: 'created' },
      { type: 'host', name: 'db1.example.com', change: 'updated' },
    ]);
    expect(await host('web1.example.com')).toMatchObject({ hostgroup_title: 'base/web', smart_proxy_name: 'puppet-a.example.com', organization_name: 'Default Organization', location_name: 'Default Location' });
    // puppet-x is no proxy of ours: the host keeps none rather than one invented.
    expect(await host('web2.example.com')).toMatchObject({ smart_proxy_id: null, location_name: 'Lab' });
    // The inventory file outranks Foreman per fact (host-writer.ts FACT_SOURCES).
    expect(await facts('db1.example.com')).toEqual([{ name: 'os::family', value: 'Debian', source: 'foreman' }, { name: 'role', value: 'database', source: 'inventory' }]);
    // Facts of 3 hosts at 2 per page: web1 has 3 facts, so two pages for it.
    expect(foreman.requests.filter((r) => r.startsWith('/api/v2/hosts/11/facts'))).toHaveLength(2);
    expect(foreman.requests.filter((r) => r.startsWith('/api/v2/hosts?'))).toHaveLength(2);
  });

  it('changes nothing and reports no change when run again', async () => {
    const report = await sync();
    expect(report).toMatchObject({ hosts: { created: 0, updated: 0, removed: 0, unchanged: 3 }, hostgroups: { created: 0, updated: 0, removed: 0, kept: 0 }, facts: { written: 0, deleted: 0, outranked: 1 }, changes: [], changes_omitted: 0 });
  });

  it('updates, creates and removes what changed in Foreman, and never removes what another source brought', async () => {
    const state = initialForeman();
    state.hostgroups = state.hostgroups.filter((g) => g.title !== 'base/db').concat({ id: 4, title: 'base/app' });
    state.hosts = [
      { ...state.hosts[0], hostgroup_id: 4, facts: { 'os::family': 'RedHat', processorcount: '8' } },
      { ...state.hosts[2], hostgroup_id: 1 },
      { id: 14, name: 'app1.example.com', hostgroup_id: 4, puppet_proxy_name: null, organization_name: 'Default Organization', location_name: 'Lab', facts: { 'os::family': 'RedHat' } },
    ];
    foreman.state = state;
    const report = await sync();
    expect(report).toMatchObject({ hosts: { created: 1, updated: 2, removed: 1, unchanged: 0 }, hostgroups: { created: 1, updated: 0, removed: 1, kept: 0 }, facts: { written: 2, deleted: 1 } });
    expect(report.changes).toEqual([
      { type: 'hostgroup', name: 'base/app', change: 'created' },
      { type: 'host', name: 'web1.example.com', change: 'updated' },
      { type: 'host', name: 'db1.example.com', change: 'updated' },
      { type: 'host', name: 'app1.example.com', change: 'created' },
      { type: 'host', name: 'web2.example.com', change: 'removed' },
      { type: 'hostgroup', name: 'base/db', change: 'removed' },
    ]);
    expect(await host('web1.example.com')).toMatchObject({ hostgroup_title: 'base/app' });
    expect(await facts('web1.example.com')).toEqual([{ name: 'os::family', value: 'RedHat', source: 'foreman' }, { name: 'processorcount', value: '8', source: 'foreman' }]);
    await request(app).get('/api/v2/hosts/web2.example.com').auth('admin', PASSWORD).expect(404);
    expect(await titles()).toEqual(['base', 'base/app', 'base/web', 'imported']);
    expect(await host('filed.example.com')).toMatchObject({ hostgroup_title: 'imported' });
    expect((await sync()).changes).toEqual([]);
  });

  it('audits each sync a user asks for with who and what changed', async () => {
    const res = await request(app).get(`/api/v2/audits?per_page=100&search=${encodeURIComponent('action = sync')}`).auth('admin', PASSWORD).expect(200);
    const rows = (res.body as { results: AuditRow[] }).results.filter((r) => r.auditable_name === 'foreman');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toMatchObject({ user_name: 'admin', auditable_type: 'Inventory', audited_changes: expect.objectContaining({ foreman: foreman.url, hosts: { created: 1, updated: 2, removed: 1, unchanged: 0 } }) });
  });

  it('runs on schedule through the same handler, audited only when it changed something', async () => {
    const audits = async () => ((await request(app).get(`/api/v2/audits?per_page=100&search=${encodeURIComponent('action = sync')}`).auth('admin', PASSWORD).expect(200)).body as { results: AuditRow[] }).results.filter((r) => r.auditable_name === 'foreman');
    const before = (await audits()).length;
    expect((await services.foremanSync.sync()).changes).toEqual([]);
    expect(await audits()).toHaveLength(before);
    foreman.state.hosts[0].facts.kernel = 'Linux 6';
    expect((await services.foremanSync.sync()).changes).toEqual([{ type: 'host', name: 'web1.example.com', change: 'updated' }]);
    const rows = await audits();
    expect(rows).toHaveLength(before + 1);
    expect(rows[0]).toMatchObject({ user_name: null, remote_address: 'scheduler' });
  });

  it('is run by `rex inventory foreman-sync`, which prints the counts and each change', async () => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const token = await request(app).post('/api/v2/users/admin/personal_access_tokens').auth('admin', PASSWORD).send({ personal_access_token: { name: 'foreman-sync-cli' } }).expect(201);
      foreman.state.hosts.push({ id: 15, name: 'app2.example.com', hostgroup_id: 4, puppet_proxy_name: null, organization_name: null, location_name: null, facts: {} });
      const result = await runRex(['inventory', 'foreman-sync'], { REX_URL: url, REX_USER: 'admin', REX_TOKEN: (token.body as { token_value: string }).token_value });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^foreman:\s+http:\/\/127\.0\.0\.1:\d+$/m);
      expect(result.stdout).toMatch(/^hosts:\s+created 1, updated 0, removed 0, unchanged 3$/m);
      expect(result.stdout).toMatch(/^unknown smart proxies:\s+puppet-x\.example\.com$/m);
      expect(result.stdout).toMatch(/^created:\s+host app2\.example\.com$/m);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('replaces a host and a hostgroup renamed in Foreman: the new name created, the old one removed', async () => {
    const web1 = foreman.state.hosts.find((h) => h.id === 11)!;
    web1.name = 'web1-renamed.example.com';
    foreman.state.hostgroups.find((g) => g.id === 4)!.title = 'base/apps';
    const report = await sync();
    expect(report.changes).toEqual(expect.arrayContaining([
      { type: 'hostgroup', name: 'base/apps', change: 'created' },
      { type: 'host', name: 'web1-renamed.example.com', change: 'created' },
      { type: 'host', name: 'web1.example.com', change: 'removed' },
      { type: 'hostgroup', name: 'base/app', change: 'removed' },
    ]));
    expect(await titles()).toEqual(['base', 'base/apps', 'base/web', 'imported']);
    expect(await host('app1.example.com')).toMatchObject({ hostgroup_title: 'base/apps' });
    expect((await sync()).changes).toEqual([]);
  });

  it('refuses a user without manage_inventory with 403', async () => {
    await request(app).post('/api/v2/inventory/foreman_sync').auth('viewer', PASSWORD).expect(403);
  });

  it('answers 400 naming Foreman when Foreman refuses the token', async () => {
    const refused = appWith({ url: foreman.url, login: foreman.login, token: 'wrong-token' }).app;
    const res = await request(refused).post('/api/v2/inventory/foreman_sync').auth('admin', PASSWORD).expect(400);
    expect((res.body as { error: { message: string } }).error.message).toBe(`Foreman ${foreman.url} refused the credentials of ${foreman.login} (HTTP 401); check foreman.login and foreman.token`);
  });

  it('answers 503 naming Foreman when Foreman cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = appWith({ url, login: foreman.login, token: foreman.token }).app;
    const res = await request(unreachable).post('/api/v2/inventory/foreman_sync').auth('admin', PASSWORD).expect(503);
    expect((res.body as { error: { message: string } }).error.message).toMatch(new RegExp(`^Foreman ${url} cannot be reached: .*ECONNREFUSED`));
  });

  it('answers 400 naming the URL and foreman.max_answer_bytes when an answer is larger, and writes nothing', async () => {
    // Hosts and hostgroups fit in 4 KiB a page; the new host's facts do not, and are read last.
    foreman.state.hosts.push({ id: 16, name: 'huge.example.com', hostgroup_id: 2, puppet_proxy_name: null, organization_name: null, location_name: null, facts: { blob: 'x'.repeat(8192) } });
    const kernel = foreman.state.hosts[0].facts.kernel;
    foreman.state.hosts[0].facts.kernel = 'Linux 7';
    try {
      const capped = appWith({ url: foreman.url, login: foreman.login, token: foreman.token, maxAnswerBytes: 4096 }).app;
      const res = await request(capped).post('/api/v2/inventory/foreman_sync').auth('admin', PASSWORD).expect(400);
      expect((res.body as { error: { message: string } }).error.message).toBe(`Foreman's answer to ${foreman.url}/api/v2/hosts/16/facts?page=1&per_page=2 is larger than foreman.max_answer_bytes (4096 bytes); lower foreman.per_page or raise the cap`);
      await request(app).get('/api/v2/hosts/huge.example.com').auth('admin', PASSWORD).expect(404);
      expect(await facts(foreman.state.hosts[0].name)).not.toContainEqual(expect.objectContaining({ name: 'kernel', value: 'Linux 7' }));
    } finally {
      foreman.state.hosts.pop();
      foreman.state.hosts[0].facts.kernel = kernel;
    }
  });

  it('answers 400 saying so when Foreman is not configured', async () => {
    const config = loadConfig({ env: {}, overrides: { 'admin.password': PASSWORD, 'admin.password_file': '/dev/null' } });
    const bare = buildServices({ config, dataSource: db.dataSource, logger: silentLogger(), clock: () => new Date() });
    built.push(bare);
    const res = await request(createApp({ services: bare, logger: silentLogger() })).post('/api/v2/inventory/foreman_sync').auth('admin', PASSWORD).expect(400);
    expect((res.body as { error: { message: string } }).error.message).toMatch(/^Foreman is not configured; set foreman.url/);
  });
});
