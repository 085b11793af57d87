/**
 * An instance whose job lease went to another one mid-job (it stalled past its lease; issue 17: the
 * record must be exactly what ran), on SQLite and MariaDB: the real app over HTTP, a proxy-plugin gRPC
 * server on the local NATS and the virtual Choria fleet. Instance A runs a job in chunks; its lease is
 * then taken (as claimOrphanedJobs does for B); from then on A writes nothing of its results and stops
 * following the job, and B, started after, resumes it from the stored proxy cursors and finishes it:
 * every host asked once and recorded once, none lost.
 */
import request from 'supertest';
import type { Job } from '@common/jobs';
import { dbDate } from '@server/jobs/job-rows';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from './support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp, type SeededInventory } from './support/job-stack';

jest.setTimeout(120_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const HOSTS = 24;
const CHUNK = 4;
const pad = (i: number) => String(i).padStart(5, '0');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDatabases())('a job whose lease another instance took over on $kind', (database) => {
  const prefix = `ltake-${database.kind}-`;
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let client: ProxyClients;
  let ids: SeededInventory;
  const apps: JobApp[] = [];
  /** Proxy calls of each instance after `since` (ms). */
  const calls: Array<{ by: string; what: string; at: number }> = [];

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const collective = `rexltake${database.kind}${process.pid}`;
    // Replies 400 ms after each request, chunks of 4 one after another: the job takes a few seconds.
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: HOSTS, identityPrefix: prefix, seed: prefix, failureRate: 0, latencyMs: 400 });
    proxy = await startTestProxy({ name: 'proxy-lt', natsUrl: NATS_URL, collective });
    client = createTestProxyClient();
    ids = await seedInventory(db.dataSource, {
      hostgroups: ['ltake', 'lsilent'],
      proxies: [{ name: 'proxy-lt', url: proxy.url, capabilities: ['remote_execution', 'choria'] }],
      hosts: [
        ...Array.from({ length: HOSTS }, (_, i) => ({ name: `${prefix}${pad(i + 1)}`, proxy: 'proxy-lt', hostgroup: 'ltake' })),
        // Under the proxy but not in the fleet: they never answer.
        ...[1, 2].map((i) => ({ name: `${prefix}silent-${i}`, proxy: 'proxy-lt', hostgroup: 'lsilent' })),
      ],
    });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    client?.close();
    await proxy?.stop();
    await fleet?.stop();
    await db?.close();
  });

  /** The app as instance `by`, its proxy calls recorded. */
  async function instance(by: string): Promise<JobApp> {
    const proxies: ProxyClients = {
      ...client,
      execute: (...args: Parameters<ProxyClients['execute']>) => {
        calls.push({ by, what: `execute ${args[1].execution_id}`, at: Date.now() });
        args[3]?.addEventListener('abort', () => calls.push({ by, what: `aborted ${args[1].execution_id}`, at: Date.now() }), { once: true });
        return client.execute(...args);
      },
      getResults: (...args: Parameters<ProxyClients['getResults']>) => (calls.push({ by, what: `results ${args[1].execution_id}`, at: Date.now() }), client.getResults(...args)),
    };
    const app = await startJobApp({ dataSource: db.dataSource, proxies, instanceId: `${prefix}${by}` });
    apps.push(app);
    return app;
  }

  async function stored(jobId: number) {
    const [job] = (await db.dataSource.query('SELECT version, last_event_seq, count_pending, count_running, count_succeeded FROM job_invocations WHERE id = ?', [jobId])) as Array<Record<string, number>>;
    const hosts = (await db.dataSource.query('SELECT state, started_at, event_seq FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ state: string; started_at: unknown; event_seq: number }>;
    const streams = (await db.dataSource.query('SELECT last_sequence FROM job_invocation_proxies WHERE job_invocation_id = ?', [jobId])) as Array<{ last_sequence: number }>;
    return { job: Object.fromEntries(Object.entries(job).map(([k, v]) => [k, Number(v)])), hosts: hosts.map((h) => `${h.state}/${h.started_at !== null}/${Number(h.event_seq)}`), cursor: streams.map((s) => Number(s.last_sequence)) };
  }

  it('writes nothing more on the stale instance and stops it following the job; the new owner finishes it, every host once', async () => {
    const a = await instance('a');
    const get = async (app: JobApp, id: number) => (await request(app.url).get(`/api/v2/remote_execution/jobs/${id}`).set('Authorization', AUTH).expect(200)).body as Job;
    const before = fleet.seen()['rpcutil#ping']?.received ?? {};
    const jobId = ((await request(a.url).post('/api/v2/remote_execution/jobs').set('Authorization', AUTH)
      .send({ job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('ltake')! }, concurrency_level: CHUNK } }).expect(201)).body as Job).id;
    for (const end = Date.now() + 30_000; (await get(a, jobId)).counts.succeeded < CHUNK; await sleep(20)) if (Date.now() > end) throw new Error('no chunk recorded');

    // Instance b takes the lease (its claimOrphanedJobs after A's lease ran out), a long one.
    await db.dataSource.query('UPDATE job_invocations SET lease_owner = ?, lease_expires_at = ? WHERE id = ?', [`${prefix}b`, dbDate(new Date(Date.now() + 3_600_000)), jobId]);
    const taken = Date.now();
    const atTakeover = await stored(jobId);
    expect(atTakeover.job.count_succeeded).toBeLessThan(HOSTS);
    // More of A's results arrive (the chunk out, the ones after): none may be written; A lets the job go.
    await sleep(2500);
    expect(await stored(jobId)).toEqual(atTakeover);
    const stale = calls.filter((c) => c.by === 'a' && c.at > taken + 1000);
    expect(stale).toEqual([]);

    // B starts: its own lease counts as orphaned while it does not run the job, so it takes it up at once.
    const b = await instance('b');
    let done = await get(b, jobId);
    for (const end = Date.now() + 60_000; !['succeeded', 'failed', 'cancelled'].includes(done.state); done = await get(b, jobId)) {
      if (Date.now() > end) throw new Error(`job ${jobId} not final: ${JSON.stringify(done.counts)}`);
      await sleep(50);
    }
    expect(done.state).toBe('succeeded');
    expect(done.counts).toMatchObject({ succeeded: HOSTS, running: 0, pending: 0, no_response: 0, failed: 0, cancelled: 0 });
    // B followed the executions A had started (re-attach after the stored cursors) and sent the rest itself.
    expect(calls.some((c) => c.by === 'b' && c.what.startsWith('results '))).toBe(true);
    const names = ((await db.dataSource.query('SELECT host_name FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ host_name: string }>).map((r) => r.host_name);
    const after = fleet.seen()['rpcutil#ping']?.received ?? {};
    expect(names.map((n) => (after[n] ?? 0) - (before[n] ?? 0))).toEqual(names.map(() => 1));
    // Each chunk executed once, by whichever instance got to it first.
    const executes = calls.filter((c) => c.what.startsWith('execute ')).map((c) => c.what);
    expect(new Set(executes).size).toBe(executes.length);
    const final = await stored(jobId);
    expect(final.hosts.filter((h) => !/^succeeded\/true\/\d+$/.test(h))).toEqual([]);
    expect(new Set(final.hosts.map((h) => h.split('/')[2])).size).toBe(HOSTS);
  });

  it('lets go of a job that writes nothing at all once its lease renewal finds another instance holds it', async () => {
    const a = await instance('a2');
    const jobId = ((await request(a.url).post('/api/v2/remote_execution/jobs').set('Authorization', AUTH)
      .send({ job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('lsilent')! }, timeout: 60 } }).expect(201)).body as Job).id;
    const executed = () => calls.find((c) => c.by === 'a2' && c.what === `execute ${jobId}-${ids.proxyIds.get('proxy-lt')!}-1`);
    for (const end = Date.now() + 10_000; !executed(); await sleep(20)) if (Date.now() > end) throw new Error('never executed');
    await sleep(300);
    const atTakeover = await stored(jobId);
    // Nothing will come from these hosts: no result batch can find out. Only the renewal (every 5 s with the default 15 s lease) does.
    await db.dataSource.query('UPDATE job_invocations SET lease_owner = ?, lease_expires_at = ? WHERE id = ?', [`${prefix}b2`, dbDate(new Date(Date.now() + 3_600_000)), jobId]);
    const taken = Date.now();
    let aborted: { at: number } | undefined;
    for (const end = taken + 12_000; !aborted && Date.now() < end; await sleep(50)) aborted = calls.find((c) => c.by === 'a2' && c.what.startsWith(`aborted ${jobId}-`));
    expect(aborted).toBeDefined();
    expect(aborted!.at - taken).toBeLessThan(7_000);
    // And it wrote nothing, nor ended the job: it is b2's.
    expect(await stored(jobId)).toEqual(atTakeover);
    const [row] = (await db.dataSource.query('SELECT state, lease_owner FROM job_invocations WHERE id = ?', [jobId])) as Array<{ state: string; lease_owner: string }>;
    expect(row).toEqual({ state: 'running', lease_owner: `${prefix}b2` });
  });
});
