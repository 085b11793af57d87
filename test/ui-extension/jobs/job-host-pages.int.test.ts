/**
 * The reads of a job's page at scale (issue #20 item 4) give what counting and sorting every row would:
 * host names of several states merged in name order up to the limit, a page read by ids in name order,
 * and a total and state subtotal taken from the job row that equal the counted ones.
 */
import type { HostCounts, HostState } from '@common/jobs';
import { createJobInvocationRepository, countsOf, type NewJob } from '@server/jobs/job-invocation.repository';
import { emptyCounts } from '@server/jobs/host-states';
import { JOB_HOST_SEARCH } from '@server/jobs/job-search';
import { compileSearch } from '@server/search/compiler';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { seedInventory } from './support/job-stack';

/** Names out of order against their states: a state never holds a run of neighbours. */
const STATES: HostState[] = ['failed', 'succeeded', 'no_response', 'cancelled', 'succeeded', 'failed', 'cancelled', 'no_response', 'succeeded'];
const hostsOfJob = Array.from({ length: 27 }, (_, i) => ({ name: `page-${String((i * 7) % 27).padStart(2, '0')}.example.com`, state: STATES[i % STATES.length] }));

describe.each(testDatabases())('job host pages on $kind', (database) => {
  let db: OpenTestDataSource;
  let jobId: number;
  const repo = () => createJobInvocationRepository(db.dataSource);

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const seeded = await seedInventory(db.dataSource, { hostgroups: ['pages'], proxies: [{ name: 'pages-proxy', url: '127.0.0.1:1', capabilities: ['remote_execution'] }], hosts: hostsOfJob.map((h) => ({ name: h.name, hostgroup: 'pages', proxy: 'pages-proxy' })) });
    const action = await repo().findOrCreateRemoteAction({ namespace: 'rpcutil', action: 'ping', arguments: '{}', hash: 'pages', now: new Date() });
    const counts: HostCounts = emptyCounts();
    for (const h of hostsOfJob) counts[h.state] += 1;
    const job: NewJob = {
      remoteActionId: action.id, parentId: null, owner: 'admin', ownerId: null, description: 'pages', targetingSearch: 'name ~ page-', targetingHostIds: null, targetingHostgroupId: null,
      factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 60, ddl: '{}', counts, smartProxyIds: [seeded.proxyIds.get('pages-proxy')!], leaseOwner: null, leaseExpiresAt: null, now: new Date(),
      hosts: hostsOfJob.map((h) => ({ hostId: seeded.hostIds.get(h.name)!, hostName: h.name, smartProxyId: seeded.proxyIds.get('pages-proxy')!, hostgroupId: seeded.hostgroupIds.get('pages')!, state: h.state, reason: null, finishedAt: null })),
    };
    jobId = await repo().createJob(job);
  });

  afterAll(async () => {
    await db?.close();
  });

  const sortedNames = (states: HostState[]) => hostsOfJob.filter((h) => states.includes(h.state)).map((h) => h.name).sort();

  it('lists the first host names of several states merged in name order, up to the limit', async () => {
    const failed: HostState[] = ['failed', 'no_response', 'cancelled'];
    expect(await repo().hostNames(jobId, failed, 100)).toEqual(sortedNames(failed));
    expect(await repo().hostNames(jobId, failed, 5)).toEqual(sortedNames(failed).slice(0, 5));
    expect(await repo().hostNames(jobId, ['succeeded'], 2)).toEqual(sortedNames(['succeeded']).slice(0, 2));
    expect(await repo().hostNames(jobId, [], 10)).toEqual([]);
  });

  it('pages by name with the total and a state subtotal of the job row equal to the counted ones', async () => {
    const job = (await repo().findJob(jobId))!;
    const known = { total: job.totalHosts, counts: countsOf(job) };
    for (const query of [{ page: 1, perPage: 4 }, { page: 3, perPage: 4 }, { states: ['failed', 'cancelled'] as HostState[], page: 2, perPage: 3 }]) {
      const counted = await repo().listHosts(jobId, query);
      const fromRow = await repo().listHosts(jobId, query, known);
      expect(fromRow.total).toBe(27);
      expect({ ...fromRow, results: fromRow.results.map((r) => r.hostName) }).toEqual({ ...counted, results: counted.results.map((r) => r.hostName) });
      const expected = query.states ? sortedNames(query.states) : sortedNames([...new Set(STATES)]);
      expect(counted.subtotal).toBe(expected.length);
      expect(counted.results.map((r) => r.hostName)).toEqual(expected.slice((query.page - 1) * query.perPage, query.page * query.perPage));
    }
    const search = compileSearch('name ~ page-1', JOB_HOST_SEARCH, { dialect: db.kind, now: new Date() });
    const found = await repo().listHosts(jobId, { search, page: 1, perPage: 4 }, known);
    const matching = sortedNames([...new Set(STATES)]).filter((n) => n.includes('page-1'));
    expect({ total: found.total, subtotal: found.subtotal, names: found.results.map((r) => r.hostName) }).toEqual({ total: 27, subtotal: matching.length, names: matching.slice(0, 4) });
  });
});
