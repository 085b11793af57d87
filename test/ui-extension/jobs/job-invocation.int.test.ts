/**
 * Jobs end to end over HTTP on SQLite and MariaDB: the issue's acceptance tests (a) to (d) plus the
 * edges (422 on bad arguments, unreachable proxy, cancel, history, retention). Everything is real:
 * two proxy-plugin gRPC servers with Choria clients on the local NATS, reached through the
 * ui-extension's gRPC client, answering from a virtual Choria fleet.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import type { Job, JobEventsPage, JobStatus } from '@common/jobs';
import { createDataSource } from '@server/data-source';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { startUiProcess, type UiProcess } from '@test/ui-extension/scheduler/support/multi-instance';
import { createTestProxyClient, startTestProxy, unreachableProxyUrl, type TestProxy } from './support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp, type SeedHost, type SeededInventory } from './support/job-stack';

jest.setTimeout(90_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const CAPABLE = ['remote_execution', 'choria'];

interface Fixture {
  prefix: string;
  fleet: ChoriaFleet;
  proxies: TestProxy[];
  /** The ui-extension's gRPC client to them, shared by every app instance of the fixture. */
  client: ProxyClients;
  seed: Parameters<typeof seedInventory>[1];
  silent: string[];
}

const pad = (i: number) => String(i).padStart(5, '0');

/**
 * 180 fleet nodes in web and web/eu on two proxies (8 silent), 10 web hosts without a proxy, 10 on a
 * proxy without the remote_execution capability, 20 db nodes, and 2 hosts of a proxy that is down.
 */
async function startFixture(options: { latencyMs?: number } = {}): Promise<Fixture> {
  const prefix = `jobs-${randomBytes(3).toString('hex')}-`;
  const silent = [10, 20, 30, 40, 50, 100, 130, 160].map((i) => `${prefix}${pad(i)}`);
  const collective = `rexjobs${randomBytes(4).toString('hex')}`;
  const fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: 200, identityPrefix: prefix, silentIdentities: silent, seed: prefix, latencyMs: options.latencyMs, failureRate: 0 });
  const proxies: TestProxy[] = [];
  for (const name of ['proxy-a', 'proxy-b']) proxies.push(await startTestProxy({ name, natsUrl: NATS_URL, collective }));
  const [proxyA, proxyB] = proxies;
  // Registered but never started: a smart proxy without remote execution, and one that is down.
  const puppetOnlyUrl = await unreachableProxyUrl();
  const downUrl = await unreachableProxyUrl();
  const hosts: SeedHost[] = [];
  for (let i = 1; i <= 200; i++) {
    const name = `${prefix}${pad(i)}`;
    if (i <= 180) hosts.push({ name, proxy: i <= 90 ? 'proxy-a' : 'proxy-b', hostgroup: i % 2 === 0 ? 'web' : 'web/eu', facts: i === 7 ? { rex_marker: 'seven' } : undefined });
    else hosts.push({ name, proxy: 'proxy-b', hostgroup: 'db' });
  }
  for (let i = 1; i <= 10; i++) hosts.push({ name: `${prefix}noproxy-${i}`, proxy: null, hostgroup: 'web' });
  for (let i = 1; i <= 10; i++) hosts.push({ name: `${prefix}puppetonly-${i}`, proxy: 'proxy-puppet-only', hostgroup: 'web/eu' });
  for (let i = 1; i <= 2; i++) hosts.push({ name: `${prefix}down-${i}`, proxy: 'proxy-down', hostgroup: 'down' });
  const seed = {
    hostgroups: ['web', 'web/eu', 'db', 'down'],
    proxies: [
      { name: 'proxy-a', url: proxyA.url, capabilities: CAPABLE },
      { name: 'proxy-b', url: proxyB.url, capabilities: CAPABLE },
      { name: 'proxy-puppet-only', url: puppetOnlyUrl, capabilities: ['puppet'] },
      { name: 'proxy-down', url: downUrl, capabilities: CAPABLE },
    ],
    hosts,
  };
  return { prefix, fleet, proxies, client: createTestProxyClient(), seed, silent };
}

async function stopFixture(f: Fixture | undefined): Promise<void> {
  if (!f) return;
  f.client.close();
  for (const p of f.proxies) await p.stop();
  await f.fleet.stop();
}

/** The app in this process (JobApp) or a ui-extension process: anything with a URL. */
function http(app: { url: string }) {
  return {
    get: (path: string) => request(app.url).get(path).set('Authorization', AUTH),
    post: (path: string, body: unknown) => request(app.url).post(path).set('Authorization', AUTH).send(body as object),
  };
}

