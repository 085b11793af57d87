/**
 * PuppetDB never silent and never destructive (issue 26, item 4), against a real Puppet Server 7 and
 * PuppetDB 7 (puppet-harness.ts) and the ui-extension over HTTP on SQLite and MariaDB:
 * - a PQL targeting that returns a certname the inventory does not know records it in the job (and
 *   shows it in the preview) as skipped, "not in the inventory"; a PQL matching only such nodes is
 *   refused with 422 naming the query;
 * - a PuppetDB sync after an inventory import keeps the imported facts (the `inventory` source
 *   outranks `puppetdb`), so a job on `facts.osfamily = Debian` matches the same hosts before and after;
 * - a host the sync creates gets the smart proxy of its Puppet master (its `servername` fact, or
 *   the producer of its facts matched to a proxy's URL), or is named in the sync's report as having none.
 * A proxy-plugin on the local NATS (a collective of its own, no nodes) serves the action catalog;
 * the jobs' hosts never answer, which does not matter here: what is checked is whom a job targets.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { JobPreview } from '@common/job-preview';
import type { JobHost, JobStatus } from '@common/jobs';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { createPuppetDbClient, type PuppetDbClient } from '@server/puppetdb/puppetdb.client';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from '@test/ui-extension/jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp } from '@test/ui-extension/jobs/support/job-stack';
import { startPuppetDb, startPuppetServer, submitFacts, type PuppetDbHandle, type PuppetServerHandle } from './puppet-harness';

jest.setTimeout(300_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const UI_CERT = 'rex-ui.example.com';

let server: PuppetServerHandle | undefined;
let puppetdb: PuppetDbHandle | undefined;
let proxy: TestProxy | undefined;
let client: ProxyClients | undefined;
let puppetdbClient: PuppetDbClient | undefined;

beforeAll(async () => {
  server = await startPuppetServer({ certnames: [UI_CERT] });
  puppetdb = await startPuppetDb(server);
  const uiCert = await server.cert(UI_CERT);
  puppetdbClient = createPuppetDbClient({ url: puppetdb.httpsUrl, caFile: server.caFile, certFile: uiCert.certFile, keyFile: uiCert.keyFile, timeoutMs: 10_000 });
  proxy = await startTestProxy({ name: 'pdb-proxy', natsUrl: NATS_URL, collective: `rexpdb${randomBytes(4).toString('hex')}` });
  client = createTestProxyClient();
});

afterAll(async () => {
  client?.close();
  puppetdbClient?.close();
  await proxy?.stop();
  await puppetdb?.stop();
  await server?.stop();
});

describe.each(testDatabases())('PuppetDB targeting and sync on $kind', (database) => {
  const p = `pdb-${randomBytes(3).toString('hex')}`;
  const node = (n: number) => `${p}-node-${n}.example.com`;
  const ghost = `${p}-ghost.example.com`;
  const lonely = `${p}-lonely.example.com`;
  const masterA = `puppet-a.${p}.example.com`;
  const masterB = `puppet-b.${p}.example.com`;
  let db: OpenTestDataSource;
  let app: JobApp;
  let proxyIds: Map<string, number>;

  const http = () => ({
    get: (path: string) => request(app.url).get(path).set('Authorization', AUTH),
    post: (path: string, body: unknown) => request(app.url).post(path).set('Authorization', AUTH).send(body as object),
  });
  const pingJob = (targeting: object) => ({ job: { namespace: 'rpcutil', action: 'ping', targeting, timeout: 2 } });
  const jobHosts = async (id: number) => ((await http().get(`/api/v2/remote_execution/jobs/${id}/hosts?per_page=1000`).expect(200)).body as { results: JobHost[] }).results;
  /** The imported hosts a job on Debian targets (the sync also creates Debian nodes of its own: ghost, lonely). */
  const debianJobHosts = async () => {
    const job = (await http().post('/api/v2/remote_execution/jobs', pingJob({ search: `facts.osfamily = Debian and name ~ ${p}-node-` })).expect(201)).body as JobStatus;
    return (await jobHosts(job.id)).map((h) => h.host_name).sort();
  };

  beforeAll(async () => {
    db = await openTestDataSource(database);
    ({ proxyIds } = await seedInventory(db.dataSource, {
      hostgroups: [],
      // Proxy A is named after its Puppet master; proxy B's URL names its master's host.
      proxies: [
        { name: masterA, url: proxy!.url, capabilities: ['remote_execution', 'choria'] },
        { name: `${p}-proxy-b`, url: `https://${masterB}:8443`, capabilities: ['puppet'] },
      ],
      hosts: [],
    }));
    app = await startJobApp({ dataSource: db.dataSource, proxies: client!, puppetdb: puppetdbClient });
    // The inventory file, the source of record: four hosts on proxy A, two of them Debian.
    await http().post('/api/v2/inventory/import', {
      hosts: [1, 2, 3, 4].map((n) => ({ name: node(n), smart_proxy: masterA, facts: { osfamily: n <= 2 ? 'Debian' : 'RedHat', role: 'web' } })),
    }).expect(200);
    // What the agents sent PuppetDB: other osfamily values than the file says, a fact of its own,
    // and nodes the inventory does not have.
    for (const n of [1, 2, 3, 4]) await submitFacts(puppetdb!, node(n), { osfamily: n === 1 ? 'RedHat' : n === 3 ? 'Debian' : n <= 2 ? 'Debian' : 'RedHat', kernel: 'Linux', rexpdb: n === 1 ? p : 'other' });
    await submitFacts(puppetdb!, ghost, { osfamily: 'Debian', kernel: 'Linux', rexpdb: p, servername: masterA });
    await submitFacts(puppetdb!, lonely, { osfamily: 'Debian', kernel: 'Linux', rexonly: p }, masterB);
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('records a PQL certname the inventory does not know as skipped, "not in the inventory", in the preview and in the job', async () => {
    const targeting = { pql: `inventory[certname] { facts.rexpdb = "${p}" }` };
    const preview = (await http().post('/api/v2/remote_execution/jobs/preview?per_page=100', pingJob(targeting)).expect(200)).body as JobPreview;
    expect(preview).toMatchObject({ total_hosts: 2, will_run: 1, skipped: 1, skipped_reasons: [{ reason: 'not in the inventory', hosts: 1, host_names: [ghost] }] });
    expect(preview.hosts.results.map((h) => [h.name, h.id === null, h.state, h.reason])).toEqual([[ghost, true, 'skipped', 'not in the inventory'], [node(1), false, 'pending', null]]);

    const job = (await http().post('/api/v2/remote_execution/jobs', pingJob(targeting)).expect(201)).body as JobStatus;
    expect(job.counts.skipped).toBe(1);
    const hosts = await jobHosts(job.id);
    expect(hosts).toHaveLength(2);
    expect(hosts.find((h) => h.host_name === ghost)).toMatchObject({ host_id: null, state: 'skipped', reason: 'not in the inventory', smart_proxy_id: null });
    expect(hosts.find((h) => h.host_name === node(1))).toMatchObject({ host_id: expect.any(Number) });
    // The job's own search finds it by state and name, like any skipped host.
    const skipped = (await http().get(`/api/v2/remote_execution/jobs/${job.id}/hosts?state=skipped`).expect(200)).body as { results: JobHost[] };
    expect(skipped.results.map((h) => h.host_name)).toEqual([ghost]);
  });

  it('refuses with 422 naming the query a PQL that matches only nodes outside the inventory, and creates no job', async () => {
    const pql = `inventory[certname] { facts.rexonly = "${p}" }`;
    const before = Number(((await db.dataSource.query('SELECT COUNT(*) AS n FROM job_invocations')) as Array<{ n: number | string }>)[0].n);
    const res = await http().post('/api/v2/remote_execution/jobs', pingJob({ pql })).expect(422);
    expect(res.body.error.message).toContain(`targeting: pql ${JSON.stringify(pql)} matches no host you may run rpcutil.ping on`);
    expect(Number(((await db.dataSource.query('SELECT COUNT(*) AS n FROM job_invocations')) as Array<{ n: number | string }>)[0].n)).toBe(before);
    // The preview shows why: the node is there, skipped.
    const preview = (await http().post('/api/v2/remote_execution/jobs/preview', pingJob({ pql })).expect(200)).body as JobPreview;
    expect(preview).toMatchObject({ will_run: 0, skipped: 1, skipped_reasons: [{ reason: 'not in the inventory', host_names: [lonely] }] });
  });

  it('keeps the imported facts through a PuppetDB sync: a job on facts.osfamily = Debian matches the same hosts before and after', async () => {
    const before = await debianJobHosts();
    expect(before).toEqual([node(1), node(2)]);
    const summary = (await http().post('/api/v2/inventory/puppetdb_sync', {}).expect(200)).body as Record<string, unknown>;
    expect(summary.facts_outranked).toEqual(expect.any(Number));
    expect(summary.facts_outranked as number).toBeGreaterThanOrEqual(2);
    const facts = async (name: string) => Object.fromEntries(((await http().get(`/api/v2/hosts/${name}/facts?per_page=100`).expect(200)).body.results as Array<{ name: string; value: string; source: string }>).map((f) => [f.name, `${f.value} (${f.source})`]));
    expect(await facts(node(1))).toMatchObject({ osfamily: 'Debian (inventory)', role: 'web (inventory)', kernel: 'Linux (puppetdb)', rexpdb: `${p} (puppetdb)` });
    expect(await facts(node(3))).toMatchObject({ osfamily: 'RedHat (inventory)', role: 'web (inventory)' });
    expect(await debianJobHosts()).toEqual(before);
    // A second sync changes nothing of it.
    await http().post('/api/v2/inventory/puppetdb_sync', {}).expect(200);
    expect(await debianJobHosts()).toEqual(before);
  });

  it('gives a host the sync creates the smart proxy of its Puppet master, and reports one whose master matches none', async () => {
    // The earlier sync created them (this database's run of the file); a fresh sync reports new hosts only.
    const hostProxy = async (name: string) => ((await http().get(`/api/v2/hosts/${name}`).expect(200)).body as { smart_proxy_id: number | null }).smart_proxy_id;
    expect(await hostProxy(ghost)).toBe(proxyIds.get(masterA));
    expect(await hostProxy(lonely)).toBe(proxyIds.get(`${p}-proxy-b`));
    // Hosts that existed keep the proxy the file gave them.
    expect(await hostProxy(node(1))).toBe(proxyIds.get(masterA));

    const stray = `${p}-stray.example.com`;
    await submitFacts(puppetdb!, stray, { kernel: 'Linux' }, `elsewhere.${p}.example.com`);
    const summary = (await http().post('/api/v2/inventory/puppetdb_sync', {}).expect(200)).body as { created: number; created_without_smart_proxy: number; hosts_without_smart_proxy: Array<{ name: string; puppet_master: string | null }> };
    expect(summary.hosts_without_smart_proxy).toContainEqual({ name: stray, puppet_master: `elsewhere.${p}.example.com` });
    expect(await hostProxy(stray)).toBeNull();
  });
});
