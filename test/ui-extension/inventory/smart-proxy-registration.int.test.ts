/**
 * Smart proxies registered the way Foreman registers them, against a real proxy-plugin (gRPC on
 * loopback, Choria client on the local NATS, a virtual fleet) on both databases: `POST` and `PUT
 * /api/v2/smart_proxies` ask the proxy for its features and capabilities and refuse one that cannot
 * be reached; a proxy imported without capabilities makes a job say which proxy lacks what, and its
 * refresh repairs it; a refresh never overwrites the facts of the inventory file.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { JobStatus } from '@common/jobs';
import type { AuditRow } from '@server/audit/audit.service';
import { loadConfig } from '@server/config';
import { createApp } from '@server/http/app';
import { validateJobArguments } from '@server/jobs/ddl-arguments';
import { silentLogger } from '@server/logger';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { buildServices, type Services } from '@server/services';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { waitBrokerConnected } from '@test/fleet/mcollective/mcollective-proxy';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, unreachableProxyUrl, type TestProxy } from '../jobs/support/grpc-proxies';

jest.setTimeout(120_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const PASSWORD = 'registration-password';

describe('smart proxy registration', () => {
  const prefix = `reg${randomBytes(3).toString('hex')}-`;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let client: ProxyClients;

  beforeAll(async () => {
    const collective = `rexreg${randomBytes(4).toString('hex')}`;
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: 3, identityPrefix: prefix, seed: prefix, failureRate: 0, extraFacts: { datacenter: 'proxy-dc' } });
    proxy = await startTestProxy({ name: `${prefix}proxy`, natsUrl: NATS_URL, collective });
    client = createTestProxyClient();
    await waitBrokerConnected(client, proxy.url);
  });

  afterAll(async () => {
    client?.close();
    await proxy?.stop();
    await fleet?.stop();
  });

  describe.each(testDatabases())('on $kind', (database) => {
    let db: OpenTestDataSource;
    let services: Services;
    let app: Express;

    beforeAll(async () => {
      db = await openTestDataSource(database);
      const config = loadConfig({ env: {}, overrides: { 'admin.password': PASSWORD, 'admin.password_file': '/dev/null' } });
      services = buildServices({
        config,
        dataSource: db.dataSource,
        logger: silentLogger(),
        clock: () => new Date(),
        proxyClient: client,
        validateArguments: validateJobArguments,
        listNodes: async (url) => (await client.listNodes(url)).map((n) => ({ identity: n.identity, facts: n.facts, classes: n.classes, agents: n.agents })),
      });
      await services.auth.ensureAdmin({ password: PASSWORD, passwordFile: '/dev/null' });
      services.jobs.start();
      app = createApp({ services, logger: silentLogger() });
    });

    afterAll(async () => {
      await services?.jobs.stop();
      await db?.close();
    });

    const api = {
      get: (path: string) => request(app).get(path).auth('admin', PASSWORD),
      post: (path: string, body?: unknown) => request(app).post(path).auth('admin', PASSWORD).send(body as object),
      put: (path: string, body?: unknown) => request(app).put(path).auth('admin', PASSWORD).send(body as object),
    };
    const imported = `${prefix}imported`;
    const hostIds = async () => ((await api.get(`/api/v2/hosts?search=${encodeURIComponent(`smart_proxy = ${imported}`)}`).expect(200)).body as { results: Array<{ id: number }> }).results.map((h) => h.id);
    const runPing = (ids: number[]) => api.post('/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: ids }, timeout: 10 } });
    async function waitFinal(id: number): Promise<JobStatus> {
      for (const until = Date.now() + 30_000; ;) {
        const job = (await api.get(`/api/v2/remote_execution/jobs/${id}?wait=5`).expect(200)).body as JobStatus;
        if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
        if (Date.now() > until) throw new Error(`job ${id} still ${job.state}`);
      }
    }
    const audits = async (search: string) => ((await api.get(`/api/v2/audits?search=${encodeURIComponent(search)}`).expect(200)).body as { results: AuditRow[] }).results;

    it('fails a job on a proxy imported with features but no capabilities, naming the proxy and what it lacks', async () => {
      await api.post('/api/v2/inventory/import', {
        smart_proxies: [{ name: imported, url: proxy.url, features: ['Remote Execution'] }],
        hosts: fleet.identities.map((name) => ({ name, smart_proxy: imported, facts: { datacenter: 'inventory-dc', role: 'imported' } })),
      }).expect(200);
      const res = await runPing(await hostIds()).expect(422);
      const id = ((await api.get(`/api/v2/smart_proxies/${imported}`).expect(200)).body as { id: number }).id;
      expect(res.body.error.message).toBe(`namespace 'rpcutil' is not known to any reachable smart proxy: smart proxy ${imported} lacks the remote_execution capability (it has none stored; refresh it to read them from the proxy: POST /api/v2/smart_proxies/${id}/refresh)`);
      expect(res.body.error.details.smart_proxies).toEqual([{ id, name: imported, lacks: expect.stringContaining('remote_execution capability') }]);
    });

    it('repairs the capabilities by a refresh, and the job then runs on every host', async () => {
      const summary = (await api.post(`/api/v2/smart_proxies/${imported}/refresh`).expect(200)).body as Record<string, unknown>;
      expect(summary).toMatchObject({
        nodes: 3,
        capabilities: ['remote_execution', 'choria'],
        features: ['Remote Execution', 'Choria'],
        proxy_changes: { capabilities: [[], ['remote_execution', 'choria']], features: [['Remote Execution'], ['Remote Execution', 'Choria']], transport: [null, 'choria'] },
      });
      const job = (await runPing(await hostIds()).expect(201)).body as { id: number };
      expect(await waitFinal(job.id)).toMatchObject({ state: 'succeeded', counts: { succeeded: 3 } });
    });

    it('keeps the inventory file\'s facts through the refresh and adds the proxy\'s, each with its source', async () => {
      const host = fleet.identities[0];
      const facts = ((await api.get(`/api/v2/hosts/${host}/facts?per_page=1000`).expect(200)).body as { results: Array<{ name: string; value: string; source: string }> }).results;
      expect(facts.filter((f) => ['datacenter', 'role'].includes(f.name))).toEqual([
        { name: 'datacenter', value: 'inventory-dc', source: 'inventory' },
        { name: 'role', value: 'imported', source: 'inventory' },
      ]);
      expect(facts.filter((f) => f.source === 'proxy').length).toBeGreaterThan(0);
      // The proxy reports datacenter = proxy-dc (and its own role) for each node: outranked, so left as the file says.
      const differing = (await client.listNodes(proxy.url)).reduce((n, node) => n + (node.facts.datacenter !== 'inventory-dc' ? 1 : 0) + (node.facts.role !== undefined && node.facts.role !== 'imported' ? 1 : 0), 0);
      expect(differing).toBeGreaterThanOrEqual(3);
      const again = (await api.post(`/api/v2/smart_proxies/${imported}/refresh`).expect(200)).body as Record<string, number>;
      expect(again).toMatchObject({ facts_outranked: differing, facts_written: 0, facts_deleted: 0 });
      // The file drops `role`: gone, since the file wrote it; the proxy's facts stay.
      await api.post('/api/v2/inventory/import', { hosts: [{ name: host, facts: { datacenter: 'inventory-dc' } }] }).expect(200);
      const after = ((await api.get(`/api/v2/hosts/${host}/facts?per_page=1000`).expect(200)).body as { results: Array<{ name: string; source: string }> }).results;
      expect(after.map((f) => f.name)).not.toContain('role');
      expect(after.filter((f) => f.source === 'proxy').length).toBe(facts.filter((f) => f.source === 'proxy').length);
    });

    it('audits a refresh with who asked and what it changed', async () => {
      const rows = await audits(`action = refresh and auditable_name = ${imported}`);
      expect(rows).toHaveLength(2);
      expect(rows[1]).toMatchObject({ user_name: 'admin', auditable_type: 'SmartProxy', audited_changes: { nodes: 3, proxy_changes: { capabilities: [[], ['remote_execution', 'choria']] } } });
    });

    it('registers a proxy by name and URL with the features and capabilities it reports, and audits it', async () => {
      const res = await api.post('/api/v2/smart_proxies', { smart_proxy: { name: `${prefix}registered`, url: proxy.url } }).expect(201);
      expect(res.body).toMatchObject({ name: `${prefix}registered`, url: proxy.url, features: ['Remote Execution', 'Choria'], capabilities: ['remote_execution', 'choria'], transport: 'choria', status: 'online', demo: false });
      expect(res.headers.location).toBe(`/api/v2/smart_proxies/${res.body.id}`);
      expect(await audits(`action = create and type = SmartProxy and auditable_id = ${res.body.id}`)).toEqual([
        expect.objectContaining({ user_name: 'admin', audited_changes: expect.objectContaining({ url: proxy.url, capabilities: ['remote_execution', 'choria'] }) }),
      ]);
    });

    it('answers 422 with the reason when the proxy cannot be reached, and stores nothing', async () => {
      const url = await unreachableProxyUrl();
      const res = await api.post('/api/v2/smart_proxies', { smart_proxy: { name: `${prefix}down`, url } }).expect(422);
      expect(res.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { fields: [{ field: 'smart_proxy.url', rule: 'a reachable smart proxy' }] } });
      expect(res.body.error.message).toMatch(new RegExp(`^smart_proxy\\.url: the smart proxy at ${url.replace(/\./g, '\\.')} cannot be reached, so its features are unknown: smart proxy ${url.replace(/\./g, '\\.')}: .+`));
      await api.get(`/api/v2/smart_proxies/${prefix}down`).expect(404);
    });

    it('refuses a taken name (409), a URL that is not host:port and a name of digits (400 naming the field)', async () => {
      expect((await api.post('/api/v2/smart_proxies', { smart_proxy: { name: imported, url: proxy.url } }).expect(409)).body.error.message).toMatch(/^smart_proxy\.name: a smart proxy named/);
      expect((await api.post('/api/v2/smart_proxies', { smart_proxy: { name: `${prefix}x`, url: 'grpc://nowhere' } }).expect(400)).body.error.message).toMatch(/smart_proxy\.url.*host:port/);
      expect((await api.post('/api/v2/smart_proxies', { smart_proxy: { name: '12345', url: proxy.url } }).expect(400)).body.error.message).toMatch(/smart_proxy\.name.*digits/);
      expect((await api.post('/api/v2/smart_proxies', { smart_proxy: { url: proxy.url } }).expect(400)).body.error.message).toMatch(/smart_proxy\.name/);
    });

    it('changes a proxy\'s URL or name only after asking it at the new URL, and leaves it as it was when that fails', async () => {
      const url = await unreachableProxyUrl();
      await api.put(`/api/v2/smart_proxies/${prefix}registered`, { smart_proxy: { url } }).expect(422);
      expect((await api.get(`/api/v2/smart_proxies/${prefix}registered`).expect(200)).body).toMatchObject({ url: proxy.url });
      const renamed = await api.put(`/api/v2/smart_proxies/${prefix}registered`, { smart_proxy: { name: `${prefix}renamed` } }).expect(200);
      expect(renamed.body).toMatchObject({ name: `${prefix}renamed`, url: proxy.url, capabilities: ['remote_execution', 'choria'] });
      await api.put(`/api/v2/smart_proxies/${prefix}renamed`, { smart_proxy: { name: imported } }).expect(409);
      await api.put(`/api/v2/smart_proxies/${prefix}renamed`, { smart_proxy: {} }).expect(400);
      expect(await audits(`action = update and auditable_id = ${renamed.body.id}`)).toEqual([expect.objectContaining({ audited_changes: { name: [`${prefix}registered`, `${prefix}renamed`] } })]);
    });
  });
});
