/**
 * A job this instance runs, as its per-proxy streams (job-proxy-stream.ts) see it, and the executions
 * they follow.
 */
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { ExecuteRequest } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import type { HostResult__Output } from '@protos/generated/rex/proxy/v1/HostResult';
import type { Logger } from '../logger';
import type { HostSlots } from './host-slots';
import { isFinalHostState } from './host-states';
import type { JobMetrics, JobProxyClient, SmartProxyRef } from './job-dispatcher';
import type { JobInvocationEntity } from './job-invocation.entity';
import type { JobInvocationRepository } from './job-invocation.repository';
import type { JobProxyStreamEntity } from './job-proxy-stream.entity';
import type { LateFollow } from './late-results';
import type { ProxyBreaker } from './proxy-breaker';
import type { ResultWriter, TrackedHost } from './result-writer';

/** Takes a stream's events; a promise it returns pauses the stream until it settles (back-pressure). */
export type EventSink = (event: ExecuteEvent__Output) => void | Promise<void>;

/** An execution in flight on a proxy: where it runs and how to stop following it. */
export interface LiveExecution {
  proxyName: string;
  url: string;
  executionId: string;
  abort: AbortController;
  /** What became of the cancel sent at the deadline, for the reasons of the hosts left open. */
  detail?: string;
}

/** A job this instance runs, as its per-proxy streams see it. */
export interface RunningJob {
  /** Everything stops: shutdown, or the database went away (`lost`). */
  abort: AbortController;
  /** No new chunk is handed out and no slot is waited for: cancel, or the deadline passed. */
  dispatching: AbortController;
  writer?: ResultWriter;
  /** Executions in flight, by smart proxy id, for cancel. */
  live: Map<number, LiveExecution>;
  cancelled: boolean;
  timedOut: boolean;
  /**
   * The database went away mid-job: this run stops writing and lets go of the job; the supervisor's
   * next claim (this instance or another) resumes it from the stored rows and proxy cursors.
   */
  lost: boolean;
  /** The job has ended (or no longer exists): its sensitive arguments are no longer needed here. */
  ended?: boolean;
  /** Executions given up on, followed for late results once the job has ended. */
  late: LateFollow[];
  /** Wakes a rollout waiting at a gate (a resume on this instance); set while it waits. */
  wake?: () => void;
  /** Set when the failure threshold stopped the rollout: the job ends failed. */
  stopped?: string;
  /** Per smart proxy, where this run's last stream stopped: a rollout's next batch carries on from it. */
  chunks?: Map<number, ChunkCursor>;
  done: Promise<void>;
}

/** What one proxy's stream (job-proxy-stream.ts) runs with, job by job. */
export interface ProxyStreamDeps {
  repo: JobInvocationRepository;
  proxies: JobProxyClient;
  slots: HostSlots;
  logger: Logger;
  metrics?: JobMetrics;
  /** Re-attach attempts after a result stream broke mid-way. */
  reattachAttempts?: number;
  /** First wait before a re-attach; it doubles per attempt up to REATTACH_BACKOFF_MAX_MS. */
  reattachBackoffMs?: number;
  /** True once the dispatcher is stopping: nothing more is written. */
  stopped: () => boolean;
  /** This instance's lease owner id: a restart's re-send checks the job row still names it. */
  instanceId: string;
}

export interface ProxyStreamRun {
  entity: JobInvocationEntity;
  stream: JobProxyStreamEntity;
  proxy: SmartProxyRef | undefined;
  writer: ResultWriter;
  job: RunningJob;
  breaker: ProxyBreaker;
  /** The ExecuteRequest of one chunk (agent, action, arguments with secrets, deadline). */
  request: (executionId: string, hosts: TrackedHost[]) => ExecuteRequest;
  /**
   * A rollout's current batches (rollout-runner.ts): only pending hosts for which this holds are
   * sent, and the stream stays open (state pending) while later batches still have hosts on it.
   */
  eligible?: (host: TrackedHost) => boolean;
  /** A rollout's last look before a chunk is sent (rollout-runner.ts): stores its hosts running, or false to hold them. */
  admit?: (hosts: TrackedHost[]) => Promise<boolean>;
}

/** A proxy's last chunk, and the write that names it in the stream row (settles once that is stored). */
export interface ChunkCursor {
  chunk: number;
  named: Promise<void>;
}

/**
 * The next chunk's hosts: up to `limit` pending ones (that `eligible` allows) of a proxy's hosts in row
 * order, read from the first that may still be pending (no host returns to pending): a chunk costs its
 * own hosts, not a scan of the whole job (concurrency_level chunks).
 */
export function pendingPicker(mine: readonly TrackedHost[], eligible?: (host: TrackedHost) => boolean): (limit: number) => TrackedHost[] {
  let first = 0;
  return (limit) => {
    while (first < mine.length && mine[first].state !== 'pending') first++;
    const found: TrackedHost[] = [];
    for (let i = first; i < mine.length && found.length < limit; i++) if (mine[i].state === 'pending' && (!eligible || eligible(mine[i]))) found.push(mine[i]);
    return found;
  };
}

/**
 * After a restart, the hosts of the execution a stream row names with cursor 0 that are not final and
 * were not stored running when the follow began: nothing of that execution was stored, so neither may
 * their running be (chunk 1 is named before its running is queued and written); a replayed HostsSent
 * moved some to running meanwhile (markSent). The pending ones move to running here; all are settled as
 * sent hosts are, never sent again nor recorded "not sent". `expected`: the replayed `started` event's hosts; when
 * it was not heard (the proxy unreachable, the follow aborted), chunk 1 may hold the first `firstChunk`
 * hosts of the proxy in row order (an upper bound: fewer slots may have been granted; 0: not chunk 1).
 */
export function unstoredRunning(writer: ResultWriter, proxyId: number, expected: readonly string[], firstChunk: number): TrackedHost[] {
  const names = new Set(expected);
  const mine = writer.hostsOf(proxyId);
  const open = (h: TrackedHost) => !isFinalHostState(h.state);
  const held = expected.length > 0 ? mine.filter((h) => open(h) && names.has(h.hostName)) : mine.slice(0, firstChunk).filter(open);
  // Only the pending ones move (markRunning leaves a running host as it is).
  writer.markRunning(held.map((h) => h.rowId));
  return held;
}

/**
 * The host results an event carries, each with its own sequence: one for 'result', the whole batch
 * for 'results' (results[i] has first_sequence + i), none for any other event or a missing payload.
 * Every consumer of result streams reads them through this, so a stream that starts asking for
 * batches cannot drop results in a consumer that only knew single ones.
 */
export function resultsOf(event: ExecuteEvent__Output): Array<{ result: HostResult__Output; sequence: number }> {
  if (event.event === 'result') return event.result ? [{ result: event.result, sequence: Number(event.sequence) }] : [];
  if (event.event !== 'results' || !event.results) return [];
  const first = Number(event.results.first_sequence);
  return event.results.results.map((result, i) => ({ result, sequence: first + i }));
}

/** Waits `ms`, or less when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
