/**
 * The job page of a 100,000-host job on MariaDB (issue #20, item 4): `GET /remote_execution/jobs/:id`,
 * the first page of its hosts, a state filter and a name search, each through the real HTTP routes
 * (startJobApp: createApp over buildServices), while the job runs and after it ended; and the long-poll
 * wake-up, from the commit of a result batch to the answer of `GET /remote_execution/jobs/:id?wait=&since=`.
 *
 * The job is stored by the job repository (as POST stores one) and run by the product's dispatcher, proxy
 * streams and batching result writer. Only the proxy is a stand-in (`pacedProxy`): 100,000 simulated
 * nodes, their proxies and this process do not fit the 2 shared cores together, and the figures here are
 * about what the ui-extension does with results, not about producing them. The bench decides when each
 * result arrives, so that it knows which commit a long poll waits for.
 */
import { performance } from 'node:perf_hooks';
import type { DataSource, EntitySubscriberInterface } from 'typeorm';
import type { JobStatus } from '@common/jobs';
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { ExecuteRequest } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import { openTestDataSource } from '@test/support/databases';
import { seedBenchJob } from './bench-job-seed';
import { proxyPluginAgents } from '@test/ui-extension/jobs/support/grpc-proxies';
import { AUTH, startJobApp, type JobApp } from '@test/ui-extension/jobs/support/job-stack';

export interface JobPageBenchOptions {
  hosts: number;
  /** Timed requests per figure (after one warm-up request). */
  runs?: number;
  /** Long-poll wake-ups timed on the instance that writes the results. */
  wakeups?: number;
  /** Wake-ups timed on a second instance on the same database (it sees the writes by re-reading). */
  remoteWakeups?: number;
}

export interface Figure { medianMs: number; runsMs: number[] }
export interface PageFigures { show: Figure; firstPage: Figure; stateFilter: Figure; nameSearch: Figure; stateParam: Figure }

export interface JobPageBenchResult {
  name: string;
  hosts: number;
  search: typeof JOB_PAGE_SEARCHES;
  /** Job state and stored results when the "while running" figures were taken (first and last request). */
  runningAt: { state: string; storedFrom: number; storedTo: number };
  running: PageFigures;
  after: PageFigures & { state: string };
  /** Commit of a 500-result batch -> long-poll answer, same instance (in-process wake-up). */
  wakeup: Figure & { batchRows: number };
  /** Same, long poll on a second instance: it re-reads the job every recheck interval (500 ms). */
  remoteWakeup: Figure;
  matching: { stateFilter: number; nameSearch: number };
}

