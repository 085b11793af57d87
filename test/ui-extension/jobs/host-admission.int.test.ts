/**
 * The admission of a rollout chunk (job-results.repository.ts admitHosts, result-writer.ts admit) on
 * SQLite and MariaDB: its hosts are stored running, with the job's counts and a new version, only while
 * the job runs here and is not paused, cancelled or stopped; otherwise nothing at all is written.
 */
import type { JobInvocationEntity } from '@server/jobs/job-invocation.entity';
import { createJobInvocationRepository, type NewJob } from '@server/jobs/job-invocation.repository';
import { emptyCounts } from '@server/jobs/host-states';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { seedInventory } from './support/job-stack';

describe.each(testDatabases())('admitting the hosts of a rollout chunk on $kind', (database) => {
  let db: OpenTestDataSource;
  let hostIds: number[];

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const seeded = await seedInventory(db.dataSource, { hostgroups: ['adm'], proxies: [{ name: 'adm-proxy', url: '127.0.0.1:1', capabilities: ['remote_execution'] }], hosts: [1, 2, 3].map((i) => ({ name: `adm-${i}`, hostgroup: 'adm', proxy: 'adm-proxy' })) });
    hostIds = [...seeded.hostIds.values()];
  });

  afterAll(async () => {
    await db?.close();
  });

  async function runningJob(fields: Partial<JobInvocationEntity> = {}) {
    const repo = createJobInvocationRepository(db.dataSource);
    const now = new Date('2026-12-21T12:00:00.000Z');
    const action = await repo.findOrCreateRemoteAction({ namespace: 'rpcutil', action: 'ping', arguments: '{}', hash: 'adm-ping', now });
    const job: NewJob = {
      remoteActionId: action.id, parentId: null, owner: 'admin', ownerId: 1, description: '', targetingSearch: null, targetingHostIds: hostIds, targetingHostgroupId: null,
      factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 10, ddl: '{}', counts: { ...emptyCounts(), pending: 3 }, smartProxyIds: [], leaseOwner: 'me', leaseExpiresAt: null, now,
      hosts: hostIds.map((hostId, i) => ({ hostId, hostName: `adm-${i + 1}`, smartProxyId: null, hostgroupId: null, state: 'pending', reason: null, finishedAt: null })),
    };
    const jobId = await repo.createJob(job);
    await repo.updateJob(jobId, { state: 'running', ...fields }, now);
    const rowIds = (await repo.trackedHosts(jobId)).map((h) => h.rowId).sort((a, b) => a - b);
    const read = async () => {
      const [row] = (await db.dataSource.query('SELECT version, count_pending, count_running FROM job_invocations WHERE id = ?', [jobId])) as Array<{ version: number; count_pending: number; count_running: number }>;
      const states = ((await db.dataSource.query('SELECT state FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ state: string }>).map((r) => r.state);
      return { version: Number(row.version), pending: Number(row.count_pending), running: Number(row.count_running), states };
    };
    const admit = () => repo.admitHosts({ jobId, rowIds: rowIds.slice(0, 2), counts: { ...emptyCounts(), pending: 1, running: 2 }, leaseOwner: 'me', now });
    return { admit, read };
  }

  it('stores the hosts running with the counts and returns the new version when the job runs here unpaused', async () => {
    const { admit, read } = await runningJob();
    const before = await read();
    const version = await admit();
    expect(version).toBe(before.version + 1);
    expect(await read()).toEqual({ version: before.version + 1, pending: 1, running: 2, states: ['running', 'running', 'pending'] });
  });

  it.each<[string, Partial<JobInvocationEntity>]>([
    ['paused', { paused: true }],
    ['cancel requested', { cancelRequested: true }],
    ['stopped by its failure threshold', { rolloutStopReason: 'not sent: failure threshold 1 reached in batch 1 of 2' }],
    ['held by another instance', { leaseOwner: 'other' }],
    ['no longer running', { state: 'failed' }],
  ])('writes nothing and returns null when the job is %s', async (_why, fields) => {
    const { admit, read } = await runningJob(fields);
    const before = await read();
    expect(await admit()).toBeNull();
    expect(await read()).toEqual(before);
    expect(before.states).toEqual(['pending', 'pending', 'pending']);
  });
});
