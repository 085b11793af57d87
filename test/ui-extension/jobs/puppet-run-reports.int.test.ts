/**
 * Puppet report lookups that an instance left (issue 18's limits, removed): on SQLite and MariaDB, a
 * Puppet run host stored with a result and no report is found at start-up by `recover()` and gets its
 * report; a late result of a Puppet run, once recorded, is looked up too; and the report is written
 * only over null, so two instances never leave two answers.
 *
 * The PuppetDB here is a small HTTP server that answers the reports query the way PuppetDB 7 does:
 * it stands in for PuppetDB because the real one takes minutes to start. The real one is covered by
 * test/puppet/puppet.int.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostCounts, HostState, PuppetDbRunReport } from '@common/jobs';
import { emptyCounts } from '@server/jobs/host-states';
import { createJobInvocationRepository, dbDate, type JobInvocationRepository } from '@server/jobs/job-invocation.repository';
import { lateResultsTold } from '@server/jobs/late-results';
import { createPuppetRunReports, type PuppetRunReports } from '@server/jobs/puppet-run-reports';
import { silentLogger } from '@server/logger';
import { createPuppetDbClient, type PuppetDbClient } from '@server/puppetdb/puppetdb.client';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { startJobApp, type JobAppOptions } from './support/job-stack';

jest.setTimeout(60_000);

/** When the runs ended (the agents' lastrun), a minute before the test. */
const RUN_END_S = Math.floor(Date.now() / 1000) - 60;
const runData = JSON.stringify({ summary: 'Started', run: { outcome: 'changed', changed_resources: 1, failed_resources: 0, config_version: '1700000009', noop: false, last_run: RUN_END_S } });

