import type { HostCounts, HostState } from '@common/jobs';
import type { Logger } from '../logger';
import { applyTransitions, canTransition } from './host-states';

/** One job host as the writer tracks it: enough to decide transitions without reading the row. */
export interface TrackedHost {
  rowId: number;
  hostName: string;
  smartProxyId: number | null;
  state: HostState;
}

/** A host's new final state, as written by one batch. */
export interface HostResultWrite {
  rowId: number;
  state: HostState;
  reason: string | null;
  statuscode: number | null;
  statusmsg: string | null;
  data: string | null;
  finishedAt: Date;
  eventSeq: number;
  proxySequence: number | null;
}

/** Everything one flush changes, committed in one transaction. */
export interface ResultBatch {
  jobId: number;
  /** Hosts that were sent to a proxy: state running, started_at = now. */
  running: number[];
  results: HostResultWrite[];
  counts: HostCounts;
  lastEventSeq: number;
  /** Proxy stream cursors recorded with the results they cover. */
  streams: Array<{ smartProxyId: number; lastSequence: number }>;
  now: Date;
}

export interface ResultBatchStore {
  /** Writes the batch in one transaction and bumps the job's version once; resolves the new version. */
  commitResultBatch(batch: ResultBatch): Promise<number>;
}

export interface HostOutcome {
  state: HostState;
  reason?: string | null;
  statuscode?: number | null;
  statusmsg?: string | null;
  data?: string | null;
  finishedAt?: Date;
}

export interface ResultWriterOptions {
  jobId: number;
  hosts: TrackedHost[];
  counts: HostCounts;
  lastEventSeq: number;
  store: ResultBatchStore;
  clock: () => Date;
  logger: Logger;
  /** Rows per flush; limits.md: 500-row statements are the sweet spot on both databases. */
  batchSize: number;
  /** Longest a result waits in memory before it is written. */
  flushMs: number;
  /** Called after each committed batch, e.g. to wake long polls. */
  onCommitted: (version: number, batch: ResultBatch) => void;
  /**
   * Called once when a write fails (the database went away, say). The writer then holds a batch the
   * database may or may not have: the owner must drop it and resume from the stored rows.
   */
  onFailed?: (error: Error) => void;
}

/**
 * Collects host state changes of one job and writes them in batches: at most `batchSize` rows per
 * flush, at most `flushMs` after the first queued change. It is the only writer of a job's host rows
 * while the job runs, so its in-memory view of each host's state is authoritative, and counts are
 * derived from transitions instead of being re-counted from the database.
 */