async function waitFinal(app: { url: string }, id: number, timeoutMs = 30_000): Promise<JobStatus> {
  const until = Date.now() + timeoutMs;
  let since = 0;
  for (;;) {
    const res = await http(app).get(`/api/v2/remote_execution/jobs/${id}?wait=5&since=${since}`).expect(200);
    const job = res.body as JobStatus;
    if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms: ${JSON.stringify(job.counts)}`);
    since = job.version;
  }
}

async function allEvents(app: { url: string }, id: number): Promise<JobEventsPage['events']> {
  const events: JobEventsPage['events'] = [];
  let after = 0;
  for (;;) {
    const page = (await http(app).get(`/api/v2/remote_execution/jobs/${id}/events?after=${after}&limit=1000`).expect(200)).body as JobEventsPage;
    if (page.events.length === 0) return events;
    events.push(...page.events);
    after = page.last_sequence;
  }
}

/** An app that a restart test can kill mid-job and close: in this process, or as its own process. */
interface KillableApp {
  url: string;
  kill(): Promise<void>;
  close(): Promise<void>;
}

const serviceStatus = { namespace: 'service', action: 'status', arguments: { service: 'sshd' } };

describe.each(testDatabases())('jobs on $kind', (database) => {
  let db: OpenTestDataSource;
  let fixture: Fixture;
  let app: JobApp;
  let ids: SeededInventory;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    fixture = await startFixture();
    ids = await seedInventory(db.dataSource, fixture.seed);
    app = await startJobApp({ dataSource: db.dataSource, proxies: fixture.client });
  });
  const group = (title: string) => ids.hostgroupIds.get(title)!;
  const host = (i: number | string) => ids.hostIds.get(typeof i === 'number' ? `${fixture.prefix}${pad(i)}` : `${fixture.prefix}${i}`)!;

  afterAll(async () => {
    await app?.close();
    await stopFixture(fixture);
    await db?.close();
  });

  it('ends every host of hostgroup web in exactly one final state with correct counts and skip reasons', async () => {
    const created = await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { hostgroup_id: group('web') }, timeout: 2 } }).expect(201);
    const job = created.body as Job;
    expect(job).toMatchObject({ state: 'queued', namespace: 'service', action: 'status', owner: 'admin', total_hosts: 200, targeting: { hostgroup_id: group('web'), search: null, host_ids: null } });
    expect(job.counts.skipped).toBe(20);

    const done = await waitFinal(app, job.id);
    expect(done.state).toBe('failed');
    expect(done.counts).toEqual({ pending: 0, running: 0, succeeded: 172, failed: 0, no_response: 8, skipped: 20, cancelled: 0 });
    expect(done.progress).toBe(100);
    // What failed the job, named: the silent hosts (no response) and the skipped ones; none cancelled.
    const skippedNames = ((await http(app).get(`/api/v2/remote_execution/jobs/${job.id}/hosts?state=skipped&per_page=100`).expect(200)).body.results as Array<{ host_name: string }>).map((h) => h.host_name);
    expect(skippedNames).toHaveLength(20);
    expect(done.failed_hosts.sort()).toEqual([...fixture.silent, ...skippedNames].sort());
    expect(done.cancelled_hosts).toEqual([]);
    // Titled as mco prints it: the DDL's display_as of the output.
    expect(done.aggregates).toEqual([{ function: 'summary', output: 'status', display_as: 'Service Status', value: expect.any(Object) }]);

    const hosts = (await http(app).get(`/api/v2/remote_execution/jobs/${job.id}/hosts?per_page=1000`).expect(200)).body;
    expect(hosts.total).toBe(200);
    const names = hosts.results.map((h: { host_name: string }) => h.host_name);
    expect(new Set(names).size).toBe(200);
    const skipped = (await http(app).get(`/api/v2/remote_execution/jobs/${job.id}/hosts?state=skipped&per_page=100`).expect(200)).body;
    const reasons = new Set(skipped.results.map((h: { reason: string }) => h.reason));
    expect(reasons).toEqual(new Set(['host has no smart proxy', 'smart proxy proxy-puppet-only has no remote_execution capability']));
    const ok = (await http(app).get(`/api/v2/remote_execution/jobs/${job.id}/hosts?state=succeeded&per_page=1`).expect(200)).body;
    expect(ok.subtotal).toBe(172);
    expect(ok.results[0]).toMatchObject({ state: 'succeeded', statuscode: 0, data: { status: expect.any(String) } });
  });

  it('links a replay on another hostgroup to its parent and reuses the stored action', async () => {
    const parent = (await http(app).post('/api/v2/remote_execution/jobs', { job: { namespace: 'service', action: 'status', arguments: { service: 'cron' }, targeting: { hostgroup_id: group('web/eu') }, timeout: 2 } }).expect(201)).body as Job;
    await waitFinal(app, parent.id);
    const replay = (await http(app).post(`/api/v2/remote_execution/jobs/${parent.id}/replay`, { targeting: { hostgroup_id: group('db') } }).expect(201)).body as Job;
    expect(replay).toMatchObject({ parent_id: parent.id, remote_action_id: parent.remote_action_id, arguments: { service: 'cron' }, targeting: { hostgroup_id: group('db') } });
    const done = await waitFinal(app, replay.id);
    expect(done.counts).toMatchObject({ succeeded: 20 });
    const actions = (await http(app).get('/api/v2/remote_execution/actions?namespace=service&per_page=100').expect(200)).body;
    const cron = actions.results.filter((a: { arguments: { service: string } }) => a.arguments.service === 'cron');
    expect(cron).toEqual([expect.objectContaining({ id: parent.remote_action_id, run_count: 2 })]);
  });

  it('replays only the failed hosts when asked for hosts=failed', async () => {
    const parent = (await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { hostgroup_id: group('web') }, timeout: 1 } }).expect(201)).body as Job;
    await waitFinal(app, parent.id);
    const replay = (await http(app).post(`/api/v2/remote_execution/jobs/${parent.id}/replay`, { hosts: 'failed' }).expect(201)).body as Job;
    expect(replay.total_hosts).toBe(8);
    expect(replay.targeting.host_ids?.length).toBe(8);
  });

  it('stores one action row when the same arguments come in another key order', async () => {
    const a = (await http(app).post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'vim' }, targeting: { host_ids: [host(1)] } } }).expect(201)).body as Job;
    const b = (await http(app).post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'vim' }, targeting: { host_ids: [host(2)] } } }).expect(201)).body as Job;
    expect(b.remote_action_id).toBe(a.remote_action_id);
  });

  it('finds stored actions by a search over namespace, action and arguments, with total and subtotal', async () => {
    const vim = (await http(app).post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'vim-tiny' }, targeting: { host_ids: [host(3)] } } }).expect(201)).body as Job;
    const all = (await http(app).get('/api/v2/remote_execution/actions?per_page=1000').expect(200)).body;
    const byWord = (await http(app).get('/api/v2/remote_execution/actions?search=vim-tiny').expect(200)).body;
    expect(byWord).toMatchObject({ total: all.total, subtotal: 1, search: 'vim-tiny', results: [expect.objectContaining({ id: vim.remote_action_id, namespace: 'package', action: 'status' })] });
    const byField = (await http(app).get('/api/v2/remote_execution/actions?search=namespace = package and action = status and vim-tiny').expect(200)).body;
    expect(byField.results.map((a: { id: number }) => a.id)).toEqual([vim.remote_action_id]);
    const none = (await http(app).get('/api/v2/remote_execution/actions?search=namespace != package and vim-tiny').expect(200)).body;
    expect(none).toMatchObject({ subtotal: 0, results: [] });
    const refused = await http(app).get('/api/v2/remote_execution/actions?search=hostgroup = web').expect(400);
    expect(refused.body.error.message).toBe("search: unknown field 'hostgroup' at position 1; valid fields are id, namespace, action, arguments");
  });

  it('answers 422 naming the input and the rule when an argument breaks the DDL', async () => {
    const res = await http(app).post('/api/v2/remote_execution/jobs', { job: { namespace: 'service', action: 'status', arguments: { service: 'sshd; rm -rf /' }, targeting: { hostgroup_id: group('web') } } }).expect(422);
    expect(res.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { input: 'service' } });
    expect(res.body.error.details.rule).toEqual(expect.any(String));
  });

  it('answers 400 when the targeting names two kinds at once', async () => {
    const res = await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { hostgroup_id: group('web'), host_ids: [host(1)] } } }).expect(400);
    expect(res.body.error.message).toContain('exactly one of search, host_ids, hostgroup_id');
  });

  it('fails only the hosts of a proxy that cannot be reached, naming it', async () => {
    const targets = [1, 2, 3, 4, 5].map((i) => host(i)).concat([host('down-1'), host('down-2')]);
    const job = (await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { host_ids: targets }, timeout: 2 } }).expect(201)).body as Job;
    const done = await waitFinal(app, job.id);
    expect(done.counts).toMatchObject({ succeeded: 5, failed: 2 });
    const failed = (await http(app).get(`/api/v2/remote_execution/jobs/${job.id}/hosts?state=failed`).expect(200)).body;
    expect(failed.results.map((h: { reason: string }) => h.reason)).toEqual([expect.stringContaining('smart proxy proxy-down failed'), expect.stringContaining('smart proxy proxy-down failed')]);
  });

  it('finds jobs by namespace, state, host, hostgroup with descendants and fact', async () => {
    const byFact = (await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { search: 'facts.rex_marker = seven' }, timeout: 2 } }).expect(201)).body as Job;
    expect(byFact).toMatchObject({ total_hosts: 1, targeting: { fact_names: ['rex_marker'] } });
    await waitFinal(app, byFact.id);
    const ids = async (path: string) => ((await http(app).get(path).expect(200)).body.results as Job[]).map((j) => j.id);
    expect(await ids('/api/v2/fact_names/rex_marker/remote_execution/jobs')).toEqual([byFact.id]);
    expect(await ids(`/api/v2/hosts/${host(7)}/remote_execution/jobs`)).toContain(byFact.id);
    expect(await ids(`/api/v2/hosts/${host(181)}/remote_execution/jobs`)).not.toContain(byFact.id);
    // Host 7 is in web/eu, a child of web: the web history includes it.
    expect(await ids(`/api/v2/hostgroups/${group('web')}/remote_execution/jobs?per_page=100`)).toContain(byFact.id);
    expect(await ids(`/api/v2/hostgroups/${group('db')}/remote_execution/jobs?per_page=100`)).not.toContain(byFact.id);
    expect(await ids(`/api/v2/remote_execution/jobs?search=${encodeURIComponent(`namespace = service and host = ${fixture.prefix}00007`)}&per_page=100`)).toContain(byFact.id);
    expect(await ids(`/api/v2/remote_execution/jobs?search=${encodeURIComponent('state = running')}`)).toEqual([]);
    expect(await ids(`/api/v2/remote_execution/jobs?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).toEqual([]);
  });

  it('lists on a smart proxy only the jobs that sent work to it', async () => {
    const onA = (await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { host_ids: [host(3)] }, timeout: 2 } }).expect(201)).body as Job;
    const onB = (await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { host_ids: [host(183)] }, timeout: 2 } }).expect(201)).body as Job;
    await waitFinal(app, onA.id);
    await waitFinal(app, onB.id);
    const ids = async (path: string) => ((await http(app).get(path).expect(200)).body.results as Job[]).map((j) => j.id);
    const a = (await http(app).get('/api/v2/smart_proxies/proxy-a').expect(200)).body as { id: number };
    const b = (await http(app).get('/api/v2/smart_proxies/proxy-b').expect(200)).body as { id: number };
    const historyA = await ids(`/api/v2/smart_proxies/${a.id}/remote_execution/jobs?per_page=1000`);
    const historyB = await ids(`/api/v2/smart_proxies/${b.id}/remote_execution/jobs?per_page=1000`);
    expect(historyA).toContain(onA.id);
    expect(historyA).not.toContain(onB.id);
    expect(historyB).toContain(onB.id);
    expect(historyB).not.toContain(onA.id);
    expect(await ids(`/api/v2/smart_proxies/${a.id}/remote_execution/jobs?search=${encodeURIComponent('state = running')}`)).toEqual([]);
    expect(await ids('/api/v2/smart_proxies/proxy-a/remote_execution/jobs?per_page=1000')).toEqual(historyA);
    const unknown = await http(app).get('/api/v2/smart_proxies/abc/remote_execution/jobs').expect(404);
    expect(unknown.body.error.message).toBe("smart proxy not found by id or name 'abc'");
  });

  it('lists namespaces from the reachable capable proxies only', async () => {
    const res = await http(app).get('/api/v2/remote_execution/namespaces').expect(200);
    const service = res.body.results.find((n: { name: string }) => n.name === 'service');
    expect(service.actions.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['status', 'restart']));
    expect(service.smart_proxy_ids).toEqual([ids.proxyIds.get('proxy-a'), ids.proxyIds.get('proxy-b')].sort((a, b) => a! - b!));
    const onlyA = await http(app).get(`/api/v2/remote_execution/namespaces?smart_proxy_id=${ids.proxyIds.get('proxy-a')}`).expect(200);
    expect(onlyA.body.results.every((n: { smart_proxy_ids: number[] }) => n.smart_proxy_ids.length === 1)).toBe(true);
  });

  it('answers 422 naming the namespace when no proxy knows it, and what each smart proxy lacks', async () => {
    const res = await http(app).post('/api/v2/remote_execution/jobs', { job: { namespace: 'nosuchagent', action: 'x', targeting: { host_ids: [host(1)] } } }).expect(422);
    expect(res.body.error.details).toMatchObject({ input: 'namespace', rule: 'known namespace' });
    const lacks = Object.fromEntries((res.body.error.details.smart_proxies as Array<{ name: string; lacks: string }>).map((p) => [p.name, p.lacks]));
    expect(lacks).toEqual({
      'proxy-a': expect.stringMatching(/^the agent 'nosuchagent' \(it has .*rpcutil/),
      'proxy-b': expect.stringMatching(/^the agent 'nosuchagent' \(it has .*rpcutil/),
      'proxy-puppet-only': expect.stringMatching(/^the remote_execution capability \(it has puppet; refresh it/),
      'proxy-down': expect.stringMatching(/^an answer \(smart proxy 127\.0\.0\.1:\d+: .*ECONNREFUSED/),
    });
    expect(res.body.error.message).toMatch(/^namespace 'nosuchagent' is not known to any reachable smart proxy: smart proxy proxy-a lacks the agent 'nosuchagent'/);
  });

  it('pages host results on the server and filters them by state and name', async () => {
    const job = (await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { hostgroup_id: group('db') }, timeout: 2 } }).expect(201)).body as Job;
    await waitFinal(app, job.id);
    const page2 = (await http(app).get(`/api/v2/remote_execution/jobs/${job.id}/hosts?page=2&per_page=5`).expect(200)).body;
    expect(page2).toMatchObject({ total: 20, subtotal: 20, page: 2, per_page: 5 });
    expect(page2.results.map((h: { host_name: string }) => h.host_name)).toEqual([186, 187, 188, 189, 190].map((i) => `${fixture.prefix}${pad(i)}`));
    const one = (await http(app).get(`/api/v2/remote_execution/jobs/${job.id}/hosts?search=${fixture.prefix}00199&state=succeeded`).expect(200)).body;
    expect(one.subtotal).toBe(1);
    await http(app).get(`/api/v2/remote_execution/jobs/${job.id}/hosts?state=weird`).expect(400);
  });

  it('answers 404 for a job that does not exist', async () => {
    await http(app).get('/api/v2/remote_execution/jobs/999999').expect(404);
  });

  it('cancels a job: nothing new is sent and open hosts end cancelled', async () => {
    const job = (await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { hostgroup_id: group('web') }, timeout: 30, concurrency_level: 5 } }).expect(201)).body as Job;
    await http(app).post(`/api/v2/remote_execution/jobs/${job.id}/cancel`, {}).expect(200);
    const done = await waitFinal(app, job.id);
    expect(done.state).toBe('cancelled');
    expect(done.counts.cancelled).toBeGreaterThan(100);
    expect(done.counts.pending + done.counts.running).toBe(0);
    expect(Object.values(done.counts).reduce((a, b) => a + b, 0)).toBe(200);
  });
});

