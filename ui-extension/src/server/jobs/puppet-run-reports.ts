/**
 * Looks up the PuppetDB report of each finished Puppet run a job recorded (issue 18), after the host's
 * result is written and never in its way: the dispatcher hands over the committed results
 * (job-dispatcher.ts `onResultsStored`) and goes on; lookups run here, at most `concurrency` at a
 * time over all jobs. PuppetDB stores a report some time after Puppet Server submits it (its command
 * queue), so a run whose report is not there yet is asked again every `retryMs` until `waitMs`
 * after its result; then the host keeps why there is none. The host's own state never depends on
 * PuppetDB: this only adds `puppetdb_report` beside it.
 *
 * Lookups live in this instance's memory: one that stops (or restarts) mid-lookup leaves those hosts
 * without a report, which reads as "not looked up" (null), never as a wrong one.
 */
import type { PuppetDbRunReport } from '@common/jobs';
import { parseExact, toPlainNumbers } from '@protos/json-numbers';
import type { Logger } from '../logger';
import { findRunReport, type RunToMatch } from '../puppetdb/puppetdb-reports';
import type { PuppetDbClient } from '../puppetdb/puppetdb.client';
import { isPuppetRun } from './puppet-run-outcome';

/** The job of committed results, as the dispatcher names it. */
export interface StoredJob {
  id: number;
  namespace: string;
  action: string;
}

/** A committed host result, as the dispatcher reports it. */
export interface StoredHostResult {
  rowId: number;
  hostName: string;
  /** The reply data as stored (JSON). */
  data: string | null;
}

export interface PuppetRunReportStore {
  /** Writes the host's report (JSON) and bumps its job's version, so that long polls see it. */
  storePuppetReport(jobId: number, rowId: number, report: string, now: Date): Promise<void>;
}

export interface PuppetRunReportsDeps {
  puppetdb: Pick<PuppetDbClient, 'query' | 'url'>;
  store: PuppetRunReportStore;
  clock: () => Date;
  logger: Logger;
  /** How long after the result a report is looked for (puppetdb.report_wait_s). */
  waitMs: number;
  /** Between two lookups of the same run. */
  retryMs?: number;
  /** Lookups in flight at once (puppetdb.report_concurrency). */
  concurrency: number;
  /** Runs waiting beyond this are not looked up (the host says so): memory stays bounded. */
  maxQueued?: number;
  /** Called after a report (or the reason for none) is stored, e.g. to wake long polls. */
  onStored?: (jobId: number) => void;
  /** setTimeout by default; unit tests pass their own. */
  timer?: (fn: () => void, ms: number) => { cancel(): void };
}

interface Lookup {
  jobId: number;
  rowId: number;
  run: RunToMatch;
  /** Give up at this time (ms). */
  deadline: number;
  lastError?: string;
}

const realTimer = (fn: () => void, ms: number) => {
  const handle = setTimeout(fn, ms);
  handle.unref();
  return { cancel: () => clearTimeout(handle) };
};

/** The run to look for from a host's stored reply: only a run that finished (its `run` says when). */
export function runOfResult(hostName: string, data: string | null): RunToMatch | undefined {
  if (!data) return undefined;
  let parsed: unknown;
  try {
    parsed = toPlainNumbers(parseExact(data));
  } catch {
    return undefined;
  }
  const run = (parsed as { run?: unknown } | null)?.run;
  if (typeof run !== 'object' || run === null) return undefined;
  const { last_run: lastRun, config_version: configVersion, noop } = run as Record<string, unknown>;
  if (typeof lastRun !== 'number' || lastRun <= 0) return undefined;
  return { certname: hostName, lastRun, configVersion: typeof configVersion === 'string' ? configVersion : '', noop: noop === true };
}

