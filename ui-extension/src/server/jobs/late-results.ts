/**
 * Late results: replies a proxy delivers after this side gave up on its stream (the job's deadline
 * passed while the proxy was stalled, or the proxy was unreachable for a while) and the job ended.
 * Once the proxy can be reached again, the execution is cancelled first (the job is over: nothing
 * more may be sent; a proxy that was only cut off would otherwise go on until the deadline), then its
 * events after the last one seen are fetched with GetResults, for `windowMs` after the job ended,
 * and replies are stored flagged late (job-results.repository.ts `recordLateResults`) instead of
 * dropped: what is recorded is what ran. Followers live in this instance's memory only; a restart
 * ends them.
 */
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import { isAppError } from '../errors';
import type { Logger } from '../logger';
import type { JobProxyClient } from './job-dispatcher';
import type { LateResult } from './job-invocation.repository';
import { outcomeOfResult } from './host-outcomes';
import { resultsOf } from './running-job';

/** One execution a job gave up on, and the hosts that may still get a late reply from it. */
export interface LateFollow {
  jobId: number;
  proxyName: string;
  url: string;
  executionId: string;
  /** The last event of the execution this side processed. */
  afterSequence: number;
  /** Identity -> job host row, for the hosts of this execution that ended without a reply. */
  hosts: Map<string, number>;
}

export interface LateResultStore {
  recordLateResults(jobId: number, results: LateResult[], now: Date): Promise<number>;
}

export interface LateResultOptions {
  proxies: Pick<JobProxyClient, 'getResults' | 'cancel'>;
  store: LateResultStore;
  clock: () => Date;
  logger: Logger;
  /** How long after the job ended results are still fetched; 0 turns late results off. */
  windowMs: number;
  /** Called after late results were stored, e.g. to wake long polls. */
  onStored: (jobId: number, count: number) => void;
  /** First wait between attempts to reach the proxy; doubles up to 5 s. */
  retryMs?: number;
  /** Longest a late result waits in memory before it is written. */
  flushMs?: number;
}

const RETRY_MAX_MS = 5000;

/**
 * The store with `told` called after each recording that stored late results, with the rows it was
 * given (those it kept are the ones with a result now): Puppet run reports are looked up for them
 * (puppet-run-reports.ts `lateResultsStored`). A wrapper, so the dispatcher that owns the collector
 * needs no hook of its own.
 */
export function lateResultsTold<S extends LateResultStore>(store: S, told: (jobId: number, rowIds: number[]) => void): S {
  return {
    ...store,
    async recordLateResults(jobId: number, results: LateResult[], now: Date): Promise<number> {
      const stored = await store.recordLateResults(jobId, results, now);
      if (stored > 0) told(jobId, results.map((r) => r.rowId));
      return stored;
    },
  };
}

export function createLateResultCollector(options: LateResultOptions) {
  const running = new Set<{ abort: AbortController; done: Promise<void> }>();

  async function run(follow: LateFollow, signal: AbortSignal): Promise<void> {
    const until = Date.now() + options.windowMs;
    let after = follow.afterSequence;
    let queued: LateResult[] = [];
    let writing: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> => {
      const batch = queued;
      queued = [];
      if (batch.length === 0) return writing;
      writing = writing.then(async () => {
        try {
          const stored = await options.store.recordLateResults(follow.jobId, batch, options.clock());
          if (stored > 0) {
            options.logger.info({ jobId: follow.jobId, proxy: follow.proxyName, executionId: follow.executionId, stored }, 'late results stored');
            options.onStored(follow.jobId, stored);
          }
        } catch (error) {
          options.logger.warn({ err: error, jobId: follow.jobId, lost: batch.length }, 'storing late results failed');
        }
      });
      return writing;
    };
    const timer = setInterval(() => void flush(), options.flushMs ?? 200);
    const onEvent = (event: ExecuteEvent__Output): void => {
      after = Math.max(after, Number(event.sequence));
      // Single results and batches alike (resultsOf): asking for batches later must not lose late results.
      for (const { result: r } of resultsOf(event)) {
        const rowId = follow.hosts.get(r.identity);
        // Only a reply of the node's own says it ran; a proxy's "not sent" or "no reply" adds nothing.
        if (rowId === undefined || r.cause !== 'HOST_CAUSE_UNSPECIFIED' || (r.state !== 'HOST_STATE_SUCCEEDED' && r.state !== 'HOST_STATE_FAILED')) continue;
        follow.hosts.delete(r.identity);
        const outcome = outcomeOfResult(r);
        queued.push({
          rowId,
          state: outcome.state as LateResult['state'],
          statuscode: r.statuscode,
          statusmsg: outcome.statusmsg ?? null,
          data: outcome.data ?? null,
          finishedAt: outcome.finishedAt ?? options.clock(),
          sentAt: outcome.sentAt ?? null,
        });
      }
    };
    const windowEnd = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, until - Date.now()))]);
    let cancelled = false;
    try {
      for (let wait = options.retryMs ?? 500; !windowEnd.aborted && follow.hosts.size > 0; wait = Math.min(RETRY_MAX_MS, wait * 2)) {
        try {
          if (!cancelled) {
            const outcome = await options.proxies.cancel(follow.url, follow.executionId);
            cancelled = true;
            // The proxy no longer has the execution (it restarted, or retention passed): nothing will come.
            if (!outcome.found) break;
          }
          await options.proxies.getResults(follow.url, { execution_id: follow.executionId, after_sequence: after, follow: true }, onEvent, windowEnd);
          // The stream ended: the execution is over and every event of it was delivered.
          if (!windowEnd.aborted) break;
        } catch (error) {
          // The proxy no longer has the execution (it restarted, or retention passed): nothing will come.
          if (isAppError(error) && error.code === 'NOT_FOUND') break;
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, wait);
            windowEnd.addEventListener('abort', () => {
              clearTimeout(t);
              resolve();
            }, { once: true });
          });
        }
      }
    } finally {
      clearInterval(timer);
      await flush();
    }
  }

  return {
    /** Follows an execution in the background until it ends, the window passes or stop() is called. */
    follow(follow: LateFollow): void {
      if (options.windowMs <= 0 || follow.hosts.size === 0) return;
      const abort = new AbortController();
      const entry = { abort, done: Promise.resolve() };
      entry.done = run(follow, abort.signal)
        .catch((error: unknown) => options.logger.warn({ err: error, jobId: follow.jobId }, 'following late results failed'))
        .finally(() => running.delete(entry));
      running.add(entry);
    },
    /** Followers still running (tests). */
    active: () => running.size,
    async stop(): Promise<void> {
      for (const entry of running) entry.abort.abort();
      await Promise.all([...running].map((entry) => entry.done));
    },
  };
}

export type LateResultCollector = ReturnType<typeof createLateResultCollector>;