export const JOB_PAGE_SEARCHES = { stateFilter: 'state = failed', nameSearch: 'name ~ host-0421' };

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (ms: number) => Math.round(ms * 10) / 10;
const figure = (runs: number[]): Figure => ({ medianMs: round(median(runs)), runsMs: runs.map(round) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Execution { identities: string[]; next: number; sequence: number; onEvent: (e: ExecuteEvent__Output) => void; done: () => void }

/**
 * A stand-in for the proxy client (see the file comment): each execution announces itself, then
 * reports exactly the results `emit` hands it, one event per host as a proxy's stream does; it ends
 * with its summary once every host of it reported. Every 20th host fails.
 */
function pacedProxy() {
  const live: Execution[] = [];
  let emitted = 0;
  const agents = proxyPluginAgents();
  const event = (sequence: number, body: Partial<ExecuteEvent__Output>): ExecuteEvent__Output => ({ sequence: String(sequence), ...body }) as unknown as ExecuteEvent__Output;
  const run = (request: ExecuteRequest, onEvent: (e: ExecuteEvent__Output) => void, signal?: AbortSignal) => new Promise<void>((resolve) => {
    const execution: Execution = { identities: request.identities ?? [], next: 0, sequence: 1, onEvent, done: resolve };
    onEvent(event(1, { event: 'started', started: { execution_id: request.execution_id, request_id: 'bench', expected_identities: [], reports_sent: false } } as never));
    live.push(execution);
    signal?.addEventListener('abort', () => {
      live.splice(live.indexOf(execution), 1);
      resolve();
    }, { once: true });
  });
  return {
    client: {
      execute: (_url: string, request: ExecuteRequest, onEvent: (e: ExecuteEvent__Output) => void, signal?: AbortSignal) => run(request, onEvent, signal),
      getResults: async () => undefined,
      cancel: async () => ({ found: false, cancelled_hosts: 0 }),
      listAgents: async () => agents,
    },
    /** Results of up to `n` hosts of the live executions, synchronously; resolves how many. */
    emit(n: number): number {
      let sent = 0;
      const now = Date.now();
      while (sent < n && live.length > 0) {
        const ex = live[0];
        while (sent < n && ex.next < ex.identities.length) {
          const identity = ex.identities[ex.next++];
          const failed = Number(identity.slice(5, 11)) % 20 === 0;
          ex.sequence += 1;
          ex.onEvent(event(ex.sequence, {
            event: 'result',
            result: {
              identity, state: failed ? 'HOST_STATE_FAILED' : 'HOST_STATE_SUCCEEDED', statuscode: failed ? 1 : 0, statusmsg: failed ? 'Could not find service nginx' : 'OK',
              data_json: failed ? '{"status":"unknown"}' : '{"status":"running"}', sent_at_ms: String(now - 5), received_at_ms: String(now), unexpected: false, cause: 'HOST_CAUSE_UNSPECIFIED', reason: '',
            },
          } as never));
          sent += 1;
        }
        if (ex.next >= ex.identities.length) {
          live.shift();
          ex.sequence += 1;
          ex.onEvent(event(ex.sequence, { event: 'summary', summary: { state: 'EXECUTION_STATE_COMPLETED', expected: ex.identities.length, responded: ex.identities.length } } as never));
          ex.done();
        }
      }
      emitted += sent;
      return sent;
    },
    /** Results handed out so far (stored or not yet). */
    emitted: () => emitted,
    liveHosts: () => live.reduce((n, ex) => n + ex.identities.length - ex.next, 0),
  };
}

/** Records when each transaction on the data source committed (the result writer's batches among them). */
function commitClock(ds: DataSource) {
  const commits: number[] = [];
  const subscriber: EntitySubscriberInterface = { afterTransactionCommit: () => void commits.push(performance.now()) };
  ds.subscribers.push(subscriber);
  return { firstAfter: (t: number) => commits.find((c) => c >= t), clear: () => commits.splice(0) };
}

async function getJson<T>(url: string): Promise<{ ms: number; body: T }> {
  const started = performance.now();
  const res = await fetch(url, { headers: { Authorization: AUTH } });
  const body = (await res.json()) as T;
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(body)}`);
  return { ms, body };
}

async function pageFigures(app: JobApp, jobId: number, runs: number, between?: () => Promise<void>): Promise<{ figures: PageFigures; matching: { stateFilter: number; nameSearch: number } }> {
  const base = `${app.url}/api/v2/remote_execution/jobs/${jobId}`;
  const urls = {
    show: base,
    firstPage: `${base}/hosts`,
    stateFilter: `${base}/hosts?search=${encodeURIComponent(JOB_PAGE_SEARCHES.stateFilter)}`,
    nameSearch: `${base}/hosts?search=${encodeURIComponent(JOB_PAGE_SEARCHES.nameSearch)}`,
    stateParam: `${base}/hosts?state=failed`,
  };
  const timed = Object.fromEntries(Object.keys(urls).map((k) => [k, [] as number[]])) as Record<keyof PageFigures, number[]>;
  const matching = { stateFilter: 0, nameSearch: 0 };
  for (let r = -1; r < runs; r++) {
    // Interleaved, so that each figure sees the same moments of the running job.
    for (const [key, url] of Object.entries(urls) as Array<[keyof PageFigures, string]>) {
      const { ms, body } = await getJson<{ subtotal?: number }>(url);
      if (r >= 0) timed[key].push(ms);
      if (key === 'stateFilter' || key === 'nameSearch') matching[key] = body.subtotal ?? 0;
      if (between) await between();
    }
  }
  const figures = Object.fromEntries(Object.entries(timed).map(([k, v]) => [k, figure(v)])) as unknown as PageFigures;
  return { figures, matching };
}

export async function runJobPageBench(options: JobPageBenchOptions): Promise<JobPageBenchResult> {
  const runs = options.runs ?? 15;
  const db = await openTestDataSource('mysql');
  const proxy = pacedProxy();
  const apps: JobApp[] = [];
  try {
    const ds = db.dataSource;
    const { jobId } = await seedBenchJob(ds, { hosts: options.hosts, proxyPrefix: 'page-proxy', portBase: 50_000, description: 'job page bench', state: () => 'pending', counts: { pending: options.hosts }, final: false });
    await ds.query('ANALYZE TABLE job_invocation_hosts');
    const commits = commitClock(ds);
    // The supervisor's first tick claims the queued job and hands its hosts to the paced proxy.
    const app = await startJobApp({ dataSource: ds, proxies: proxy.client, instanceId: 'bench-writer' });
    apps.push(app);
    const other = await startJobApp({ dataSource: ds, proxies: proxy.client, instanceId: 'bench-reader' });
    apps.push(other);
    const log = (what: string) => { if (process.env.BENCH_VERBOSE) process.stderr.write(`${new Date().toISOString()} ${what}\n`); };
    log('job stored, apps started');
    const jobUrl = (a: JobApp) => `${a.url}/api/v2/remote_execution/jobs/${jobId}`;
    const job = async (a: JobApp = app) => (await getJson<JobStatus>(jobUrl(a))).body;
    for (let waited = 0; proxy.liveHosts() === 0; waited += 50) {
      if (waited > 60_000) throw new Error(`the job did not start: ${JSON.stringify((await job()).counts)}`);
      await sleep(50);
    }
    // Let the first chunks' "running" batches land before timing anything.
    for (let last = -1, current = (await job()).version; current !== last; last = current, current = (await job()).version) await sleep(300);

    /** One result batch after a long poll is waiting; commit -> answer. */
    const wakeOnce = async (poller: JobApp, settleMs: number): Promise<number | undefined> => {
      const before = await job(poller);
      const answered = getJson<JobStatus>(`${jobUrl(poller)}?wait=30&since=${before.version}`).then((r) => ({ at: performance.now(), body: r.body }));
      await sleep(settleMs);
      const emittedAt = performance.now();
      const n = proxy.emit(500);
      const got = await answered;
      const committed = commits.firstAfter(emittedAt);
      if (n === 0 || committed === undefined || got.body.version <= before.version) return undefined;
      return got.at - committed;
    };
    log('job running');
    // The wake-ups spend at most half the hosts (a sample is dropped at chunk boundaries and when another
    // commit woke the poll first), so that the "while running" figures always find the job running.
    const wake: number[] = [];
    for (let i = 0; wake.length < (options.wakeups ?? 50) && i < 200 && proxy.emitted() < options.hosts / 2; i++) {
      const ms = await wakeOnce(app, 30);
      if (ms !== undefined) wake.push(ms);
      // Chunk boundaries: the next execution starts once its "running" batch is written.
      if (proxy.liveHosts() === 0) await sleep(300);
    }
    log('wake-ups timed');
    const remote: number[] = [];
    for (let i = 0; remote.length < (options.remoteWakeups ?? 10) && i < 40 && proxy.emitted() < (options.hosts * 3) / 4; i++) {
      // The second instance re-reads every 500 ms from when the poll came: commits land anywhere in that cycle.
      const ms = await wakeOnce(other, 30 + Math.random() * 500);
      if (ms !== undefined) remote.push(ms);
      if (proxy.liveHosts() === 0) await sleep(300);
    }

    log('remote wake-ups timed');
    // While the job runs: 500 results per request timed, about 2,500 a second at this pace.
    const storedFrom = (await job()).counts.succeeded + (await job()).counts.failed;
    const reserve = Math.ceil(options.hosts / 20);
    const whileRunning = await pageFigures(app, jobId, runs, async () => {
      if (options.hosts - proxy.emitted() > reserve) proxy.emit(500);
      await sleep(20);
    });
    const atEnd = await job();
    if (atEnd.state !== 'running') throw new Error(`the job was ${atEnd.state} before the "running" figures were done`);
    const runningAt = { state: atEnd.state, storedFrom, storedTo: atEnd.counts.succeeded + atEnd.counts.failed };

    log('running figures taken');
    // The rest, then the figures of the ended job.
    for (let idle = 0; idle < 100;) {
      if (proxy.emit(5000) === 0) {
        idle += 1;
        await sleep(100);
      } else idle = 0;
      const j = await job();
      if (['succeeded', 'failed', 'cancelled'].includes(j.state)) break;
    }
    let final = await job();
    for (let waited = 0; !['succeeded', 'failed', 'cancelled'].includes(final.state); waited += 1) {
      if (waited > 120) throw new Error(`the job did not end: ${JSON.stringify(final.counts)}`);
      final = (await getJson<JobStatus>(`${jobUrl(app)}?wait=1&since=${final.version}`)).body;
    }
    const ended = await pageFigures(app, jobId, runs);
    return {
      name: `job page of a ${options.hosts}-host job, MariaDB, through HTTP`,
      hosts: options.hosts,
      search: JOB_PAGE_SEARCHES,
      runningAt,
      running: whileRunning.figures,
      after: { ...ended.figures, state: final.state },
      wakeup: { ...figure(wake), batchRows: 500 },
      remoteWakeup: figure(remote),
      matching: ended.matching,
    };
  } finally {
    for (const a of apps) await a.close();
    await db.close();
  }
}

if (require.main === module) {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  runJobPageBench({ hosts: env('BENCH_JOB_PAGE_HOSTS', 100_000), runs: env('BENCH_JOB_PAGE_RUNS', 15), wakeups: env('BENCH_JOB_PAGE_WAKEUPS', 50), remoteWakeups: env('BENCH_JOB_PAGE_REMOTE_WAKEUPS', 10) }).then((r) => process.stdout.write(`${JSON.stringify(r, null, 1)}\n`), (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
