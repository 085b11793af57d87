/**
 * Looks up the PuppetDB report of each finished Puppet run a job recorded (issue 18), after the host's
 * result is written and never in its way: the dispatcher hands over the committed results
 * (job-dispatcher.ts `onResultsStored`), and so do late results once recorded (late-results.ts
 * `lateResultsTold`); lookups run here, at most `concurrency` at a time over all jobs. PuppetDB stores
 * a report some time after Puppet Server submits it (its command queue), so a run whose report is
 * not there yet is asked again every `retryMs` until `waitMs` after its result; then the host keeps
 * why there is none. The host's own state never depends on PuppetDB: this only adds
 * `puppetdb_report` beside it.
 *
 * The queue lives in memory, so `recover()` (at start-up, then every 10 minutes for results older than
 * `waitMs` + 10 minutes) re-queues from the database the Puppet run hosts with a stored result and no
 * report, of jobs still running or ended within `recoverWindowMs` (24 h): a restart mid-lookup, or an
 * instance that dies for good, delays a report; it no longer loses it. A recovered host is asked until
 * `waitMs` after its result, or once when that has passed (a report is kept by PuppetDB for days and
 * matched exactly, so a late answer is still the right one). Recovery fills at most half of
 * `maxQueued`, leaving room for new results, and waits for room to go on. A host of a job ended
 * longer ago keeps null, which means "never looked up" (its result predates the lookups or PuppetDB,
 * or no instance ran within the window): stamping a reason on those would read every old job at each
 * start for a word that says no more than null. Several instances may look up one host; the write
 * only fills a null (`storePuppetReport`), so the first answer stays, and any answer is the same.
 */
import type { PuppetDbRunReport } from '@common/jobs';
import { parseExact, toPlainNumbers } from '@protos/json-numbers';
import type { Logger } from '../logger';
import { findRunReport, type RunToMatch } from '../puppetdb/puppetdb-reports';
import type { PuppetDbClient } from '../puppetdb/puppetdb.client';
import { isPuppetRun } from './puppet-run-outcome';
import { PUPPET_RUN } from './puppet-run.service';

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

/** A host whose result is stored and whose report is not (job-results.repository.ts). */
export interface HostAwaitingReport {
  rowId: number;
  hostName: string;
  data: string | null;
  /** When its result was stored: its late time for a late result, else its end. */
  resultAt: Date | null;
}

export interface PuppetRunReportStore {
  /** Writes the host's report (JSON) unless it has one, and then bumps its job's version; false: it had one. */
  storePuppetReport(jobId: number, rowId: number, report: string, now: Date): Promise<boolean>;
  /** Ids of the jobs of `run` still running or ended at or after `since`. */
  jobsOfActionSince(run: { namespace: string; action: string }, since: Date): Promise<number[]>;
  /** Hosts of a job of `run` with a result and no report, in id order after `afterRowId` (only `rowIds` when given). */
  hostsAwaitingReport(run: { namespace: string; action: string }, jobId: number, page: { afterRowId: number; limit: number; rowIds?: number[] }): Promise<HostAwaitingReport[]>;
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
  /** recover() re-queues hosts of jobs ended this recently, or still running (24 h by default). */
  recoverWindowMs?: number;
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
  const recoverWindowMs = deps.recoverWindowMs ?? 86_400_000;
  const ready: Lookup[] = [];
  /** Rows queued, waiting or in flight: a row recovery or a late result finds again is not asked twice. */
  const queuedRows = new Set<number>();
  /** Recovery waiting for room in the queue. */
  let roomWaiter: (() => void) | undefined;
  const waiting = new Map<Lookup, { cancel(): void }>();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const seconds = Math.round(deps.waitMs / 1000);

  const pending = () => ready.length + waiting.size + inFlight.size;

