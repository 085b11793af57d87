/**
 * A job and its host rows are written together or not at all, on both databases: on MariaDB the host
 * rows go out as several statements back to back on the transaction's connection
 * (job-writes.repository.ts), and one failing among them must still leave no job and no host behind.
 */
import { emptyCounts } from '@server/jobs/host-states';
import { createJobInvocationRepository, type NewJob, type NewJobHost } from '@server/jobs/job-invocation.repository';
import { trackedHostsOf } from '@server/jobs/job-start';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

jest.setTimeout(60_000);

describe.each(testDatabases())('job writes on $kind', (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  const count = async (sql: string) => Number(((await db.dataSource.query(sql)) as Array<{ n: unknown }>)[0].n);

  async function newJob(hosts: NewJobHost[]): Promise<NewJob> {
    const repo = createJobInvocationRepository(db.dataSource);
    const action = await repo.findOrCreateRemoteAction({ namespace: 'rpcutil', action: 'ping', arguments: '{}', hash: 'job-writes', now: new Date() });
    const counts = emptyCounts();
    counts.pending = hosts.length;
    return {
      remoteActionId: action.id, parentId: null, owner: 'admin', ownerId: null, description: 'writes', targetingSearch: 'name ~ w', targetingHostIds: null, targetingHostgroupId: null,
      factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 60, ddl: '{}', counts, smartProxyIds: [], leaseOwner: null, leaseExpiresAt: null, now: new Date(), hosts,
    };
  }

  const host = (i: number, hostId: number | null = null): NewJobHost => ({ hostId, hostName: `w${String(i).padStart(5, '0')}.example.com`, smartProxyId: null, hostgroupId: null, state: 'pending', reason: null, finishedAt: null });

  it('writes every host row of a job of several statements in row order, in one transaction', async () => {
    const repo = createJobInvocationRepository(db.dataSource);
    const jobId = await repo.createJob(await newJob(Array.from({ length: 4500 }, (_, i) => host(i))));
    const rows = (await db.dataSource.query('SELECT host_name FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ host_name: string }>;
    expect(rows).toHaveLength(4500);
    expect(rows.map((r) => r.host_name)).toEqual(Array.from({ length: 4500 }, (_, i) => host(i).hostName));
  });

  it('leaves no job and no host row when a later statement of its hosts fails', async () => {
    const repo = createJobInvocationRepository(db.dataSource);
    const jobs = await count('SELECT COUNT(*) AS n FROM job_invocations');
    const hosts = await count('SELECT COUNT(*) AS n FROM job_invocation_hosts');
    // The same host twice, far apart: the unique (job, host) key refuses the third statement's row.
    const job = await newJob(Array.from({ length: 4500 }, (_, i) => host(i, i === 4400 ? 1 : i + 1)));
    await expect(repo.createJob(job)).rejects.toThrow(/duplicate|unique/i);
    expect(await count('SELECT COUNT(*) AS n FROM job_invocations')).toBe(jobs);
    expect(await count('SELECT COUNT(*) AS n FROM job_invocation_hosts')).toBe(hosts);
  });

  it('tracks a job just written from its hosts and its row ids alone, as its rows read in full say, with two jobs written at once', async () => {
    const repo = createJobInvocationRepository(db.dataSource);
    // Names out of order, skipped hosts among them, two proxies: the ids follow the order written, not the names.
    const hostsOf = (offset: number) => Array.from({ length: 4500 }, (_, i): NewJobHost => ({ ...host((i * 7919 + offset) % 4500), smartProxyId: i % 3 === 0 ? null : 1 + (i % 2), state: i % 3 === 0 ? 'skipped' : 'pending', reason: i % 3 === 0 ? 'host has no smart proxy' : null, finishedAt: i % 3 === 0 ? new Date() : null }));
    const written = [hostsOf(0), hostsOf(17)];
    const jobIds = await Promise.all(written.map(async (hosts) => repo.createJob(await newJob(hosts))));
    for (const [i, jobId] of jobIds.entries()) {
      const readInFull = await repo.trackedHosts(jobId);
      const fullReads = jest.spyOn(repo, 'trackedHosts');
      expect(await trackedHostsOf(repo, jobId, written[i])).toEqual(readInFull);
      expect(fullReads).not.toHaveBeenCalled();
      // Hosts that do not match the rows one for one: the rows are read in full.
      expect(await trackedHostsOf(repo, jobId, written[i].slice(1))).toEqual(readInFull);
      expect(fullReads).toHaveBeenCalledTimes(1);
      fullReads.mockRestore();
    }
  });
});
