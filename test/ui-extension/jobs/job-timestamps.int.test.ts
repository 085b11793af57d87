/**
 * Every timestamp pair is ordered (issue #22 item 2): a job host's started_at is never after its
 * finished_at, in every final state, and a host never sent has no start at all; the same for jobs.
 * First on the real system (demo proxies, demo data, HTTP), where a reply that arrives before the
 * host's running mark is flushed used to leave the start after the end; then on the result store
 * alone, where the reply time is chosen.
 */
import { FINAL_HOST_STATES, type HostState, type Job, type JobHost } from '@common/jobs';
import { createJobInvocationRepository, type NewJob } from '@server/jobs/job-invocation.repository';
import { emptyCounts } from '@server/jobs/host-states';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { startDemoStack, waitForJob, type DemoStack } from '../search/support/demo-stack';
import { seedInventory } from './support/job-stack';

jest.setTimeout(120_000);

type Row = JobHost & { job_id: number };

/** In the inventory under a demo proxy but not in its fleet (of 12 nodes): they never answer. */
const SILENT = ['node-a00090.puppet-a.demo', 'node-a00091.puppet-a.demo', 'node-a00092.puppet-a.demo'];

function ordered(started: string | null, finished: string | null): boolean {
  return started === null || finished === null || Date.parse(started) <= Date.parse(finished);
}