export function createPuppetRunReports(deps: PuppetRunReportsDeps) {
  const retryMs = deps.retryMs ?? 1000;
  const maxQueued = deps.maxQueued ?? 10_000;
  const timer = deps.timer ?? realTimer;
  const ready: Lookup[] = [];
  const waiting = new Map<Lookup, { cancel(): void }>();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const seconds = Math.round(deps.waitMs / 1000);

  const pending = () => ready.length + waiting.size + inFlight.size;

  async function store(item: Lookup, report: PuppetDbRunReport): Promise<void> {
    try {
      await deps.store.storePuppetReport(item.jobId, item.rowId, JSON.stringify(report), deps.clock());
      deps.onStored?.(item.jobId);
    } catch (error) {
      deps.logger.warn({ err: error, jobId: item.jobId, host: item.run.certname }, 'puppet report lookup could not be stored');
    }
  }

  const missing = (reason: string): PuppetDbRunReport => ({ hash: null, url: null, summary: null, reason, fetched_at: deps.clock().toISOString() });

  async function lookUp(item: Lookup): Promise<void> {
    let found: PuppetDbRunReport | undefined;
    try {
      found = await findRunReport(deps.puppetdb, item.run, deps.clock());
      item.lastError = undefined;
    } catch (error) {
      item.lastError = (error as Error).message;
    }
    if (found) return store(item, found);
    if (stopped) return;
    if (deps.clock().getTime() + retryMs <= item.deadline) {
      const handle = timer(() => {
        waiting.delete(item);
        ready.push(item);
        pump();
      }, retryMs);
      waiting.set(item, handle);
      return;
    }
    const reason = item.lastError
      ? `PuppetDB could not be asked for this run's report within ${seconds} s: ${item.lastError}`
      : `no report in PuppetDB for this run after ${seconds} s (certname ${item.run.certname}, configuration version ${item.run.configVersion || 'unknown'}, ended ${new Date(item.run.lastRun * 1000).toISOString()})`;
    deps.logger.info({ jobId: item.jobId, host: item.run.certname, reason }, 'no puppet report found');
    await store(item, missing(reason));
  }

  function pump(): void {
    while (!stopped && inFlight.size < deps.concurrency && ready.length > 0) {
      const item = ready.shift()!;
      const done: Promise<void> = lookUp(item).finally(() => {
        inFlight.delete(done);
        pump();
      });
      inFlight.add(done);
    }
  }

  /** Queues a lookup for each finished run of a puppet#runonce job; any other job's results are ignored. */
  function resultsStored(job: StoredJob, results: readonly StoredHostResult[]): void {
    if (stopped || !isPuppetRun(job.namespace, job.action)) return;
    const deadline = deps.clock().getTime() + deps.waitMs;
    for (const result of results) {
      const run = runOfResult(result.hostName, result.data);
      if (!run) continue;
      const item: Lookup = { jobId: job.id, rowId: result.rowId, run, deadline };
      if (pending() >= maxQueued) {
        const reason = `not looked up in PuppetDB: ${maxQueued} report lookups were already waiting`;
        deps.logger.warn({ jobId: job.id, host: run.certname }, 'puppet report lookups overflow');
        void store(item, missing(reason));
        continue;
      }
      ready.push(item);
    }
    pump();
  }

  return {
    resultsStored,
    /**
     * The dispatcher's hook, asked once per job: where its committed results go when it is a
     * puppet#runonce job, nothing for any other job, so that the dispatcher builds no
     * StoredHostResult for the results of a job that looks nothing up.
     */
    forJob(job: StoredJob): ((results: readonly StoredHostResult[]) => void) | undefined {
      return isPuppetRun(job.namespace, job.action) ? (results) => resultsStored(job, results) : undefined;
    },
    /** Lookups queued, waiting for a retry or in flight (tests, metrics). */
    pending,
    /** Resolves once nothing is queued, waiting or in flight (tests). */
    async idle(): Promise<void> {
      while (pending() > 0) await Promise.race([...inFlight, new Promise((resolve) => setTimeout(resolve, 20))]);
    },
    /** Drops what waits and lets the lookups in flight end (their result is still stored). */
    async stop(): Promise<void> {
      stopped = true;
      for (const handle of waiting.values()) handle.cancel();
      waiting.clear();
      ready.length = 0;
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type PuppetRunReports = ReturnType<typeof createPuppetRunReports>;
