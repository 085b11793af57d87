import request from 'supertest';
import type { Express } from 'express';
import { createUserRepository } from '@server/auth/user.repository';
import { loadConfig } from '@server/config';
import { AppError } from '@server/errors';
import { createApp } from '@server/http/app';
import { createInventoryStore, type InventoryStore } from '@server/inventory/inventory.repository';
import type { ProxyNode } from '@server/inventory/proxy-sync.service';
import { unconfiguredProxyClient } from '@server/jobs/job-dispatcher';
import { createLogger } from '@server/logger';
import { buildServices, type Services } from '@server/services';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const NOW = new Date('2025-06-15T12:00:00.000Z');
const ADMIN = { login: 'admin', password: 'admin-password-1' };
const VIEWER = { login: 'viewer', password: 'viewer-password-1' };

/** Twelve hosts across the tree, two proxies, two organizations; facts chosen so each key and operator has hits and misses. */
const INVENTORY = {
  organizations: ['Acme', 'Globex'],
  locations: ['Berlin', 'Paris'],
  hostgroups: ['base', 'base/web', 'base/web/edge', 'base/db', 'other', 'base_x'],
  smart_proxies: [
    { name: 'puppet-a.example.com', url: '127.0.0.1:50051', features: ['Remote Execution'], capabilities: ['remote_execution'], transport: 'choria' },
    { name: 'puppet-b.example.com', url: '127.0.0.1:50052', capabilities: ['remote_execution'] },
  ],
  hosts: [
    { name: 'web01.example.com', hostgroup: 'base/web', smart_proxy: 'puppet-a.example.com', organization: 'Acme', location: 'Berlin', facts: { osfamily: 'RedHat', processorcount: 4, role: 'web server' } },
    { name: 'web02.example.com', hostgroup: 'base/web', smart_proxy: 'puppet-a.example.com', organization: 'Acme', location: 'Paris', facts: { osfamily: 'Debian', processorcount: 8, role: 'web server' } },
    { name: 'edge01.example.com', hostgroup: 'base/web/edge', smart_proxy: 'puppet-b.example.com', organization: 'Globex', location: 'Paris', facts: { osfamily: 'RedHat', processorcount: 16 } },
    { name: 'db01.example.com', hostgroup: 'base/db', smart_proxy: 'puppet-b.example.com', organization: 'Acme', location: 'Berlin', facts: { osfamily: 'RedHat', processorcount: 32 } },
    { name: 'db02.example.com', hostgroup: 'base/db', smart_proxy: 'puppet-b.example.com', organization: 'Globex', facts: { osfamily: 'Debian', processorcount: 2 } },
    { name: 'base01.example.com', hostgroup: 'base', smart_proxy: 'puppet-a.example.com', facts: { osfamily: 'RedHat' } },
    { name: 'other01.example.com', hostgroup: 'other', smart_proxy: 'puppet-a.example.com', facts: { osfamily: 'RedHat', kernel: 'Linux' } },
    { name: 'basex01.example.com', hostgroup: 'base_x', facts: { osfamily: 'Suse' } },
    { name: 'lonely.example.com', facts: {} },
    { name: 'under_score.example.com', hostgroup: 'other', facts: { note: '100% done' } },
    { name: 'WEB03.example.com', hostgroup: 'base/web', smart_proxy: 'puppet-a.example.com', facts: { osfamily: 'redhat' } },
    { name: 'app01.example.com', hostgroup: 'base', facts: { osfamily: 'RedHat', processorcount: 'many' } },
  ],
};

