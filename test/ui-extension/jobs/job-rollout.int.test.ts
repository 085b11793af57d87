/**
 * Rollout policies (issue 17) end to end on SQLite and MariaDB: the real app over HTTP, a proxy-plugin
 * gRPC server with a Choria client on the local NATS, and the virtual Choria fleet, whose failing
 * nodes are known in advance (seededFraction, as the fleet picks them). The threshold stops the
 * rollout after the batch in which it was reached; a canary waits for a resume, also across a crash
 * and restart; a take-over by another instance carries on at the right batch and sends no host twice.
 */
import request from 'supertest';
import type { Job } from '@common/jobs';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { createTestProxyClient, startTestProxy, type TestProxy } from './support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp, type SeededInventory } from './support/job-stack';

jest.setTimeout(120_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const HOSTS = 60;
const FAILURE_RATE = 0.15;
const pad = (i: number) => String(i).padStart(5, '0');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDatabases())('rollout policies on $kind', (database) => {
  // Fixed identities (the collective keeps runs apart): the failing nodes are the same every run.
  const prefix = `roll-${database.kind}-`;
  const seed = prefix;
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let client: ProxyClients;
  let ids: SeededInventory;
  const apps: JobApp[] = [];

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const collective = `rexroll${database.kind}${process.pid}`;
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: HOSTS, identityPrefix: prefix, seed, failureRate: FAILURE_RATE });
    proxy = await startTestProxy({ name: 'proxy-r', natsUrl: NATS_URL, collective });
    client = createTestProxyClient();
    ids = await seedInventory(db.dataSource, {
      hostgroups: ['roll'],
      proxies: [{ name: 'proxy-r', url: proxy.url, capabilities: ['remote_execution', 'choria'] }],
      hosts: Array.from({ length: HOSTS }, (_, i) => ({ name: `${prefix}${pad(i + 1)}`, proxy: 'proxy-r', hostgroup: 'roll' })),
    });
  });

  afterEach(async () => {
    while (apps.length > 0) await apps.pop()!.close();
  });

  afterAll(async () => {
    client?.close();
    await proxy?.stop();
    await fleet?.stop();
    await db?.close();
  });

  async function app(instanceId: string): Promise<JobApp> {
    const a = await startJobApp({ dataSource: db.dataSource, proxies: client, instanceId });
    apps.push(a);
    return a;
  }
  const post = (a: JobApp, path: string, body?: unknown) => request(a.url).post(path).set('Authorization', AUTH).send(body as object);
  const get = async (a: JobApp, id: number) => (await request(a.url).get(`/api/v2/remote_execution/jobs/${id}`).set('Authorization', AUTH).expect(200)).body as Job;

  async function until(a: JobApp, id: number, what: string, done: (job: Job) => boolean, timeoutMs = 60_000): Promise<Job> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const job = await get(a, id);
      if (done(job)) return job;
      if (Date.now() > end) throw new Error(`job ${id}: ${what} not reached: ${JSON.stringify({ state: job.state, counts: job.counts, rollout: job.rollout_progress })}`);
      await sleep(100);
    }
  }
  const final = (job: Job) => ['succeeded', 'failed', 'cancelled'].includes(job.state);

  async function rows(jobId: number): Promise<Array<{ name: string; state: string; reason: string | null; asked: boolean }>> {
    const r = (await db.dataSource.query('SELECT host_name, state, reason, started_at FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ host_name: string; state: string; reason: string | null; started_at: unknown }>;
    return r.map((x) => ({ name: x.host_name, state: x.state, reason: x.reason, asked: x.started_at !== null }));
  }
  /** Requests each node received for an agent#action so far. */
  const received = (agentAction: string) => fleet.seen()[agentAction]?.received ?? {};

  it('sends no batch after the one in which the third failure arrived, and cancels the rest with the reason', async () => {
    const a = await app('roll-a');
    const res = await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'service', action: 'status', arguments: { service: 'sshd' }, targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! }, rollout: { batch_size: 10, max_failures: 3 } } }).expect(201);
    const id = (res.body as Job).id;
    const done = await until(a, id, 'final', final);

    // What must have happened, from the rows' order and the fleet's known failing nodes.
    const hostRows = await rows(id);
    const failing = (name: string) => fleet.nodes.get(name)!.failing;
    let failures = 0;
    let stopBatch = 0;
    for (let b = 1; b <= 6 && stopBatch === 0; b++) {
      failures += hostRows.slice((b - 1) * 10, b * 10).filter((h) => failing(h.name)).length;
      if (failures >= 3) stopBatch = b;
    }
    expect(stopBatch).toBeGreaterThan(0);
    expect(stopBatch).toBeLessThan(6); // the fleet's failures fall early enough to leave batches unsent
    const sent = hostRows.slice(0, stopBatch * 10);
    const notSent = hostRows.slice(stopBatch * 10);
    const reason = `not sent: failure threshold 3 reached in batch ${stopBatch} of 6`;
    expect(sent.map((h) => [h.name, h.state])).toEqual(sent.map((h) => [h.name, failing(h.name) ? 'failed' : 'succeeded']));
    expect(notSent.map((h) => [h.name, h.state, h.reason, h.asked])).toEqual(notSent.map((h) => [h.name, 'cancelled', reason, false]));
    const failedCount = sent.filter((h) => failing(h.name)).length;
    expect(done.state).toBe('failed');
    expect(done.counts).toEqual({ pending: 0, running: 0, succeeded: sent.length - failedCount, failed: failedCount, no_response: 0, skipped: 0, cancelled: notSent.length });
    expect(done.rollout_progress).toMatchObject({ batch: stopBatch, batches: 6, failures: failedCount, max_failures: 3, stopped_reason: reason, paused: false });
    // The fleet never heard of the hosts not sent.
    const heard = received('service#status');
    expect(notSent.filter((h) => heard[h.name])).toEqual([]);
    expect(sent.every((h) => heard[h.name] === 1)).toBe(true);
  });

  it('waits after the canary until resumed, also across a crash and restart, and sends each host once', async () => {
    const before = received('rpcutil#ping');
    let a = await app('roll-b');
    const res = await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! }, rollout: { canary: { hosts: 5, then: 'wait' }, batch_size: '25%', pause_s: 1 } } }).expect(201);
    const id = (res.body as Job).id;
    const waiting = await until(a, id, 'canary done', (j) => j.rollout_progress?.paused === true && j.counts.succeeded === 5);
    // 5 canary hosts, then 55 in batches of 15 (25% of 60): 15, 15, 15, 10.
    expect(waiting.rollout_progress).toMatchObject({ batch: 1, batches: 5, batch_hosts: 5, pause_reason: 'canary of 5 hosts done; waiting for a resume' });
    expect(waiting.deadline_at).toBeNull();
    await sleep(1500);
    expect((await get(a, id)).counts).toMatchObject({ succeeded: 5, pending: 55, running: 0 });

    // Killed while paused (no writes, lease left behind) and started again: still paused.
    await a.crash();
    apps.splice(apps.indexOf(a), 1);
    a = await app('roll-b');
    await sleep(2000);
    const still = await get(a, id);
    expect(still.state).toBe('running');
    expect(still.counts).toMatchObject({ succeeded: 5, pending: 55 });
    expect(still.rollout_progress).toMatchObject({ batch: 1, paused: true });

    // Pausing again changes nothing; a resume lets the rest go, batch by batch with the pause between.
    expect((await post(a, `/api/v2/remote_execution/jobs/${id}/pause`).expect(200)).body).toMatchObject({ rollout_progress: { paused: true } });
    const resumed = (await post(a, `/api/v2/remote_execution/jobs/${id}/resume`).expect(200)).body as Job;
    expect(resumed.rollout_progress?.paused).toBe(false);
    await post(a, `/api/v2/remote_execution/jobs/${id}/resume`).expect(400);
    const done = await until(a, id, 'final', final);
    expect(done.state).toBe('succeeded');
    expect(done.counts.succeeded).toBe(HOSTS);
    expect(done.rollout_progress).toMatchObject({ batch: 5, batches: 5, paused: false, failures: 0 });
    const after = received('rpcutil#ping');
    const names = (await rows(id)).map((h) => h.name);
    expect(names.map((n) => (after[n] ?? 0) - (before[n] ?? 0))).toEqual(names.map(() => 1));
  });

  it('keeps the policy in a replay and in the jobs of a schedule', async () => {
    const a = await app('roll-e');
    const rollout = { batch_size: '50%', pause_s: 0, canary: { hosts: 1, then: 'continue' }, max_failures: 2 };
    const first = (await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! }, rollout } }).expect(201)).body as Job;
    const ran = await until(a, first.id, 'final', final);
    // The canary succeeded, so it went on by itself: 1 host, then 2 batches of 30 (50% of 60).
    expect(ran.rollout_progress).toMatchObject({ batch: 3, batches: 3, paused: false });
    const replay = (await post(a, `/api/v2/remote_execution/jobs/${first.id}/replay`, { hosts: 'all' }).expect(201)).body as Job;
    expect(replay.rollout).toEqual(rollout);
    await until(a, replay.id, 'final', final);
    const later = (await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! }, rollout, scheduling: { start_at: '2099-01-01T00:00:00Z' } } }).expect(201)).body as Job;
    expect(later.state).toBe('scheduled');
    expect(later.rollout).toEqual(rollout);
    await post(a, `/api/v2/remote_execution/jobs/${later.id}/cancel`).expect(200);
  });

  it('holds the next batch after a pause by a user without a deadline, and cancels while paused', async () => {
    const a = await app('roll-f');
    const res = await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! }, rollout: { batch_size: 20 } } }).expect(201);
    const id = (res.body as Job).id;
    const paused = (await post(a, `/api/v2/remote_execution/jobs/${id}/pause`).expect(200)).body as Job;
    expect(paused.rollout_progress).toMatchObject({ paused: true, pause_reason: 'paused by admin' });
    // Whatever was sent before the pause finishes; then nothing more, and no deadline runs. A first batch
    // admitted before the pause (its hosts stored running) is sent, one not yet admitted is held
    // (job-rollout-pause.int.test.ts puts the pause in that window): either way, once held, the count stays.
    const isHeld = (j: Job) => j.state === 'running' && j.counts.running === 0 && j.deadline_at === null;
    await until(a, id, 'held', isHeld);
    await sleep(1000);
    const held = await until(a, id, 'held', isHeld);
    const sent = held.counts.succeeded;
    expect([0, 20]).toContain(sent);
    await sleep(1500);
    expect((await get(a, id)).counts).toMatchObject({ succeeded: sent, pending: HOSTS - sent, running: 0 });
    await post(a, `/api/v2/remote_execution/jobs/${id}/cancel`).expect(200);
    const done = await until(a, id, 'final', final);
    expect(done.state).toBe('cancelled');
    expect(done.counts).toMatchObject({ succeeded: sent, cancelled: HOSTS - sent, pending: 0 });
    expect((await rows(id)).filter((h) => h.state === 'cancelled').every((h) => h.reason === 'job cancelled' && !h.asked)).toBe(true);
    // Ended, it waits for no resume any more.
    expect(done.rollout_progress).toMatchObject({ paused: false, pause_reason: null });
  });

  it('lets cancel_jobs alone pause a rollout but never resume it: a resume sends batches, which needs create_jobs', async () => {
    const a = await app('roll-g');
    // A "stopper" role: it sees the jobs and may stop them, but may not run anything.
    const role = (await post(a, '/api/v2/roles', { role: { name: `${prefix}stopper` } }).expect(201)).body as { id: number };
    await post(a, '/api/v2/filters', { filter: { role_id: role.id, permissions: ['view_hosts', 'view_jobs', 'cancel_jobs'] } }).expect(201);
    const login = `${prefix}stopper`;
    const password = 'stopper-password-1';
    await post(a, '/api/v2/users', { user: { login, password, role_ids: [role.id] } }).expect(201);
    const stopper = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
    const as = (path: string) => request(a.url).post(path).set('Authorization', stopper).send({});
    const res = await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! }, rollout: { canary: { hosts: 5, then: 'wait' }, batch_size: '25%' } } }).expect(201);
    const id = (res.body as Job).id;
    await until(a, id, 'canary done', (j) => j.rollout_progress?.paused === true && j.counts.succeeded === 5);
    // The canary's gate is a human decision to run on the other 55 hosts: not the stopper's.
    const refused = await as(`/api/v2/remote_execution/jobs/${id}/resume`);
    expect(refused.status).toBe(403);
    expect((refused.body as { error: { details?: { missing_permissions?: string[] } } }).error.details?.missing_permissions).toEqual(['create_jobs']);
    await sleep(500);
    expect((await get(a, id)).rollout_progress).toMatchObject({ paused: true });
    expect((await get(a, id)).counts).toMatchObject({ succeeded: 5, pending: HOSTS - 5 });
    // Pausing (stopping more from going out) stays the stopper's, as cancelling is.
    await as(`/api/v2/remote_execution/jobs/${id}/pause`).expect(200);
    await as(`/api/v2/remote_execution/jobs/${id}/cancel`).expect(200);
    expect((await until(a, id, 'final', final)).state).toBe('cancelled');
  });

  it('refuses to pause a job without a rollout policy, naming the rule', async () => {
    const a = await app('roll-c');
    const res = await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! } } }).expect(201);
    const id = (res.body as Job).id;
    const refused = await post(a, `/api/v2/remote_execution/jobs/${id}/pause`);
    expect(refused.status).toBe(400);
    expect((refused.body as { error: { message: string } }).error.message).toMatch(/no rollout policy|only a queued or running job/);
    await until(a, id, 'final', final);
    const bad = await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! }, rollout: { batch_size: '0%' } } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('batch_size');
  });

  it('overlaps a batch with the writes of the one before, and a crash in between loses, doubles and re-sends nothing', async () => {
    const before = received('rpcutil#ping');
    // Every result write takes 300 ms more: batches 1 and 2's results are still queued when batch 3 is sent.
    const transaction = db.dataSource.transaction.bind(db.dataSource) as (...args: unknown[]) => Promise<unknown>;
    let slow = true;
    let inFlight = 0;
    const spy = jest.spyOn(db.dataSource, 'transaction').mockImplementation((async (...args: unknown[]) => {
      inFlight += 1;
      try {
        if (slow) await sleep(300);
        return await transaction(...args);
      } finally {
        inFlight -= 1;
      }
    }) as never);
    try {
      let a = await app('roll-o');
      const res = await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! }, rollout: { batch_size: 20 } } }).expect(201);
      const id = (res.body as Job).id;
      const batchOf = async () => Number(((await db.dataSource.query('SELECT rollout_batch FROM job_invocations WHERE id = ?', [id])) as Array<{ rollout_batch: number }>)[0].rollout_batch);
      for (let i = 0; i < 3000 && (await batchOf()) < 3; i++) await sleep(5);
      // Batch 3 went out before batch 2's results were stored (the overlap; before, they were stored first).
      const stored = (await rows(id)).slice(20, 40).filter((h) => h.state === 'succeeded').length;
      const [row] = (await db.dataSource.query('SELECT chunk FROM job_invocation_proxies WHERE job_invocation_id = ?', [id])) as Array<{ chunk: number }>;
      expect(stored).toBeLessThan(20);
      await a.crash();
      apps.splice(apps.indexOf(a), 1);
      // The row named chunk 1 or 2 then: a restart follows it and looks for the chunks after it.
      expect(Number(row.chunk)).toBeLessThan(3);
      // A killed process's last transaction is committed or rolled back before the next one starts.
      while (inFlight > 0) await sleep(10);
      slow = false;
      a = await app('roll-o');
      const done = await until(a, id, 'final', final, 90_000);
      const after = received('rpcutil#ping');
      const hosts = await rows(id);
      expect(hosts.map((h) => h.state)).toEqual(hosts.map(() => 'succeeded'));
      expect(hosts.map((h) => (after[h.name] ?? 0) - (before[h.name] ?? 0))).toEqual(hosts.map(() => 1));
      expect(done.state).toBe('succeeded');
      expect(done.counts.succeeded).toBe(HOSTS);
      expect(done.rollout_progress).toMatchObject({ batch: 3, batches: 3 });
    } finally {
      spy.mockRestore();
    }
  });

  it('is carried on by another instance after a take-over at the right batch, never sending a batch twice', async () => {
    const before = received('rpcutil#ping');
    const a = await app('roll-d1');
    const b = await app('roll-d2');
    const res = await post(a, '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('roll')! }, rollout: { batch_size: 20, pause_s: 3 } } }).expect(201);
    const id = (res.body as Job).id;
    // Crash the first instance during the pause after batch 1; the second one takes over once its lease expires.
    await until(a, id, 'batch 1 done', (j) => j.counts.succeeded === 20 && j.rollout_progress?.next_batch_at !== null);
    await a.crash();
    apps.splice(apps.indexOf(a), 1);
    const done = await until(b, id, 'final', final, 90_000);
    expect(done.state).toBe('succeeded');
    expect(done.rollout_progress).toMatchObject({ batch: 3, batches: 3 });
    const [lease] = (await db.dataSource.query('SELECT rollout_batch FROM job_invocations WHERE id = ?', [id])) as Array<{ rollout_batch: number }>;
    expect(Number(lease.rollout_batch)).toBe(3);
    const after = received('rpcutil#ping');
    const names = (await rows(id)).map((h) => h.name);
    expect(names.map((n) => (after[n] ?? 0) - (before[n] ?? 0))).toEqual(names.map(() => 1));
  });
});