describe.each(testDatabases())('timestamps of jobs and job hosts on the demo data on $kind', (database) => {
  let stack: DemoStack;
  const rows: Row[] = [];
  const jobs: Job[] = [];

  const hostsOf = async (id: number): Promise<JobHost[]> => (await stack.get(`/api/v2/remote_execution/jobs/${id}/hosts?per_page=1000`).expect(200)).body.results as JobHost[];

  beforeAll(async () => {
    stack = await startDemoStack(database, {
      extraHosts: [
        ...SILENT.map((name) => ({ name, hostgroup: 'base/db', smart_proxy: 'puppet-a.demo', facts: { rex_demo: 'true' } })),
        { name: 'orphan.demo', hostgroup: 'base/web', smart_proxy: null, facts: { rex_demo: 'true' } },
      ],
    });
    // Succeeded (nginx found), failed (not found), no_response (the silent hosts), skipped (no proxy).
    const mixed = (await stack.post('/api/v2/remote_execution/jobs', { job: { namespace: 'service', action: 'status', arguments: { service: 'nginx' }, targeting: { search: 'facts.rex_demo = true' }, timeout: 1 } }).expect(201)).body as Job;
    // Cancelled: the silent hosts one at a time, cancelled while the first waits: the first was asked
    // (it ends no_response: it may have run), the others were never sent (cancelled).
    const silent = ((await stack.get(`/api/v2/hosts?search=${encodeURIComponent(`name ^ (${SILENT.join(', ')})`)}`).expect(200)).body.results as Array<{ id: number }>).map((h) => h.id);
    const cancelled = (await stack.post('/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: silent }, timeout: 20, concurrency_level: 1 } }).expect(201)).body as Job;
    const until = Date.now() + 20_000;
    while ((await hostsOf(cancelled.id)).every((h) => h.started_at === null)) {
      if (Date.now() > until) throw new Error('no silent host was ever sent');
      await new Promise((r) => setTimeout(r, 50));
    }
    await stack.post(`/api/v2/remote_execution/jobs/${cancelled.id}/cancel`, {}).expect(200);
    // A scheduled job cancelled before it ran: an end, no start.
    const scheduled = (await stack.post('/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: silent }, scheduling: { start_at: new Date(Date.now() + 86_400_000).toISOString() } } }).expect(201)).body as Job;
    await stack.post(`/api/v2/remote_execution/jobs/${scheduled.id}/cancel`, {}).expect(200);
    for (const job of [mixed, cancelled, scheduled]) {
      jobs.push((await waitForJob(stack, job.id)) as unknown as Job);
      rows.push(...(await hostsOf(job.id)).map((h) => ({ ...h, job_id: job.id })));
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each([...FINAL_HOST_STATES])('never puts started_at after finished_at for %s hosts', (state: HostState) => {
    const inState = rows.filter((r) => r.state === state);
    expect(inState.length).toBeGreaterThan(0);
    expect(inState.every((r) => r.finished_at !== null)).toBe(true);
    expect(inState.filter((r) => !ordered(r.started_at, r.finished_at)).map((r) => `${r.host_name}: ${r.started_at} > ${r.finished_at}`)).toEqual([]);
  });

  it('gives no start to hosts that were never sent, and a start to hosts that were', () => {
    expect(rows.filter((r) => r.state === 'skipped').every((r) => r.started_at === null)).toBe(true);
    expect(rows.filter((r) => r.state === 'succeeded' || r.state === 'failed' || r.state === 'no_response').every((r) => r.started_at !== null)).toBe(true);
    // The job was cancelled while its first silent host waited: that one was sent (no_response, with
    // its start), the other two never (cancelled, no start).
    const cancelledJob = jobs[1].id;
    const ofCancelledJob = rows.filter((r) => r.job_id === cancelledJob).map((r) => `${r.state}: ${r.started_at === null ? 'never sent' : 'sent'}`).sort();
    expect(ofCancelledJob).toEqual(['cancelled: never sent', 'cancelled: never sent', 'no_response: sent']);
    expect(rows.filter((r) => r.state === 'cancelled').every((r) => r.started_at === null)).toBe(true);
  });

  it('never puts a job\'s started_at after its finished_at, and ends every job', async () => {
    expect(jobs.map((j) => j.state)).toEqual(['failed', 'cancelled', 'cancelled']);
    for (const job of jobs) {
      const shown = (await stack.get(`/api/v2/remote_execution/jobs/${job.id}`).expect(200)).body as Job;
      expect(shown.finished_at).not.toBeNull();
      expect(ordered(shown.started_at, shown.finished_at)).toBe(true);
    }
  });
});

describe.each(testDatabases())('the result store keeps each host\'s start before its end on $kind', (database) => {
  let db: OpenTestDataSource;
  let hostIds: number[];

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const seeded = await seedInventory(db.dataSource, { hostgroups: ['ts'], proxies: [{ name: 'ts-proxy', url: '127.0.0.1:1', capabilities: ['remote_execution'] }], hosts: [1, 2, 3].map((i) => ({ name: `ts-${i}`, hostgroup: 'ts', proxy: 'ts-proxy' })) });
    hostIds = [...seeded.hostIds.values()];
  });

  afterAll(async () => {
    await db?.close();
  });

  it('moves the start to the reply time when the reply is older than the running mark, and gives a never-sent host no start', async () => {
    const repo = createJobInvocationRepository(db.dataSource);
    const now = new Date('2026-12-21T10:00:00.000Z');
    const action = await repo.findOrCreateRemoteAction({ namespace: 'rpcutil', action: 'ping', arguments: '{}', hash: 'ts-ping', now });
    const job: NewJob = {
      remoteActionId: action.id, parentId: null, owner: 'admin', ownerId: 1, description: '', targetingSearch: null, targetingHostIds: hostIds, targetingHostgroupId: null,
      factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 10, ddl: '{}', counts: { ...emptyCounts(), pending: 3 }, smartProxyIds: [], leaseOwner: 'ts', leaseExpiresAt: null, now,
      hosts: hostIds.map((hostId, i) => ({ hostId, hostName: `ts-${i + 1}`, smartProxyId: null, hostgroupId: null, state: 'pending', reason: null, finishedAt: null })),
    };
    const jobId = await repo.createJob(job);
    // A result batch is written only into a running job whose lease it names.
    await repo.updateJob(jobId, { state: 'running' }, now);
    const rowIds = (await repo.trackedHosts(jobId)).map((h) => h.rowId).sort((a, b) => a - b);
    const flushedAt = new Date(now.getTime() + 50);
    const result = (rowId: number, state: HostState, finishedAt: Date, eventSeq: number) => ({ rowId, state, reason: null, statuscode: state === 'succeeded' ? 0 : null, statusmsg: null, data: null, finishedAt, eventSeq, proxySequence: null, sentAt: null });
    // Hosts 1 and 2 were sent at +50 ms (the proxy's HostsSent); host 1's reply says +10 ms (a proxy
    // clock behind ours), host 2's +900 ms; host 3 was never sent.
    await repo.commitResultBatch({ jobId, running: [rowIds[0], rowIds[1]], sent: [{ rowIds: [rowIds[0], rowIds[1]], at: flushedAt }], results: [result(rowIds[0], 'succeeded', new Date(now.getTime() + 10), 1), result(rowIds[2], 'cancelled', flushedAt, 2)], counts: emptyCounts(), lastEventSeq: 2, streams: [], leaseOwner: 'ts', now: flushedAt });
    await repo.commitResultBatch({ jobId, running: [], sent: [], results: [result(rowIds[1], 'failed', new Date(now.getTime() + 900), 3)], counts: emptyCounts(), lastEventSeq: 3, streams: [], leaseOwner: 'ts', now: new Date(now.getTime() + 950) });
    const stored = await repo.listHosts(jobId, { page: 1, perPage: 10 });
    const times = stored.results.map((h) => [h.hostName, h.startedAt?.toISOString() ?? null, h.finishedAt?.toISOString() ?? null]);
    expect(times).toEqual([
      ['ts-1', '2026-12-21T10:00:00.010Z', '2026-12-21T10:00:00.010Z'],
      ['ts-2', '2026-12-21T10:00:00.050Z', '2026-12-21T10:00:00.900Z'],
      ['ts-3', null, '2026-12-21T10:00:00.050Z'],
    ]);
  });

  it('stores a sent group marked running running with its start, and leaves the state of a plain sent group alone', async () => {
    const repo = createJobInvocationRepository(db.dataSource);
    const now = new Date('2026-12-21T12:00:00.000Z');
    const action = await repo.findOrCreateRemoteAction({ namespace: 'rpcutil', action: 'ping', arguments: '{}', hash: 'ts-ping', now });
    const jobId = await repo.createJob({
      remoteActionId: action.id, parentId: null, owner: 'admin', ownerId: 1, description: '', targetingSearch: null, targetingHostIds: hostIds, targetingHostgroupId: null,
      factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 10, ddl: '{}', counts: { ...emptyCounts(), pending: 3 }, smartProxyIds: [], leaseOwner: 'ts', leaseExpiresAt: null, now,
      hosts: hostIds.map((hostId, i) => ({ hostId, hostName: `ts-${i + 1}`, smartProxyId: null, hostgroupId: null, state: 'pending', reason: null, finishedAt: null })),
    });
    await repo.updateJob(jobId, { state: 'running' }, now);
    const rowIds = (await repo.trackedHosts(jobId)).map((h) => h.rowId).sort((a, b) => a - b);
    const sentAt = new Date(now.getTime() + 20);
    // Host 1: running and sent in one write; host 2: sent only (a proxy that sent it before its running was stored); host 3: untouched.
    await repo.commitResultBatch({ jobId, running: [], sent: [{ rowIds: [rowIds[0]], at: sentAt, running: true }, { rowIds: [rowIds[1]], at: sentAt }], results: [], counts: { ...emptyCounts(), pending: 2, running: 1 }, lastEventSeq: 0, streams: [], leaseOwner: 'ts', now: sentAt });
    const tracked = await repo.trackedHosts(jobId);
    expect(tracked.map((h) => [h.hostName, h.state, h.asked])).toEqual([['ts-1', 'running', true], ['ts-2', 'pending', true], ['ts-3', 'pending', false]]);
    const stored = await repo.listHosts(jobId, { page: 1, perPage: 10 });
    expect(stored.results.map((h) => h.startedAt?.toISOString() ?? null)).toEqual(['2026-12-21T12:00:00.020Z', '2026-12-21T12:00:00.020Z', null]);
  });

  it('returns each batch\'s new version, and never creates a host row it was not given (MariaDB refuses the whole batch)', async () => {
    const repo = createJobInvocationRepository(db.dataSource);
    const now = new Date('2026-12-21T11:00:00.000Z');
    const action = await repo.findOrCreateRemoteAction({ namespace: 'rpcutil', action: 'ping', arguments: '{}', hash: 'ts-ping', now });
    const job: NewJob = {
      remoteActionId: action.id, parentId: null, owner: 'admin', ownerId: 1, description: '', targetingSearch: null, targetingHostIds: hostIds, targetingHostgroupId: null,
      factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 10, ddl: '{}', counts: { ...emptyCounts(), pending: 3 }, smartProxyIds: [], leaseOwner: 'ts', leaseExpiresAt: null, now,
      hosts: hostIds.map((hostId, i) => ({ hostId, hostName: `ts-${i + 1}`, smartProxyId: null, hostgroupId: null, state: 'pending', reason: null, finishedAt: null })),
    };
    const jobId = await repo.createJob(job);
    // A result batch is written only into a running job whose lease it names.
    await repo.updateJob(jobId, { state: 'running' }, now);
    const rowIds = (await repo.trackedHosts(jobId)).map((h) => h.rowId).sort((a, b) => a - b);
    const stored = async () => Number(((await db.dataSource.query('SELECT version FROM job_invocations WHERE id = ?', [jobId])) as Array<{ version: number }>)[0].version);
    const result = (rowId: number, eventSeq: number) => ({ rowId, state: 'succeeded' as HostState, reason: null, statuscode: 0, statusmsg: null, data: null, finishedAt: now, eventSeq, proxySequence: null, sentAt: null });
    const batch = (results: ReturnType<typeof result>[], lastEventSeq: number) => ({ jobId, running: [], sent: [], results, counts: emptyCounts(), lastEventSeq, streams: [], leaseOwner: 'ts', now });
    const before = await stored();
    const v1 = await repo.commitResultBatch(batch([result(rowIds[0], 1)], 1));
    expect(v1).toBe(before + 1);
    expect(await stored()).toBe(v1);
    const missing = Math.max(...rowIds) + 100_000;
    const write = repo.commitResultBatch(batch([result(rowIds[1], 2), result(missing, 3)], 3));
    if (database.kind === 'mysql') await expect(write).rejects.toThrow(/a host row is missing/);
    else await write;
    expect(await db.dataSource.query('SELECT id FROM job_invocation_hosts WHERE id = ?', [missing])).toEqual([]);
    const states = (await db.dataSource.query('SELECT state FROM job_invocation_hosts WHERE id = ?', [rowIds[1]])) as Array<{ state: string }>;
    expect(states[0].state).toBe(database.kind === 'mysql' ? 'pending' : 'succeeded');
    await expect(repo.commitResultBatch({ ...batch([], 3), jobId: jobId + 100_000 })).rejects.toThrow(/no job row/);
  });
});