/** Each search with the exact hosts it must return, identical on both databases. */
const SEARCHES: Array<[string, string[]]> = [
  ['name = web01.example.com', ['web01.example.com']],
  ['name != web01.example.com and hostgroup = web', ['WEB03.example.com', 'web02.example.com']],
  ['name ~ WEB', ['WEB03.example.com', 'web01.example.com', 'web02.example.com']],
  ['name ~ "web*.example.com"', ['WEB03.example.com', 'web01.example.com', 'web02.example.com']],
  ['name !~ example', []],
  ['name ~ _', ['under_score.example.com']],
  ['name ^ (db01.example.com, db02.example.com, nosuch)', ['db01.example.com', 'db02.example.com']],
  ['name !^ (db01.example.com, db02.example.com) and hostgroup_title = base/db', []],
  ['hostgroup = edge', ['edge01.example.com']],
  ['hostgroup_fullname = base/web', ['WEB03.example.com', 'web01.example.com', 'web02.example.com']],
  ['hostgroup_title ~ base/web', ['WEB03.example.com', 'edge01.example.com', 'web01.example.com', 'web02.example.com']],
  ['parent_hostgroup = base', ['WEB03.example.com', 'app01.example.com', 'base01.example.com', 'db01.example.com', 'db02.example.com', 'edge01.example.com', 'web01.example.com', 'web02.example.com']],
  ['parent_hostgroup = base/web', ['WEB03.example.com', 'edge01.example.com', 'web01.example.com', 'web02.example.com']],
  ['parent_hostgroup ^ (base/db, other)', ['db01.example.com', 'db02.example.com', 'other01.example.com', 'under_score.example.com']],
  ['parent_hostgroup != base', ['basex01.example.com', 'lonely.example.com', 'other01.example.com', 'under_score.example.com']],
  ['facts.osfamily = RedHat', ['WEB03.example.com', 'app01.example.com', 'base01.example.com', 'db01.example.com', 'edge01.example.com', 'other01.example.com', 'web01.example.com']],
  ['facts.osfamily = RedHat and parent_hostgroup = base', ['WEB03.example.com', 'app01.example.com', 'base01.example.com', 'db01.example.com', 'edge01.example.com', 'web01.example.com']],
  ['facts.osfamily != RedHat', ['basex01.example.com', 'db02.example.com', 'lonely.example.com', 'under_score.example.com', 'web02.example.com']],
  ['facts.role ~ "web serv"', ['web01.example.com', 'web02.example.com']],
  ['facts.note ~ "100%"', ['under_score.example.com']],
  ['facts.osfamily !~ hat', ['basex01.example.com', 'db02.example.com', 'lonely.example.com', 'under_score.example.com', 'web02.example.com']],
  ['facts.processorcount > 8', ['db01.example.com', 'edge01.example.com']],
  ['facts.processorcount >= 8', ['db01.example.com', 'edge01.example.com', 'web02.example.com']],
  ['facts.processorcount < 4', ['app01.example.com', 'db02.example.com']],
  ['facts.processorcount <= 4', ['app01.example.com', 'db02.example.com', 'web01.example.com']],
  ['facts.osfamily ^ (Suse, Debian)', ['basex01.example.com', 'db02.example.com', 'web02.example.com']],
  ['facts.osfamily !^ (RedHat, Debian)', ['basex01.example.com', 'lonely.example.com', 'under_score.example.com']],
  ['set? facts.kernel', ['other01.example.com']],
  ['null? facts.osfamily', ['lonely.example.com', 'under_score.example.com']],
  ['puppetmaster = puppet-b.example.com', ['db01.example.com', 'db02.example.com', 'edge01.example.com']],
  ['smart_proxy ~ puppet-b', ['db01.example.com', 'db02.example.com', 'edge01.example.com']],
  ['null? smart_proxy', ['app01.example.com', 'basex01.example.com', 'lonely.example.com', 'under_score.example.com']],
  ['organization = Globex', ['db02.example.com', 'edge01.example.com']],
  ['location = Paris and not organization = Globex', ['web02.example.com']],
  ['not location = Paris and parent_hostgroup = base/web', ['WEB03.example.com', 'web01.example.com']],
  ['set? hostgroup and null? location and facts.osfamily = RedHat', ['WEB03.example.com', 'app01.example.com', 'base01.example.com', 'other01.example.com']],
  ['(organization = Acme or organization = Globex) and facts.osfamily = Debian', ['db02.example.com', 'web02.example.com']],
  ['organization = Acme or organization = Globex and facts.osfamily = Debian', ['db01.example.com', 'db02.example.com', 'web01.example.com', 'web02.example.com']],
  ['web0', ['WEB03.example.com', 'web01.example.com', 'web02.example.com']],
  ['last_seen > "1 day ago"', []],
  ['null? last_seen', allHostNames()],
];

function allHostNames(): string[] {
  return INVENTORY.hosts.map((h) => h.name).sort((a, b) => (a < b ? -1 : 1));
}