/** A stand-in for PuppetDB's /pdb/query/v4: every certname it is asked about has a report of the run. */
async function startFakePuppetDb(): Promise<{ url: string; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const query = (JSON.parse(body) as { query: string }).query;
      const certname = /certname = "([^"]+)"/.exec(query)?.[1] ?? '';
      asked.push(certname);
      const row = { hash: `hash-${certname}`, certname, configuration_version: '1700000009', noop: false, end_time: new Date(RUN_END_S * 1000).toISOString(), status: 'changed', metrics: { data: [{ category: 'resources', name: 'changed', value: 1 }] } };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(query.startsWith('reports[') ? [row] : []));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each(testDatabases())('puppet report lookups recovered and of late results on $kind', (database) => {
  let db: OpenTestDataSource;
  let repo: JobInvocationRepository;
  let fake: Awaited<ReturnType<typeof startFakePuppetDb>>;
  let puppetdb: PuppetDbClient;
  let reports: PuppetRunReports | undefined;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    repo = createJobInvocationRepository(db.dataSource);
    fake = await startFakePuppetDb();
    puppetdb = createPuppetDbClient({ url: fake.url, timeoutMs: 5000 });
  });

  afterEach(async () => {
    await reports?.stop();
    fake.asked.length = 0;
  });

  afterAll(async () => {
    puppetdb?.close();
    await fake?.close();
    await db?.close();
  });

  const startLookups = () => (reports = createPuppetRunReports({ puppetdb, store: repo, clock: () => new Date(), logger: silentLogger(), waitMs: 2000, retryMs: 100, concurrency: 2 }));

  /** A Puppet run job (or another action's) ended `endedAgoMs` ago, its hosts in `state` with no result yet. */
  async function aJob(name: string, hosts: string[], options: { state?: HostState; endedAgoMs?: number; action?: string } = {}): Promise<{ jobId: number; rowIds: Map<string, number> }> {
    const now = new Date();
    const action = await repo.findOrCreateRemoteAction({ namespace: 'puppet', action: options.action ?? 'runonce', arguments: '{}', hash: `recover-${options.action ?? 'runonce'}`, now });
    const state = options.state ?? 'succeeded';
    const counts: HostCounts = emptyCounts();
    counts[state] = hosts.length;
    const jobId = await repo.createJob({
      remoteActionId: action.id, parentId: null, owner: 'admin', ownerId: null, description: name, targetingSearch: `name ~ ${name}`, targetingHostIds: null, targetingHostgroupId: null,
      factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 60, ddl: '{}', counts, smartProxyIds: [], leaseOwner: null, leaseExpiresAt: null, now,
      hosts: hosts.map((hostName) => ({ hostId: null, hostName, smartProxyId: null, hostgroupId: null, state, reason: null, finishedAt: null })),
    });
    const ended = new Date(now.getTime() - (options.endedAgoMs ?? 1000));
    await db.dataSource.query("UPDATE job_invocations SET state = 'succeeded', finished_at = ? WHERE id = ?", [dbDate(ended), jobId]);
    const rows = (await db.dataSource.query('SELECT id, host_name FROM job_invocation_hosts WHERE job_invocation_id = ?', [jobId])) as Array<{ id: number; host_name: string }>;
    return { jobId, rowIds: new Map(rows.map((r) => [r.host_name, Number(r.id)])) };
  }

  /** The host's result as the result writer commits it: the run's reply, its end. */
  const storeResult = (rowId: number, ended = new Date()) => db.dataSource.query('UPDATE job_invocation_hosts SET statuscode = 0, data = ?, finished_at = ? WHERE id = ?', [runData, dbDate(ended), rowId]);

  async function reportOf(rowId: number): Promise<PuppetDbRunReport | null> {
    const [row] = (await db.dataSource.query('SELECT puppetdb_report FROM job_invocation_hosts WHERE id = ?', [rowId])) as Array<{ puppetdb_report: string | null }>;
    return row.puppetdb_report === null ? null : (JSON.parse(row.puppetdb_report) as PuppetDbRunReport);
  }

  it('stores the report of a Puppet run host left without one when the lookups start and recover', async () => {
    const recent = await aJob('recover-a', ['left.example.com', 'done.example.com', 'norun.example.com']);
    await storeResult(recent.rowIds.get('left.example.com')!);
    await storeResult(recent.rowIds.get('done.example.com')!);
    await repo.storePuppetReport(recent.jobId, recent.rowIds.get('done.example.com')!, JSON.stringify({ hash: 'kept', url: null, summary: null, reason: null, fetched_at: 'x' }), new Date());
    const old = await aJob('recover-old', ['old.example.com'], { endedAgoMs: 2 * 86_400_000 });
    await storeResult(old.rowIds.get('old.example.com')!, new Date(Date.now() - 2 * 86_400_000));
    const other = await aJob('recover-other', ['other.example.com'], { action: 'status' });
    await storeResult(other.rowIds.get('other.example.com')!);

    const lookups = startLookups();
    expect(await lookups.recover()).toBe(1);
    await lookups.idle();

    expect(await reportOf(recent.rowIds.get('left.example.com')!)).toMatchObject({ hash: 'hash-left.example.com', reason: null, summary: { status: 'changed', changed_resources: 1 } });
    expect((await reportOf(recent.rowIds.get('done.example.com')!))?.hash).toBe('kept');
    // Never replied: nothing to look up, null as before.
    expect(await reportOf(recent.rowIds.get('norun.example.com')!)).toBeNull();
    // Ended before the recovery window, or no Puppet run: not looked up, null ("never looked up").
    expect(await reportOf(old.rowIds.get('old.example.com')!)).toBeNull();
    expect(await reportOf(other.rowIds.get('other.example.com')!)).toBeNull();
    expect(fake.asked).toEqual(['left.example.com']);
  });

  /** Polls the host's report until it is there (a background lookup writes it). */
  async function reportSoon(rowId: number): Promise<PuppetDbRunReport | null> {
    for (let i = 0; i < 100 && (await reportOf(rowId)) === null; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    return reportOf(rowId);
  }

  it('stores the report of a host left without one when the ui-extension starts with PuppetDB configured', async () => {
    const job = await aJob('app-start', ['app.example.com']);
    await storeResult(job.rowIds.get('app.example.com')!);
    // No proxy is asked: the job is over; the app only has to start its jobs feature (server.ts does the same).
    const app = await startJobApp({ dataSource: db.dataSource, proxies: {} as JobAppOptions['proxies'], puppetdb });
    try {
      expect((await reportSoon(job.rowIds.get('app.example.com')!))?.hash).toBe('hash-app.example.com');
    } finally {
      await app.close();
    }
  });

  it('stores the report of a late result of a Puppet run when it is recorded', async () => {
    const job = await aJob('late-a', ['late.example.com'], { state: 'no_response' });
    const lookups = startLookups();
    const store = lateResultsTold(repo, (jobId, rowIds) => void lookups.lateResultsStored(jobId, rowIds));
    const rowId = job.rowIds.get('late.example.com')!;
    expect(await store.recordLateResults(job.jobId, [{ rowId, state: 'succeeded', statuscode: 0, statusmsg: 'OK', data: runData, finishedAt: new Date(), sentAt: null }], new Date())).toBe(1);
    expect((await reportSoon(rowId))?.hash).toBe('hash-late.example.com');
    expect(fake.asked).toEqual(['late.example.com']);
  });

  it('keeps the first report when a second instance stores another for the same host', async () => {
    const job = await aJob('twice', ['twice.example.com']);
    const rowId = job.rowIds.get('twice.example.com')!;
    await storeResult(rowId);
    const { version: before } = (await repo.findJob(job.jobId))!;
    expect(await repo.storePuppetReport(job.jobId, rowId, JSON.stringify({ hash: 'first' }), new Date())).toBe(true);
    expect(await repo.storePuppetReport(job.jobId, rowId, JSON.stringify({ hash: 'second' }), new Date())).toBe(false);
    expect((await reportOf(rowId))?.hash).toBe('first');
    expect((await repo.findJob(job.jobId))!.version).toBe(before + 1);
  });
});
