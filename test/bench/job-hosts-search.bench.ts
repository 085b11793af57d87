/**
 * A job's hosts searched at scale on MariaDB (issue #22): two jobs of `hosts` host rows each, with
 * results (most succeeded, some failed with a message, a few with "No space left" in their output),
 * then the first page of the first job's hosts, as `GET /remote_execution/jobs/:id/hosts?search=`
 * reads it (the total, the subtotal and the page, through the job repository: the API's SQL).
 * Also what recording facts with a job costs: creating a job of `hosts` hosts with and without
 * jobs.recorded_facts, the hosts having `factsPerHost` facts each. Target: every first page < 1 s.
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '@server/config';
import { JOB_HOST_SEARCH } from '@server/jobs/job-search';
import { createJobInvocationRepository, dbDate, type NewJob } from '@server/jobs/job-invocation.repository';
import { emptyCounts } from '@server/jobs/host-states';
import { compileSearch } from '@server/search/compiler';
import { openTestDataSource } from '@test/support/databases';

export interface JobHostsSearchBenchOptions {
  hosts: number;
  factsPerHost?: number;
  runs?: number;
}

export interface JobHostsSearchBenchResult {
  name: string;
  hosts: number;
  rows: number;
  searches: Array<{ search: string; matching: number; medianMs: number; runsMs: number[] }>;
  /** Creating a job of `hosts` hosts (rows, streams, fact values) without and with recorded facts, median ms. */
  createJobMs: { withoutFacts: number; withFacts: number; recordedFacts: number; factRows: number };
  pass: boolean;
}

export const JOB_HOST_SEARCHES = [
  '',
  'state = failed',
  'name ~ host-004',
  'statusmsg ~ "Could not find"',
  'hostgroup = base/g0 and (state = failed or statuscode = 1)',
  'output ~ "No space left"',
  'output ~ "matches nothing at all"',
];

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (ms: number) => Math.round(ms * 10) / 10;
/** The facts recorded by default (jobs.recorded_facts). */
const RECORDED = loadConfig({ env: {} }).jobs.recorded_facts;

