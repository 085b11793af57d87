/**
 * Only the lease holder writes a job's results (job-results.repository.ts commitResultBatch), on SQLite
 * and MariaDB: an instance whose lease another took over writes nothing of its batch (no host row, no
 * count, no version, no proxy cursor, so the new owner replays those events from the proxy), while the
 * new owner's batches commit; and the lease renewal names the jobs this instance no longer holds.
 */
import type { HostState } from '@common/jobs';
import { emptyCounts } from '@server/jobs/host-states';
import type { JobInvocationEntity } from '@server/jobs/job-invocation.entity';
import { createJobInvocationRepository, type NewJob } from '@server/jobs/job-invocation.repository';
import type { ResultBatch } from '@server/jobs/result-writer';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { seedInventory } from './support/job-stack';

describe.each(testDatabases())('result batches of a job whose lease moved, on $kind', (database) => {
  let db: OpenTestDataSource;
  let hostIds: number[];
  let proxyId: number;
  const now = new Date('2026-12-22T09:00:00.000Z');

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const seeded = await seedInventory(db.dataSource, { hostgroups: ['lease'], proxies: [{ name: 'lease-proxy', url: '127.0.0.1:1', capabilities: ['remote_execution'] }], hosts: [1, 2, 3, 4].map((i) => ({ name: `lease-${i}`, hostgroup: 'lease', proxy: 'lease-proxy' })) });
    hostIds = [...seeded.hostIds.values()];
    proxyId = seeded.proxyIds.get('lease-proxy')!;
  });

  afterAll(async () => {
    await db?.close();
  });

  const repo = () => createJobInvocationRepository(db.dataSource);

  async function runningJob(fields: Partial<JobInvocationEntity>) {
    const action = await repo().findOrCreateRemoteAction({ namespace: 'rpcutil', action: 'ping', arguments: '{}', hash: 'lease-ping', now });
    const job: NewJob = {
      remoteActionId: action.id, parentId: null, owner: 'admin', ownerId: 1, description: '', targetingSearch: null, targetingHostIds: hostIds, targetingHostgroupId: null,
      factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 10, ddl: '{}', counts: { ...emptyCounts(), pending: 4 }, smartProxyIds: [proxyId], leaseOwner: 'old', leaseExpiresAt: now, now,
      hosts: hostIds.map((hostId, i) => ({ hostId, hostName: `lease-${i + 1}`, smartProxyId: proxyId, hostgroupId: null, state: 'pending', reason: null, finishedAt: null })),
    };
    const jobId = await repo().createJob(job);
    await repo().updateJob(jobId, { state: 'running', ...fields }, now);
    const rowIds = (await repo().trackedHosts(jobId)).map((h) => h.rowId).sort((a, b) => a - b);
    return { jobId, rowIds };
  }

  /** Everything a batch may write, as stored. */
  async function stored(jobId: number) {
    const [job] = (await db.dataSource.query('SELECT version, last_event_seq, count_pending, count_running, count_succeeded, count_failed FROM job_invocations WHERE id = ?', [jobId])) as Array<Record<string, number>>;
    const hosts = (await db.dataSource.query('SELECT state, statuscode, started_at, event_seq FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ state: string; statuscode: number | null; started_at: unknown; event_seq: number | null }>;
    const [stream] = (await db.dataSource.query('SELECT last_sequence, reports_sent FROM job_invocation_proxies WHERE job_invocation_id = ?', [jobId])) as Array<{ last_sequence: number; reports_sent: number }>;
    return {
      job: Object.fromEntries(Object.entries(job).map(([k, v]) => [k, Number(v)])),
      hosts: hosts.map((h) => [h.state, h.statuscode === null ? null : Number(h.statuscode), h.started_at !== null, h.event_seq === null ? null : Number(h.event_seq)]),
      stream: [Number(stream.last_sequence), Number(stream.reports_sent)],
    };
  }

  const result = (rowId: number, state: HostState, eventSeq: number, proxySequence: number) => ({ rowId, state, reason: null, statuscode: state === 'succeeded' ? 0 : 1, statusmsg: null, data: null, finishedAt: now, eventSeq, proxySequence, sentAt: now });

  /** Hosts 3 and 4 running (one of them sent), host 1 succeeded, host 2 failed, the cursor at 7: every kind of write a batch has. */
  const everything = (jobId: number, rowIds: number[], leaseOwner: string): ResultBatch => ({
    jobId, leaseOwner, now,
    running: [rowIds[2]],
    sent: [{ rowIds: [rowIds[3]], at: now, running: true }],
    results: [result(rowIds[0], 'succeeded', 1, 5), result(rowIds[1], 'failed', 2, 6)],
    counts: { ...emptyCounts(), running: 2, succeeded: 1, failed: 1 },
    lastEventSeq: 2,
    streams: [{ smartProxyId: proxyId, lastSequence: 7, reportsSent: true }],
  });

  it('writes nothing of a stale instance\'s batch, and commits the new owner\'s', async () => {
    // Instance "old" stalled past its lease; "new" took the job over (claimOrphanedJobs).
    const { jobId, rowIds } = await runningJob({ leaseOwner: 'new' });
    const before = await stored(jobId);
    expect(await repo().commitResultBatch(everything(jobId, rowIds, 'old'))).toBeNull();
    expect(await stored(jobId)).toEqual(before);

    // The new owner replays the same events from the proxy (the cursor did not move) and records them.
    const version = await repo().commitResultBatch(everything(jobId, rowIds, 'new'));
    expect(version).toBe(before.job.version + 1);
    expect(await stored(jobId)).toEqual({
      job: { version: before.job.version + 1, last_event_seq: 2, count_pending: 0, count_running: 2, count_succeeded: 1, count_failed: 1 },
      hosts: [['succeeded', 0, true, 1], ['failed', 1, true, 2], ['running', null, false, 0], ['running', null, true, 0]],
      stream: [7, 1],
    });

    // And a later batch of the stale one still changes nothing (it would move hosts 3 and 4 back by its counts).
    const after = await stored(jobId);
    const late: ResultBatch = { jobId, leaseOwner: 'old', now, running: [], sent: [], results: [result(rowIds[2], 'failed', 3, 8)], counts: { ...emptyCounts(), running: 1, succeeded: 1, failed: 2 }, lastEventSeq: 3, streams: [{ smartProxyId: proxyId, lastSequence: 8 }] };
    expect(await repo().commitResultBatch(late)).toBeNull();
    expect(await stored(jobId)).toEqual(after);
  });

  it.each<[string, Partial<JobInvocationEntity>]>([
    ['ended (its lease released)', { state: 'succeeded', leaseOwner: null }],
    ['ended with the lease still named (a crash before the release)', { state: 'failed' }],
    ['running under no lease', { leaseOwner: null }],
  ])('writes nothing into a job that is %s', async (_why, fields) => {
    const { jobId, rowIds } = await runningJob(fields);
    const before = await stored(jobId);
    expect(await repo().commitResultBatch(everything(jobId, rowIds, 'old'))).toBeNull();
    expect(await stored(jobId)).toEqual(before);
  });

  it('writes a batch while paused or cancel-requested (what was sent is recorded), and fails one for a job row that is gone', async () => {
    const { jobId, rowIds } = await runningJob({ paused: true, cancelRequested: true });
    const before = await stored(jobId);
    expect(await repo().commitResultBatch(everything(jobId, rowIds, 'old'))).toBe(before.job.version + 1);
    await expect(repo().commitResultBatch({ ...everything(jobId, rowIds, 'old'), jobId: jobId + 100_000 })).rejects.toThrow(/no job row/);
  });

  it('renews the leases it holds and names the unfinished jobs it no longer holds', async () => {
    const mine = await runningJob({});
    const taken = await runningJob({ leaseOwner: 'new' });
    const ended = await runningJob({ state: 'succeeded', leaseOwner: null });
    const until = new Date(now.getTime() + 60_000);
    expect(await repo().renewLeases('old', [mine.jobId, taken.jobId, ended.jobId], until)).toEqual([taken.jobId]);
    expect(await repo().renewLeases('old', [mine.jobId], new Date(until.getTime() + 1000))).toEqual([]);
    const rows = (await db.dataSource.query(`SELECT id, lease_owner FROM job_invocations WHERE id IN (?, ?, ?) ORDER BY id`, [mine.jobId, taken.jobId, ended.jobId])) as Array<{ id: number; lease_owner: string | null }>;
    expect(rows.map((r) => r.lease_owner)).toEqual(['old', 'new', null]);
    expect((await repo().findJob(mine.jobId))?.leaseExpiresAt?.getTime()).toBe(until.getTime() + 1000);
  });
});