const byCodePoint = (names: string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe.each(testDatabases())('inventory on $kind', (database) => {
  let db: OpenTestDataSource;
  let services: Services;
  let app: Express;
  let store: InventoryStore;
  let nodes: Map<string, ProxyNode[]>;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const config = loadConfig({ env: {}, overrides: { 'database.type': db.database.type, ...(db.database.url ? { 'database.url': db.database.url } : {}), 'log.level': 'silent' } });
    const logger = createLogger({ level: 'silent' });
    nodes = new Map();
    // An in-process stand-in for the proxy client: the nodes each proxy URL reports.
    const listNodes = async (url: string) => {
      const listed = nodes.get(url);
      if (!listed) throw new Error(`connect ECONNREFUSED ${url}`);
      return listed;
    };
    // ... and for GetInfo: a proxy that lists nodes answers, one that does not is down, as the real client says it.
    const getInfo = async (url: string) => {
      if (!nodes.has(url)) throw new AppError('UNAVAILABLE', `smart proxy ${url}: connect ECONNREFUSED`);
      return { name: url, version: '1.2.3', transport: 'TRANSPORT_CHORIA', capabilities: ['remote_execution', 'choria'], demo: false };
    };
    services = buildServices({ config, dataSource: db.dataSource, logger, clock: () => NOW, listNodes, proxyClient: { ...unconfiguredProxyClient(), getInfo } });
    app = createApp({ services, logger });
    store = createInventoryStore(db.dataSource);
    await services.auth.ensureAdmin({ password: ADMIN.password, passwordFile: '/nonexistent/unused' });
    await createUserRepository(db.dataSource).create({ login: VIEWER.login, passwordHash: await services.auth.hashPassword(VIEWER.password), admin: false, now: NOW });
    const imported = await request(app).post('/api/v2/inventory/import').auth(ADMIN.login, ADMIN.password).send(INVENTORY);
    expect(imported.body).toMatchObject({ hosts: { created: 12 } });
  });

  afterAll(async () => {
    await db?.close();
  });

  const get = (path: string) => request(app).get(path).auth(ADMIN.login, ADMIN.password);

  it.each(SEARCHES)('returns the expected hosts when searching %s', async (search, expected) => {
    const hosts = await services.inventory.findTargets({ search });
    expect(byCodePoint(hosts.map((h) => h.name))).toEqual(byCodePoint(expected));
  });

  it('answers the Foreman envelope with total, subtotal and a page of hosts', async () => {
    const res = await get('/api/v2/hosts').query({ search: 'parent_hostgroup = base', per_page: 3, page: 2, order: 'name DESC' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 12, subtotal: 8, page: 2, per_page: 3, search: 'parent_hostgroup = base', sort: { by: 'name', order: 'desc' } });
    expect(res.body.results.map((h: { name: string }) => h.name)).toEqual(['edge01.example.com', 'db02.example.com', 'db01.example.com']);
    expect(res.body.results[0]).toMatchObject({ hostgroup_title: 'base/web/edge', smart_proxy_name: 'puppet-b.example.com', organization_name: 'Globex', location_name: 'Paris', last_seen_at: null });
    expect(Object.keys(res.body.results[0])).toEqual(expect.arrayContaining(['id', 'name', 'hostgroup_id', 'hostgroup_title', 'smart_proxy_id', 'organization_id', 'location_id', 'last_seen_at']));
  });

  it('answers 400 naming the position and expectation when the search has a syntax error', async () => {
    const res = await get('/api/v2/hosts').query({ search: 'name = ' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: "search: found end of input at position 8; expected a value after '='" });
  });

  it('answers 400 listing the valid keys when a key is unknown', async () => {
    const res = await get('/api/v2/hosts').query({ search: 'colour = red' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('valid fields are name, id, hostgroup');
  });

  it('finds a host by id and by name, and answers 404 for neither', async () => {
    const byName = await get('/api/v2/hosts/db01.example.com');
    expect(byName.status).toBe(200);
    const byId = await get(`/api/v2/hosts/${byName.body.id}`);
    expect(byId.body).toEqual(byName.body);
    const missing = await get('/api/v2/hosts/nosuch.example.com');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });

  it('lists a host facts by name', async () => {
    const res = await get('/api/v2/hosts/web01.example.com/facts');
    expect(res.body.results).toEqual([{ name: 'osfamily', value: 'RedHat', source: 'inventory' }, { name: 'processorcount', value: '4', source: 'inventory' }, { name: 'role', value: 'web server', source: 'inventory' }]);
    expect(res.body).toMatchObject({ total: 3, subtotal: 3 });
  });

  it('lists hostgroups with parent_id and title, and finds one by title', async () => {
    const list = await get('/api/v2/hostgroups').query({ search: 'title ~ base/web' });
    expect(list.body.results.map((g: { title: string }) => g.title)).toEqual(['base/web', 'base/web/edge']);
    const edge = await get('/api/v2/hostgroups/base%2Fweb%2Fedge');
    const web = list.body.results[0];
    const base = (await get('/api/v2/hostgroups/base')).body;
    expect(edge.body).toMatchObject({ name: 'edge', title: 'base/web/edge', parent_id: web.id, ancestry: `${base.id}/${web.id}` });
  });

  it('lists smart proxies with features and capabilities', async () => {
    const res = await get('/api/v2/smart_proxies');
    expect(res.body.results).toHaveLength(2);
    expect(res.body.results[0]).toMatchObject({ name: 'puppet-a.example.com', url: '127.0.0.1:50051', features: ['Remote Execution'], capabilities: ['remote_execution'], transport: 'choria', status: 'unknown' });
    expect((await get('/api/v2/smart_proxies/puppet-b.example.com')).body.url).toBe('127.0.0.1:50052');
  });

  it('lists fact names matching a search, for completion', async () => {
    const res = await get('/api/v2/fact_names').query({ search: 'o' });
    expect(res.body.results).toEqual([{ name: 'note' }, { name: 'osfamily' }, { name: 'processorcount' }, { name: 'role' }]);
    expect(res.body.total).toBe(5);
  });

  it('lists organizations and locations', async () => {
    expect((await get('/api/v2/organizations')).body.results.map((o: { name: string }) => o.name)).toEqual(['Acme', 'Globex']);
    expect((await get('/api/v2/locations').query({ search: 'par' })).body).toMatchObject({ total: 2, subtotal: 1, results: [{ name: 'Paris' }] });
  });

  it('suggests stored values when auto-completing a fact value', async () => {
    const res = await get('/api/v2/hosts/auto_complete_search').query({ search: 'facts.osfamily = R' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ completed: 'facts.osfamily = ', part: 'RedHat', label: 'facts.osfamily = RedHat', category: 'value' }]);
  });

  it('resolves a hostgroup id to the group and all its descendants', async () => {
    const web = (await get('/api/v2/hostgroups/base%2Fweb')).body;
    const hosts = await services.inventory.findTargets({ hostgroupId: web.id });
    expect(byCodePoint(hosts.map((h) => h.name))).toEqual(['WEB03.example.com', 'edge01.example.com', 'web01.example.com', 'web02.example.com']);
    expect(hosts.find((h) => h.name === 'edge01.example.com')).toMatchObject({ smart_proxy_id: expect.any(Number), hostgroup_id: expect.any(Number) });
  });

  it('resolves host ids to their hosts', async () => {
    const ids = (await services.inventory.findTargets({ search: 'organization = Globex' })).map((h) => h.id);
    expect((await services.inventory.findTargets({ hostIds: [...ids, 999999] })).map((h) => h.name)).toEqual(['db02.example.com', 'edge01.example.com']);
  });

  it('changes nothing when the same inventory is imported again', async () => {
    const before = await db.dataSource.query('SELECT id, name, updated_at FROM hosts ORDER BY id');
    const factsBefore = await db.dataSource.query('SELECT host_id, name, value FROM facts ORDER BY host_id, name');
    const res = await request(app).post('/api/v2/inventory/import').auth(ADMIN.login, ADMIN.password).send(INVENTORY);
    expect(res.body).toEqual({
      organizations: { created: 0 }, locations: { created: 0 }, hostgroups: { created: 0 }, smart_proxies: { created_or_updated: 0 },
      hosts: { created: 0, updated: 0, reassigned: 0, unchanged: 12, facts_written: 0, facts_deleted: 0, facts_outranked: 0 },
    });
    expect(await db.dataSource.query('SELECT id, name, updated_at FROM hosts ORDER BY id')).toEqual(before);
    expect(await db.dataSource.query('SELECT host_id, name, value FROM facts ORDER BY host_id, name')).toEqual(factsBefore);
  });

  it('rejects a whole file naming the offending path, and writes nothing of it', async () => {
    const bad = {
      organizations: ['Initech'],
      hostgroups: ['newgroup'],
      hosts: [{ name: 'ok.example.com', hostgroup: 'newgroup' }, { name: 'x.example.com', hostgroup: 'base' }, { name: 'y.example.com' }, { name: 'bad.example.com', hostgroup: 'x' }],
    };
    const res = await request(app).post('/api/v2/inventory/import').auth(ADMIN.login, ADMIN.password).send(bad);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('invalid inventory: hosts[3].hostgroup: unknown hostgroup "x"');
    expect((await get('/api/v2/organizations')).body.total).toBe(2);
    expect((await get('/api/v2/hosts/ok.example.com')).status).toBe(404);
  });

  it('accepts the inventory as YAML text', async () => {
    const yaml = 'locations: [Rome]\nhosts:\n  - name: yaml01.example.com\n    location: Rome\n    facts: { osfamily: Debian }\n';
    const res = await request(app).post('/api/v2/inventory/import').auth(ADMIN.login, ADMIN.password).set('Content-Type', 'application/yaml').send(yaml);
    expect(res.status).toBe(200);
    expect(res.body.hosts).toMatchObject({ created: 1, facts_written: 1 });
    expect((await get('/api/v2/hosts/yaml01.example.com')).body.location_name).toBe('Rome');
  });

  it('answers 403 when a non-admin imports', async () => {
    const res = await request(app).post('/api/v2/inventory/import').auth(VIEWER.login, VIEWER.password).send({ organizations: ['Nope'] });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('PERMISSION_DENIED');
  });

  describe('proxy sync', () => {
    const node = (identity: string, facts: Record<string, string>): ProxyNode => ({ identity, facts, classes: ['profile::base'], agents: ['rpcutil'] });

    it('creates hosts of the proxy with their facts and a hostgroup from the rex_hostgroup fact', async () => {
      nodes.set('127.0.0.1:50052', [
        node('sync01.example.com', { osfamily: 'RedHat', rex_hostgroup: 'base/db' }),
        node('sync02.example.com', { osfamily: 'Debian', rex_hostgroup: 'no/such/group' }),
        node('db01.example.com', { osfamily: 'RedHat', processorcount: '32', rex_hostgroup: 'base/web' }),
      ]);
      const res = await request(app).post('/api/v2/smart_proxies/puppet-b.example.com/refresh').auth(ADMIN.login, ADMIN.password);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ nodes: 3, created: 2, updated: 1, missing: 2 });
      const sync01 = (await get('/api/v2/hosts/sync01.example.com')).body;
      expect(sync01).toMatchObject({ hostgroup_title: 'base/db', smart_proxy_name: 'puppet-b.example.com', last_seen_at: NOW.toISOString(), missing_since: null });
      expect((await get('/api/v2/hosts/sync02.example.com')).body.hostgroup_id).toBeNull();
      // An existing host keeps its hostgroup; the fact only fills an empty one.
      expect((await get('/api/v2/hosts/db01.example.com')).body.hostgroup_title).toBe('base/db');
      expect((await get('/api/v2/smart_proxies/puppet-b.example.com')).body).toMatchObject({ status: 'online', last_seen_at: NOW.toISOString() });
    });

    it('marks hosts the proxy no longer reports as missing without deleting them', async () => {
      const edge = (await get('/api/v2/hosts/edge01.example.com')).body;
      expect(edge.missing_since).toBe(NOW.toISOString());
      expect((await get('/api/v2/hosts/db02.example.com')).body.missing_since).toBe(NOW.toISOString());
    });

    it('adds the facts the proxy reports to those of the inventory file, each with its source', async () => {
      const res = await get('/api/v2/hosts/db01.example.com/facts');
      expect(res.body.results).toEqual([
        { name: 'osfamily', value: 'RedHat', source: 'inventory' },
        { name: 'processorcount', value: '32', source: 'inventory' },
        { name: 'rex_hostgroup', value: 'base/web', source: 'proxy' },
      ]);
    });

    it('writes nothing when the same nodes are synced again', async () => {
      const summary = await services.proxySync.syncProxy('puppet-b.example.com');
      expect(summary).toMatchObject({ created: 0, updated: 0, reassigned: 0, unchanged: 3, facts_written: 0, facts_deleted: 0, missing: 0 });
    });

    it('reports a proxy that cannot be reached and keeps syncing the others', async () => {
      nodes.set('127.0.0.1:50051', [node('web01.example.com', { osfamily: 'RedHat' })]);
      nodes.delete('127.0.0.1:50052');
      const results = await services.proxySync.syncAll();
      expect(results).toEqual([
        expect.objectContaining({ smart_proxy_name: 'puppet-a.example.com', nodes: 1 }),
        { smart_proxy_id: expect.any(Number), smart_proxy_name: 'puppet-b.example.com', error: 'smart proxy puppet-b.example.com (127.0.0.1:50052) did not tell its features: smart proxy 127.0.0.1:50052: connect ECONNREFUSED' },
      ]);
      expect((await store.smartProxies.findByIdOrName('puppet-b.example.com'))?.status).toBe('offline');
    });

    it('registers a proxy by name and updates it when registered again', async () => {
      const first = await services.proxySync.registerProxy({ name: 'puppet-c.example.com', url: '10.0.0.3:50051', capabilities: ['remote_execution'] });
      const second = await services.proxySync.registerProxy({ name: 'puppet-c.example.com', url: '10.0.0.4:50051' });
      expect(second).toMatchObject({ id: first.id, url: '10.0.0.4:50051', capabilities: ['remote_execution'] });
    });
  });
});