describe.each(testDatabases())('long polling and restarts on $kind', (database) => {
  let db: OpenTestDataSource;
  let fixture: Fixture;
  let ids: SeededInventory;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    fixture = await startFixture({ latencyMs: 300 });
    ids = await seedInventory(db.dataSource, fixture.seed);
  });
  const host = (i: number) => ids.hostIds.get(`${fixture.prefix}${pad(i)}`)!;

  afterAll(async () => {
    await stopFixture(fixture);
    await db?.close();
  });

  it('wakes a long-poll waiter within 100 ms of a result being stored', async () => {
    const app = await startJobApp({ dataSource: db.dataSource, proxies: fixture.client });
    try {
      const job = (await http(app).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { host_ids: [host(1)] }, timeout: 5 } }).expect(201)).body as Job;
      let version = job.version;
      const lags: number[] = [];
      for (;;) {
        // A real HTTP client (fetch), not supertest, so the measurement includes the socket.
        const res = await fetch(`${app.url}/api/v2/remote_execution/jobs/${job.id}?wait=10&since=${version}`, { headers: { Authorization: AUTH } });
        const received = Date.now();
        const body = (await res.json()) as JobStatus;
        lags.push(received - Date.parse(body.updated_at));
        version = body.version;
        if (body.counts.succeeded === 1) break;
      }
      expect(Math.max(...lags)).toBeLessThan(100);
    } finally {
      await app.close();
    }
  });

  it('wakes a long poll on a second instance sharing the database', async () => {
    const proxies = fixture.client;
    const writer = await startJobApp({ dataSource: db.dataSource, proxies, instanceId: 'writer' });
    // A second instance has its own connection pool, as a second process would.
    const readerDs = createDataSource(db.database);
    await readerDs.initialize();
    const reader = await startJobApp({ dataSource: readerDs, proxies, instanceId: 'reader' });
    try {
      const job = (await http(writer).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { host_ids: [host(2)] }, timeout: 5 } }).expect(201)).body as Job;
      const res = await fetch(`${reader.url}/api/v2/remote_execution/jobs/${job.id}/events?after=0&wait=10`, { headers: { Authorization: AUTH } });
      const received = Date.now();
      const page = (await res.json()) as JobEventsPage;
      expect(page.events).toHaveLength(1);
      const status = (await http(reader).get(`/api/v2/remote_execution/jobs/${job.id}`).expect(200)).body as JobStatus;
      expect(received - Date.parse(status.updated_at)).toBeLessThan(700);
    } finally {
      await writer.close();
      await reader.close();
      await readerDs.destroy();
    }
  });

  /**
   * Runs a 200-host job, kills the app once some results are stored and others are in flight,
   * starts it again under the same instance id (as a service manager would: it takes its job leases
   * back at once) and checks that no result was lost or stored twice.
   */
  async function expectNoLossAcrossKill(start: () => Promise<KillableApp>): Promise<void> {
    // Counted per agent: the proxies' own discovery of their fleet may land at any moment.
    const askedBefore = fixture.fleet.stats.byAgent.service ?? 0;
    const started: KillableApp[] = [await start()];
    try {
      const first = started[0];
      const job = (await http(first).post('/api/v2/remote_execution/jobs', { job: { ...serviceStatus, targeting: { search: `name ~ ${fixture.prefix}00` }, timeout: 2, concurrency_level: 20 } }).expect(201)).body as Job;
      expect(job.total_hosts).toBe(200);
      let atKill = job as Job;
      for (let n = 0; n < 400 && atKill.counts.succeeded < 40; n++) {
        await new Promise((r) => setTimeout(r, 25));
        atKill = (await http(first).get(`/api/v2/remote_execution/jobs/${job.id}`).expect(200)).body as JobStatus;
      }
      await first.kill();
      expect(atKill.state).toBe('running');
      expect(atKill.counts.succeeded).toBeGreaterThanOrEqual(40);
      expect(atKill.counts.pending + atKill.counts.running).toBeGreaterThan(100);
      const second = await start();
      started.push(second);
      const done = await waitFinal(second, job.id, 60_000);
      expect(done.counts).toEqual({ pending: 0, running: 0, succeeded: 192, failed: 0, no_response: 8, skipped: 0, cancelled: 0 });
      const events = await allEvents(second, job.id);
      expect(events).toHaveLength(200);
      expect(new Set(events.map((e) => e.host_id)).size).toBe(200);
      expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      // Each node was asked once: the restarted app re-attached to the proxies' streams instead of sending again.
      expect((fixture.fleet.stats.byAgent.service ?? 0) - askedBefore).toBe(200);
    } finally {
      for (const app of started) await app.close();
    }
  }

  it('loses and duplicates no result when the ui-extension is killed and restarted mid-job', async () => {
    // In this process: the crash stops all writes and leaves its leases behind.
    await expectNoLossAcrossKill(async () => {
      const app = await startJobApp({ dataSource: db.dataSource, proxies: fixture.client, instanceId: 'restarting' });
      let stopped = false;
      const stop = async () => {
        if (!stopped) await app.crash();
        stopped = true;
      };
      return { url: app.url, kill: stop, close: stop };
    });
  });

  it('loses and duplicates no result when the ui-extension process is killed with SIGKILL and restarted mid-job', async () => {
    // The server entry point as its own OS process, reaching the proxies over gRPC from the inventory.
    await expectNoLossAcrossKill(async () => {
      const child: UiProcess = await startUiProcess({ database: db.database, instanceId: 'sigkilled' });
      return {
        url: child.url,
        kill: async () => {
          expect(await child.kill('SIGKILL')).toBe('SIGKILL');
        },
        close: async () => {
          await child.kill('SIGTERM');
        },
      };
    });
  });
});