  async function store(item: Lookup, report: PuppetDbRunReport): Promise<void> {
    try {
      const stored = await deps.store.storePuppetReport(item.jobId, item.rowId, JSON.stringify(report), deps.clock());
      if (stored) deps.onStored?.(item.jobId);
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

  /** A recovered host is asked until `waitMs` after its result, or once if that has passed. */
  const deadlineOf = (host: HostAwaitingReport): number => Math.max(deps.clock().getTime(), (host.resultAt?.getTime() ?? 0) + deps.waitMs);

  /** Queues the host's run, if it has one and is not queued yet; past `maxQueued` the host says why it is not. */
  function enqueue(jobId: number, result: StoredHostResult, deadline: number): boolean {
    const run = runOfResult(result.hostName, result.data);
    if (!run || queuedRows.has(result.rowId)) return false;
    const item: Lookup = { jobId, rowId: result.rowId, run, deadline };
    if (pending() >= maxQueued) {
      const reason = `not looked up in PuppetDB: ${maxQueued} report lookups were already waiting`;
      deps.logger.warn({ jobId, host: run.certname }, 'puppet report lookups overflow');
      void store(item, missing(reason));
      return false;
    }
    queuedRows.add(item.rowId);
    ready.push(item);
    return true;
  }

  function pump(): void {
    while (!stopped && inFlight.size < deps.concurrency && ready.length > 0) {
      const item = ready.shift()!;
      const done: Promise<void> = lookUp(item).finally(() => {
        inFlight.delete(done);
        if (!waiting.has(item)) queuedRows.delete(item.rowId);
        pump();
        roomWaiter?.();
      });
      inFlight.add(done);
    }
  }

  /** Queues a lookup for each finished run of a puppet#runonce job; any other job's results are ignored. */
  function resultsStored(job: StoredJob, results: readonly StoredHostResult[]): void {
    if (stopped || !isPuppetRun(job.namespace, job.action)) return;
    const deadline = deps.clock().getTime() + deps.waitMs;
    for (const result of results) enqueue(job.id, result, deadline);
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
    /** Late results of a job were recorded (late-results.ts): those of a Puppet run are looked up like any. */
    async lateResultsStored(jobId: number, rowIds: readonly number[]): Promise<void> {
      if (stopped || rowIds.length === 0) return;
      try {
        const hosts = await deps.store.hostsAwaitingReport(PUPPET_RUN, jobId, { afterRowId: 0, limit: rowIds.length, rowIds: [...rowIds] });
        for (const host of hosts) enqueue(jobId, host, deadlineOf(host));
        pump();
      } catch (error) {
        deps.logger.warn({ err: error, jobId }, 'puppet report lookups of late results could not be queued');
      }
    },
    /**
     * Re-queues what a stopped instance left: Puppet run hosts with a result and no report, of jobs
     * running or ended within the recovery window; resolves how many were queued once all were. At
     * start-up nothing is left out; the periodic sweep (job-upkeep.ts) passes `settledMs`, so that it
     * takes over only what an instance that died (and may never start again) left.
     */
    async recover(options: { settledMs?: number } = {}): Promise<number> {
      const room = Math.max(1, Math.floor(maxQueued / 2));
      // A result newer than this may still be in the queue of a live instance: the sweep leaves it.
      const settledBefore = deps.clock().getTime() - (options.settledMs ?? 0);
      let queued = 0;
      const jobIds = await deps.store.jobsOfActionSince(PUPPET_RUN, new Date(deps.clock().getTime() - recoverWindowMs));
      for (const jobId of jobIds) {
        for (let afterRowId = 0; !stopped; ) {
          while (!stopped && pending() >= room) await new Promise<void>((resolve) => { roomWaiter = resolve; });
          roomWaiter = undefined;
          if (stopped) break;
          const hosts = await deps.store.hostsAwaitingReport(PUPPET_RUN, jobId, { afterRowId, limit: room - pending() });
          for (const host of hosts) if ((host.resultAt?.getTime() ?? 0) <= settledBefore && enqueue(jobId, host, deadlineOf(host))) queued++;
          pump();
          if (hosts.length === 0) break;
          afterRowId = hosts[hosts.length - 1].rowId;
        }
      }
      if (queued > 0) deps.logger.info({ queued, jobs: jobIds.length }, 'puppet report lookups recovered');
      return queued;
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
      roomWaiter?.();
      for (const handle of waiting.values()) handle.cancel();
      waiting.clear();
      ready.length = 0;
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type PuppetRunReports = ReturnType<typeof createPuppetRunReports>;
