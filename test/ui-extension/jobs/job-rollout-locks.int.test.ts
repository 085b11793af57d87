/**
 * Lock order on MariaDB while a rollout's results stream in (issue 17, rollout-runner.ts): a result
 * batch writes the job row first (its lease check) and then the host rows and proxy cursors while it
 * holds that row's lock; the rollout runner (claim, gate, deadline), pause, resume and admissions write
 * the job row too. The real app over HTTP, a proxy-plugin gRPC server on the local NATS and the virtual
 * Choria fleet; every result transaction holds the job row a little longer than it would, and a user
 * pauses and resumes the job again and again while batches are out and between them (pause_s). No
 * deadlock and no lock wait timeout may come of it, and the record must be exactly what ran.
 */
import request from 'supertest';
import type { EntityManager } from 'typeorm';
import type { Job } from '@common/jobs';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from './support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp, type SeededInventory } from './support/job-stack';

jest.setTimeout(120_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const HOSTS = 40;
const BATCH = 8;
const pad = (i: number) => String(i).padStart(5, '0');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT. */
const isLockError = (e: unknown) => [1213, 1205].includes((e as { errno?: number }).errno ?? 0) || /deadlock|lock wait timeout/i.test(String((e as Error)?.message));

describe.each(testDatabases().filter((d) => d.kind === 'mysql'))('a rollout paused and resumed while its results stream in on $kind', (database) => {
  const prefix = `rlock-${database.kind}-`;
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let client: ProxyClients;
  let ids: SeededInventory;
  let app: JobApp | undefined;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const collective = `rexrlock${database.kind}${process.pid}`;
    // Replies spread over a while: results keep coming while the pauses land.
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: HOSTS, identityPrefix: prefix, seed: prefix, failureRate: 0, latencyMs: 400 });
    proxy = await startTestProxy({ name: 'proxy-rl', natsUrl: NATS_URL, collective });
    client = createTestProxyClient();
    ids = await seedInventory(db.dataSource, {
      hostgroups: ['rlock'],
      proxies: [{ name: 'proxy-rl', url: proxy.url, capabilities: ['remote_execution', 'choria'] }],
      hosts: Array.from({ length: HOSTS }, (_, i) => ({ name: `${prefix}${pad(i + 1)}`, proxy: 'proxy-rl', hostgroup: 'rlock' })),
    });
    app = await startJobApp({ dataSource: db.dataSource, proxies: client, instanceId: `rlock-${database.kind}` });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    client?.close();
    await proxy?.stop();
    await fleet?.stop();
    await db?.close();
  });

  const post = (path: string) => request(app!.url).post(path).set('Authorization', AUTH).send({});
  const get = async (id: number) => (await request(app!.url).get(`/api/v2/remote_execution/jobs/${id}`).set('Authorization', AUTH).expect(200)).body as Job;
  const final = (job: Job) => ['succeeded', 'failed', 'cancelled'].includes(job.state);

  it('ends with every host run once and recorded once, without a deadlock or lock wait timeout', async () => {
    const lockErrors: unknown[] = [];
    let held = 0;
    // Every transaction of the app (result batches, admissions) is watched for lock errors; a result
    // batch, once its job row UPDATE has the row, keeps it 30 ms longer so that pauses, resumes and the
    // runner's own writes of the row queue behind it while it writes the host rows.
    const original = db.dataSource.transaction.bind(db.dataSource) as (run: (m: EntityManager) => Promise<unknown>) => Promise<unknown>;
    jest.spyOn(db.dataSource, 'transaction').mockImplementation((async (...args: unknown[]) => {
      if (args.length !== 1 || typeof args[0] !== 'function') throw new Error('this test watches transaction(run) only');
      const run = args[0] as (m: EntityManager) => Promise<unknown>;
      try {
        return await original(async (m) => {
          const slow = Object.create(m) as EntityManager;
          slow.query = (async (sql: string, params?: unknown[]) => {
            const out = (await m.query(sql, params)) as unknown;
            if (/^UPDATE job_invocations SET count_.*last_event_seq/s.test(sql)) {
              held += 1;
              await sleep(30);
            }
            return out;
          }) as EntityManager['query'];
          return run(slow);
        });
      } catch (error) {
        if (isLockError(error)) lockErrors.push(error);
        throw error;
      }
    }) as never);

    const before = fleet.seen()['rpcutil#ping']?.received ?? {};
    const jobId = ((await request(app!.url).post('/api/v2/remote_execution/jobs').set('Authorization', AUTH)
      .send({ job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('rlock')! }, rollout: { batch_size: BATCH, pause_s: 1 } } }).expect(201)).body as Job).id;

    // A user pausing and resuming over and over until the job ends; each answer must be 200, or 400 once it ended.
    let pauses = 0;
    let pausedWhileOut = 0;
    const httpErrors: string[] = [];
    const end = Date.now() + 90_000;
    for (;;) {
      const job = await get(jobId);
      if (final(job) || Date.now() > end) break;
      const paused = await post(`/api/v2/remote_execution/jobs/${jobId}/pause`);
      if (paused.status === 200) {
        pauses += 1;
        if ((paused.body as Job).counts.running > 0) pausedWhileOut += 1;
      } else if (paused.status !== 400) httpErrors.push(`pause ${paused.status} ${JSON.stringify(paused.body)}`);
      await sleep(80);
      const resumed = await post(`/api/v2/remote_execution/jobs/${jobId}/resume`);
      if (resumed.status !== 200 && resumed.status !== 400) httpErrors.push(`resume ${resumed.status} ${JSON.stringify(resumed.body)}`);
      await sleep(120);
    }
    const done = await get(jobId);

    expect(httpErrors).toEqual([]);
    expect(lockErrors).toEqual([]);
    expect(done.state).toBe('succeeded');
    expect(done.counts).toMatchObject({ succeeded: HOSTS, running: 0, pending: 0, failed: 0, no_response: 0, cancelled: 0 });
    // (It may end paused: a pause that lands during the last batch holds nothing more.)
    expect(done.rollout_progress).toMatchObject({ batch: HOSTS / BATCH, batches: HOSTS / BATCH });
    // The pauses did land while results were out, and the result batches did hold the row meanwhile.
    expect(pauses).toBeGreaterThan(3);
    expect(pausedWhileOut).toBeGreaterThan(0);
    // At least one result transaction a batch (a HostsSent rides on its results, so seldom more: sentHoldMs).
    expect(held).toBeGreaterThanOrEqual(HOSTS / BATCH);
    // Exactly what ran: every host asked once, one reply each, the counts those of the rows.
    const rows = (await db.dataSource.query('SELECT host_name, state, statuscode FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ host_name: string; state: string; statuscode: number }>;
    expect(rows.map((r) => [r.state, Number(r.statuscode)])).toEqual(rows.map(() => ['succeeded', 0]));
    const after = fleet.seen()['rpcutil#ping']?.received ?? {};
    expect(rows.map((r) => (after[r.host_name] ?? 0) - (before[r.host_name] ?? 0))).toEqual(rows.map(() => 1));
    // No deadlock the server saw on this database's tables, in any statement (the runner's and the pause's are not in transactions).
    const [{ name }] = (await db.dataSource.query('SELECT DATABASE() AS name')) as Array<{ name: string }>;
    const [status] = (await db.dataSource.query('SHOW ENGINE INNODB STATUS')) as Array<{ Status: string }>;
    const deadlock = /LATEST DETECTED DEADLOCK[\s\S]*?\n-{6,}\nTRANSACTIONS/.exec(status.Status)?.[0] ?? '';
    expect(deadlock.includes(`\`${name}\``)).toBe(false);
  });
});