export function createResultWriter(options: ResultWriterOptions) {
  const byRow = new Map<number, TrackedHost>();
  const byProxyIdentity = new Map<string, TrackedHost>();
  const key = (proxyId: number | null, name: string) => `${proxyId ?? ''}\u0000${name}`;
  for (const h of options.hosts) {
    byRow.set(h.rowId, h);
    byProxyIdentity.set(key(h.smartProxyId, h.hostName), h);
  }
  // `committed*` is what the database holds; `counts`/`eventSeq` already include queued changes.
  let counts = { ...options.counts };
  let eventSeq = options.lastEventSeq;
  let queuedRunning: number[] = [];
  let queuedResults: HostResultWrite[] = [];
  let queuedCursors = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  let discarded = false;

  const queuedSize = () => queuedRunning.length + queuedResults.length;

  function schedule(): void {
    if (discarded) return;
    if (queuedSize() >= options.batchSize) {
      background();
      return;
    }
    if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        background();
      }, options.flushMs);
    }
  }

  function take(): ResultBatch | undefined {
    if (queuedSize() === 0 && queuedCursors.size === 0) return undefined;
    const running = queuedRunning.splice(0, options.batchSize);
    const results = queuedResults.splice(0, Math.max(0, options.batchSize - running.length));
    // Cursors only when every queued result went out, or a cursor could pass a result not yet written.
    const streams = queuedResults.length === 0 ? [...queuedCursors].map(([smartProxyId, lastSequence]) => ({ smartProxyId, lastSequence })) : [];
    if (queuedResults.length === 0) queuedCursors = new Map();
    const lastEventSeq = results.length > 0 ? results[results.length - 1].eventSeq : committedEventSeq;
    const batch: ResultBatch = { jobId: options.jobId, running, results, counts: countsAfter(running, results), lastEventSeq, streams, now: options.clock() };
    committedEventSeq = lastEventSeq;
    return batch;
  }

  // Counts as of a batch: what was committed plus exactly the changes in that batch.
  let committedCounts = { ...options.counts };
  let committedEventSeq = options.lastEventSeq;
  const pendingFrom = new Map<number, HostState[]>();
  function countsAfter(running: number[], results: HostResultWrite[]): HostCounts {
    const changes: Array<{ from: HostState; to: HostState }> = [];
    for (const rowId of running) changes.push({ from: popFrom(rowId), to: 'running' });
    for (const r of results) changes.push({ from: popFrom(r.rowId), to: r.state });
    committedCounts = applyTransitions(committedCounts, changes);
    return committedCounts;
  }
  function popFrom(rowId: number): HostState {
    const list = pendingFrom.get(rowId)!;
    const from = list.shift()!;
    if (list.length === 0) pendingFrom.delete(rowId);
    return from;
  }
  function noteFrom(rowId: number, from: HostState): void {
    const list = pendingFrom.get(rowId);
    if (list) list.push(from);
    else pendingFrom.set(rowId, [from]);
  }

  // A flush nobody awaits: its failure is kept in `failure` and reported through onFailed and the next
  // awaited flush, never as an unhandled rejection (which would end the process).
  function background(): void {
    flush().catch(() => undefined);
  }

  function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    chain = chain.then(async () => {
      for (;;) {
        if (discarded || failure) return;
        const batch = take();
        if (!batch) return;
        try {
          const version = await options.store.commitResultBatch(batch);
          options.onCommitted(version, batch);
        } catch (error) {
          failure = error as Error;
          options.logger.warn({ err: error, jobId: options.jobId }, 'writing host results failed');
          options.onFailed?.(failure);
          throw error;
        }
      }
    });
    return chain;
  }

  return {
    /** Hosts sent to a proxy. Only pending hosts move; returns the rows that did. */
    markRunning(rowIds: number[]): number[] {
      const moved: number[] = [];
      for (const rowId of rowIds) {
        const host = byRow.get(rowId);
        if (!host || !canTransition(host.state, 'running')) continue;
        noteFrom(rowId, host.state);
        counts = applyTransitions(counts, [{ from: host.state, to: 'running' }]);
        host.state = 'running';
        queuedRunning.push(rowId);
        moved.push(rowId);
      }
      if (moved.length > 0) schedule();
      return moved;
    },

    /**
     * Records a host's final outcome. Returns false when the host is unknown or already final (a
     * duplicate or late result), which is then dropped. `proxySequence` advances that proxy's cursor
     * even for dropped events so that a re-attach does not fetch them again.
     */
    record(target: { rowId: number } | { smartProxyId: number; identity: string }, outcome: HostOutcome, cursor?: { smartProxyId: number; sequence: number }): boolean {
      if (cursor) queuedCursors.set(cursor.smartProxyId, Math.max(queuedCursors.get(cursor.smartProxyId) ?? 0, cursor.sequence));
      const host = 'rowId' in target ? byRow.get(target.rowId) : byProxyIdentity.get(key(target.smartProxyId, target.identity));
      if (!host || !canTransition(host.state, outcome.state)) {
        if (cursor) schedule();
        return false;
      }
      noteFrom(host.rowId, host.state);
      counts = applyTransitions(counts, [{ from: host.state, to: outcome.state }]);
      host.state = outcome.state;
      eventSeq += 1;
      queuedResults.push({
        rowId: host.rowId,
        state: outcome.state,
        reason: outcome.reason ?? null,
        statuscode: outcome.statuscode ?? null,
        statusmsg: outcome.statusmsg ?? null,
        data: outcome.data ?? null,
        finishedAt: outcome.finishedAt ?? options.clock(),
        eventSeq,
        proxySequence: cursor?.sequence ?? null,
      });
      schedule();
      return true;
    },

    /** Moves a proxy's cursor past an event that changes no host (started, summary). */
    advance(cursor: { smartProxyId: number; sequence: number }): void {
      queuedCursors.set(cursor.smartProxyId, Math.max(queuedCursors.get(cursor.smartProxyId) ?? 0, cursor.sequence));
      schedule();
    },

    /**
     * Drops everything queued and writes nothing more, as a crash would. Safe because cursors are
     * committed with the results they cover: the next owner fetches exactly what was dropped.
     */
    discard(): void {
      discarded = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      queuedRunning = [];
      queuedResults = [];
      queuedCursors = new Map();
    },

    /** Writes everything queued; rejects if any write failed. */
    async flush(): Promise<void> {
      await flush();
      if (failure) throw failure;
    },

    /** Counts including queued changes. */
    counts: (): HostCounts => ({ ...counts }),
    /** Hosts of one proxy (or of none) that are not final yet. */
    unfinished(smartProxyId?: number | null): TrackedHost[] {
      return [...byRow.values()].filter((h) => (smartProxyId === undefined || h.smartProxyId === smartProxyId) && (h.state === 'pending' || h.state === 'running'));
    },
    host: (rowId: number): TrackedHost | undefined => byRow.get(rowId),
  };
}

export type ResultWriter = ReturnType<typeof createResultWriter>;