export async function runJobHostsSearchBench(options: JobHostsSearchBenchOptions): Promise<JobHostsSearchBenchResult> {
  const runs = options.runs ?? 5;
  const factsPerHost = options.factsPerHost ?? 10;
  const db = await openTestDataSource('mysql');
  try {
    const ds = db.dataSource;
    const now = new Date();
    const stamp = dbDate(now);
    await ds.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'service', 'status', '{"service":"nginx"}', 'bench', '${stamp}')`);
    const groups: number[] = [];
    for (let g = 0; g < 10; g++) {
      await ds.query(`INSERT INTO hostgroups (name, title, parent_id, ancestry, created_at, updated_at) VALUES (?, ?, NULL, NULL, ?, ?)`, [`g${g}`, `base/g${g}`, stamp, stamp]);
      groups.push(Number(((await ds.query('SELECT id FROM hostgroups WHERE title = ?', [`base/g${g}`])) as Array<{ id: number }>)[0].id));
    }
    const pad = (i: number) => String(i).padStart(6, '0');
    for (const jobId of [1, 2]) {
      await ds.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, total_hosts, created_at, updated_at) VALUES (?, 1, 'failed', 'admin', 60, '{}', ?, ?, ?)`, [jobId, options.hosts, stamp, stamp]);
      for (let i = 0; i < options.hosts; i += 1000) {
        const rows: unknown[] = [];
        const n = Math.min(1000, options.hosts - i);
        for (let k = 0; k < n; k++) {
          const h = i + k;
          const failed = h % 20 === 0;
          const full = h % 200 === 0;
          rows.push(jobId, h + 1, `host-${pad(h)}.example.com`, 1 + (h % 2), groups[h % 10], failed ? 'failed' : 'succeeded', null, failed ? 1 : 0,
            failed ? (full ? 'Task failed' : 'Could not find service nginx') : 'OK',
            full ? '{"stdout":"","stderr":"write error: No space left on device","exitcode":1}' : `{"status":"${failed ? 'unknown' : 'running'}"}`, h + 1, stamp, stamp);
        }
        await ds.query(`INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, smart_proxy_id, hostgroup_id, state, reason, statuscode, statusmsg, data, event_seq, started_at, finished_at) VALUES ${new Array(n).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, rows);
      }
    }
    await ds.query('ANALYZE TABLE job_invocation_hosts');
    const repo = createJobInvocationRepository(ds);
    const searches: JobHostsSearchBenchResult['searches'] = [];
    for (const search of JOB_HOST_SEARCHES) {
      const compiled = search === '' ? undefined : compileSearch(search, JOB_HOST_SEARCH, { dialect: 'mysql', now });
      const once = async () => {
        const started = performance.now();
        const page = await repo.listHosts(1, { search: compiled, page: 1, perPage: 20 });
        return { ms: performance.now() - started, matching: page.subtotal };
      };
      await once();
      const timed: number[] = [];
      let matching = 0;
      for (let r = 0; r < runs; r++) {
        const t = await once();
        timed.push(round(t.ms));
        matching = t.matching;
      }
      searches.push({ search: search === '' ? '(none)' : search, matching, medianMs: round(median(timed)), runsMs: timed });
    }
    const createJobMs = await timeJobCreation(db.dataSource, options.hosts, factsPerHost, groups, Math.min(runs, 3));
    return { name: 'job hosts search', hosts: options.hosts, rows: options.hosts * 2, searches, createJobMs, pass: searches.every((s) => s.medianMs < 1000) };
  } finally {
    await db.close();
  }
}

/** A job of `hosts` hosts stored through the repository, as POST /remote_execution/jobs stores one. */
async function timeJobCreation(ds: Parameters<typeof createJobInvocationRepository>[0], hosts: number, factsPerHost: number, groups: number[], runs: number): Promise<JobHostsSearchBenchResult['createJobMs']> {
  const stamp = dbDate(new Date());
  for (let i = 0; i < hosts; i += 1000) {
    const n = Math.min(1000, hosts - i);
    const ids = Array.from({ length: n }, (_, k) => i + k + 1);
    await ds.query(`INSERT INTO hosts (id, name, hostgroup_id, created_at, updated_at) VALUES ${ids.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, ids.flatMap((id) => [id, `host-${id}.example.com`, groups[id % 10], stamp, stamp]));
    const facts = ids.flatMap((id) => Array.from({ length: factsPerHost }, (_, f) => [id, f < RECORDED.length ? RECORDED[f] : `fact_${f}`, f < RECORDED.length ? ['Debian', 'RedHat'][id % 2] : `value-${id % 13}`]));
    await ds.query(`INSERT INTO facts (host_id, name, value) VALUES ${facts.map(() => '(?, ?, ?)').join(', ')}`, facts.flat());
  }
  const job = (): NewJob => ({
    remoteActionId: 1, parentId: null, owner: 'admin', ownerId: null, description: '', targetingSearch: 'name ~ host', targetingHostIds: null, targetingHostgroupId: null,
    factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 60, ddl: '{}', counts: { ...emptyCounts(), pending: hosts }, smartProxyIds: [1, 2], leaseOwner: null, leaseExpiresAt: null, now: new Date(),
    hosts: Array.from({ length: hosts }, (_, k) => ({ hostId: k + 1, hostName: `host-${k + 1}.example.com`, smartProxyId: 1 + (k % 2), hostgroupId: groups[(k + 1) % 10], state: 'pending' as const, reason: null, finishedAt: null })),
  });
  const time = async (recordedFacts: string[]) => {
    const repo = createJobInvocationRepository(ds, { recordedFacts });
    const timed: number[] = [];
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      await repo.createJob(job());
      timed.push(performance.now() - started);
    }
    return round(median(timed));
  };
  const withoutFacts = await time([]);
  const withFacts = await time(RECORDED);
  const factRows = Number(((await ds.query('SELECT COUNT(*) AS n FROM job_invocation_fact_values')) as Array<{ n: unknown }>)[0].n);
  return { withoutFacts, withFacts, recordedFacts: RECORDED.length, factRows };
}

if (require.main === module) {
  runJobHostsSearchBench({ hosts: Number(process.env.BENCH_JOB_HOSTS ?? 100_000) }).then((r) => process.stdout.write(`${JSON.stringify(r, null, 1)}\n`), (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
}
