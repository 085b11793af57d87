import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createForemanSyncService } from '@server/inventory/foreman-sync.service';
import { createInventoryStore, type InventoryStore } from '@server/inventory/inventory.repository';
import { createLogger } from '@server/logger';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

/**
 * No real Foreman can run here, so this local HTTP server answers with the JSON shapes Foreman's
 * API v2 documents (theforeman/foreman app/views/api/v2/hosts/index.json.rabl and
 * fact_values/index.json.rabl: the index envelope, hosts with `hostgroup_title`,
 * `puppet_proxy_name`, `organization_name`, `location_name`, and fact values keyed by host name).
 * It pages exactly as Foreman does and checks the personal access token sent as Basic password.
 */
const TOKEN = 'pat-0123456789';
const NOW = new Date('2025-06-15T12:00:00.000Z');

const FOREMAN_HOSTS = Array.from({ length: 7 }, (_, i) => ({
  id: 100 + i,
  name: `fm${i}.example.com`,
  hostgroup_id: 1,
  hostgroup_name: i < 4 ? 'web' : 'db',
  hostgroup_title: i < 4 ? 'base/web' : i < 6 ? 'base/db' : null,
  puppet_proxy_id: 5,
  puppet_proxy_name: i % 2 === 0 ? 'puppet-a.example.com' : 'puppet-x.example.com',
  organization_id: 1,
  organization_name: 'Default Organization',
  location_id: 2,
  location_name: i < 3 ? 'Default Location' : 'Lab',
}));

/** Two facts per host; paged by fact value rows as Foreman does. */
const FACT_ROWS = FOREMAN_HOSTS.flatMap((h, i) => [
  { host: h.name, name: 'osfamily', value: i % 2 === 0 ? 'RedHat' : 'Debian' },
  { host: h.name, name: 'processorcount', value: String(2 + i) },
]);

function startForeman(): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${url.pathname}?${url.searchParams.toString()}`);
    const expected = `Basic ${Buffer.from(`sync-user:${TOKEN}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message: 'Unable to authenticate user sync-user' } }));
      return;
    }
    const page = Number(url.searchParams.get('page') ?? 1);
    const perPage = Number(url.searchParams.get('per_page') ?? 20);
    const slice = <T>(rows: T[]) => rows.slice((page - 1) * perPage, page * perPage);
    const envelope = (subtotal: number, results: unknown) => ({ total: subtotal, subtotal, page, per_page: perPage, search: null, sort: { by: null, order: null }, results });
    res.setHeader('Content-Type', 'application/json');
    if (url.pathname === '/api/v2/hosts') {
      res.end(JSON.stringify(envelope(FOREMAN_HOSTS.length, slice(FOREMAN_HOSTS))));
    } else if (url.pathname === '/api/v2/fact_values') {
      const results: Record<string, Record<string, string>> = {};
      for (const row of slice(FACT_ROWS)) (results[row.host] ??= {})[row.name] = row.value;
      res.end(JSON.stringify(envelope(FACT_ROWS.length, results)));
    } else {
      res.writeHead(404).end(JSON.stringify({ error: { message: 'not found' } }));
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

describe.each(testDatabases())('Foreman sync on $kind', (database) => {
  let db: OpenTestDataSource;
  let store: InventoryStore;
  let foreman: Awaited<ReturnType<typeof startForeman>>;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    store = createInventoryStore(db.dataSource);
    foreman = await startForeman();
    await store.smartProxies.upsertByName({ name: 'puppet-a.example.com', url: '127.0.0.1:50051' }, NOW);
  });

  afterAll(async () => {
    await foreman?.close();
    await db?.close();
  });

  const service = () => createForemanSyncService({ store, clock: () => NOW, logger: createLogger({ level: 'silent' }) });

  it('imports every host and fact across pages when the token is accepted', async () => {
    const summary = await service().sync({ url: foreman.url, login: 'sync-user', token: TOKEN, perPage: 3 });
    expect(summary).toMatchObject({ foreman_hosts: 7, unknown_proxies: ['puppet-x.example.com'], hostgroups: { created: 3 }, organizations: { created: 1 }, locations: { created: 2 } });
    expect(summary.hosts).toEqual({ created: 7, updated: 0, reassigned: 0, unchanged: 0, facts_written: 14, facts_deleted: 0, facts_outranked: 0 });
    // 7 hosts in pages of 3, 14 fact rows in pages of 3: every page fetched once.
    expect(foreman.requests.filter((r) => r.startsWith('/api/v2/hosts')).length).toBe(3);
    expect(foreman.requests.filter((r) => r.startsWith('/api/v2/fact_values')).length).toBe(5);
  });

  it('maps hostgroup title, puppet proxy and taxonomies onto each host', async () => {
    const fm0 = await store.hosts.findByIdOrName('fm0.example.com');
    expect(fm0).toMatchObject({ hostgroup_title: 'base/web', smart_proxy_name: 'puppet-a.example.com', organization_name: 'Default Organization', location_name: 'Default Location' });
    // A proxy not registered here leaves the host without one rather than inventing a URL.
    expect(await store.hosts.findByIdOrName('fm3.example.com')).toMatchObject({ smart_proxy_id: null, location_name: 'Lab' });
    expect(await store.hosts.findByIdOrName('fm6.example.com')).toMatchObject({ hostgroup_id: null });
    const redhat = await store.hosts.findTargets({ search: 'facts.osfamily = RedHat and facts.processorcount >= 4' });
    expect(redhat.map((h) => h.name)).toEqual(['fm2.example.com', 'fm4.example.com', 'fm6.example.com']);
  });

  it('changes nothing when synced again', async () => {
    const summary = await service().sync({ url: foreman.url, login: 'sync-user', token: TOKEN, perPage: 100 });
    expect(summary.hosts).toEqual({ created: 0, updated: 0, reassigned: 0, unchanged: 7, facts_written: 0, facts_deleted: 0, facts_outranked: 0 });
  });

  it('fails FAILED_PRECONDITION when Foreman refuses the token', async () => {
    await expect(service().sync({ url: foreman.url, login: 'sync-user', token: 'wrong' })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
