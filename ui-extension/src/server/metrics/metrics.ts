/**
 * Prometheus metrics of one ui-extension instance (issue #12). The only importer of prom-client on
 * this side (STYLE.md §2). Counters and histograms are fed where things happen (the job dispatcher,
 * the scheduler, the HTTP layer) through the small interfaces those modules declare; gauges are read
 * at scrape time from their owners (the database for jobs by state, the pool, the long-poll waiters).
 * Each instance has its own registry, so two apps in one test process never share a series.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATES, type HostState, type JobState } from '@common/jobs';
import type { PoolStats } from '../data-source';
import type { Logger } from '../logger';

/** What the job dispatcher reports (jobs/job-dispatcher.ts `JobMetrics`). */
export interface JobMetricsSink {
  hostResultsStored(states: readonly HostState[]): void;
  proxyStreamLatency(proxy: string, seconds: number): void;
  proxyStreamError(proxy: string, code: string): void;
}

/** Read at scrape time; each may be missing (SQLite has no pool). */
export interface MetricsSources {
  jobsByState(): Promise<Array<{ state: JobState; count: number }>>;
  pool(): PoolStats | undefined;
  longPollsWaiting(): number;
}

export interface ServerMetrics extends JobMetricsSink {
  /** fired time - due time of one schedule occurrence, in seconds. */
  schedulerLag(seconds: number): void;
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** Wires the gauges to their owners once the services exist. */
  attach(sources: MetricsSources): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Proxy streams deliver within milliseconds on a LAN; the upper buckets catch a backed-up writer. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** The waker polls every second by default; anything past a minute means nobody fired schedules. */
const LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createServerMetrics(options: { logger: Logger }): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  let sources: MetricsSources | undefined;
  const log = options.logger.child({ component: 'metrics' });

  // prom-client collects all metrics of a scrape at once: the two gauges below share one query.
  type JobsRead = { ok: true; rows: Array<{ state: JobState; count: number }> } | { ok: false; error: unknown };
  let jobsRead: Promise<JobsRead> | undefined;
  const readJobs = (s: MetricsSources): Promise<JobsRead> =>
    (jobsRead ??= s.jobsByState().then(
      (rows): JobsRead => ({ ok: true, rows }),
      (error: unknown): JobsRead => {
        log.warn({ err: error }, 'metrics: counting jobs by state failed');
        return { ok: false, error };
      },
    ).finally(() => {
      jobsRead = undefined;
    }));
  new Gauge({
    name: 'rex_database_up',
    help: 'Whether this scrape could read the database (1) or not (0).',
    registers,
    async collect() {
      if (sources) this.set((await readJobs(sources)).ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'rex_jobs',
    help: 'Jobs by state, over the whole shared database: every instance reports the same numbers (aggregate with max, not sum).',
    labelNames: ['state'],
    registers,
    async collect() {
      if (!sources) return;
      const read = await readJobs(sources);
      // During a database outage the scrape still answers, without stale counts (rex_database_up 0).
      this.reset();
      if (!read.ok) return;
      for (const state of JOB_STATES) this.set({ state }, 0);
      for (const row of read.rows) this.set({ state: row.state }, row.count);
    },
  });
  const hostResults = new Counter({ name: 'rex_host_results_total', help: 'Host results stored by this instance, by final host state.', labelNames: ['state'], registers });
  const streamLatency = new Histogram({
    name: 'rex_proxy_stream_latency_seconds',
    help: 'Time from a smart proxy receiving a host reply to this instance receiving it on the result stream, by proxy.',
    labelNames: ['proxy'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const streamErrors = new Counter({ name: 'rex_proxy_stream_errors_total', help: 'Result streams to a smart proxy that broke or were refused, by proxy and gRPC status name.', labelNames: ['proxy', 'code'], registers });
  const schedulerLag = new Histogram({ name: 'rex_scheduler_lag_seconds', help: 'How late schedule occurrences fired here: fired time minus due time.', buckets: LAG_BUCKETS, registers });
  const httpDuration = new Histogram({ name: 'rex_http_request_duration_seconds', help: 'API request duration by method, route pattern and status class.', labelNames: ['method', 'route', 'status'], buckets: HTTP_BUCKETS, registers });
  new Gauge({
    name: 'rex_db_pool_connections',
    help: 'MySQL/MariaDB pool connections of this instance: in_use, idle, waiting (requests queued for one) and size (the configured limit). Absent on SQLite.',
    labelNames: ['state'],
    registers,
    collect() {
      const stats = sources?.pool();
      if (!stats) return;
      this.set({ state: 'in_use' }, stats.inUse);
      this.set({ state: 'idle' }, stats.open - stats.inUse);
      this.set({ state: 'waiting' }, stats.waiting);
      this.set({ state: 'size' }, stats.size);
    },
  });
  new Gauge({
    name: 'rex_long_polls_waiting',
    help: 'Long-poll requests waiting on this instance.',
    registers,
    collect() {
      if (sources) this.set(sources.longPollsWaiting());
    },
  });

  return {
    hostResultsStored(states) {
      // One inc per state of the batch, by how many: labels are hashed per call (issue #20).
      const n = new Map<HostState, number>();
      for (const state of states) n.set(state, (n.get(state) ?? 0) + 1);
      for (const [state, k] of n) hostResults.inc({ state }, k);
    },
    proxyStreamLatency(proxy, seconds) {
      streamLatency.observe({ proxy }, Math.max(0, seconds));
    },
    proxyStreamError(proxy, code) {
      streamErrors.inc({ proxy, code });
    },
    schedulerLag(seconds) {
      schedulerLag.observe(Math.max(0, seconds));
    },
    httpRequest(method, route, status, seconds) {
      httpDuration.observe({ method, route, status: `${Math.floor(status / 100)}xx` }, seconds);
    },
    attach(s) {
      sources = s;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
