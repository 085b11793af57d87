import type { HostCounts, HostState } from '@common/jobs';
import type { Logger } from '../logger';
import { applyTransitions, canTransition } from './host-states';

/** One job host as the writer tracks it: enough to decide transitions without reading the row. */
export interface TrackedHost {
  rowId: number;
  hostName: string;
  smartProxyId: number | null;
  state: HostState;
  /** The proxy said it sent this host's request (HostsSent, or a result with its sent time). */
  asked: boolean;
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
  /** When the proxy sent the request (kept if started_at is already set); null when unknown or never sent. */
  sentAt: Date | null;
}

/** A proxy stream's cursor, with what its `started` event said, written with the results it covers. */
export interface StreamCursor {
  smartProxyId: number;
  lastSequence: number;
  /** Set once the execution's `started` event said it reports HostsSent. */
  reportsSent?: boolean;
}

/** Everything one flush changes, committed in one transaction. */
export interface ResultBatch {
  jobId: number;
  /** Hosts handed to a proxy: state running (not yet asked: that is `sent`). */
  running: number[];
  /** Hosts the proxy says it sent (HostsSent): started_at = the time it sent them. */
  sent: Array<{ rowIds: number[]; at: Date }>;
  results: HostResultWrite[];
  counts: HostCounts;
  lastEventSeq: number;
  /** Proxy stream cursors recorded with the results they cover. */
  streams: StreamCursor[];
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
  /** When the proxy sent the request, if it says so (its result's sent_at_ms). */
  sentAt?: Date | null;
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
  let queuedSent: Array<{ rowIds: number[]; at: Date }> = [];
  let queuedResults: HostResultWrite[] = [];
  let queuedCursors = new Map<number, StreamCursor>();
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  let discarded = false;

  const queuedSentRows = () => queuedSent.reduce((n, g) => n + g.rowIds.length, 0);
  const queuedSize = () => queuedRunning.length + queuedSentRows() + queuedResults.length;

  function queueCursor(cursor: { smartProxyId: number; sequence: number }, flags?: { reportsSent?: boolean }): void {
    const known = queuedCursors.get(cursor.smartProxyId);
    queuedCursors.set(cursor.smartProxyId, {
      smartProxyId: cursor.smartProxyId,
      lastSequence: Math.max(known?.lastSequence ?? 0, cursor.sequence),
      ...((known?.reportsSent || flags?.reportsSent) ? { reportsSent: true } : {}),
    });
  }

  /** Up to `budget` rows of the queued HostsSent groups, oldest first. */
  function takeSent(budget: number): Array<{ rowIds: number[]; at: Date }> {
    const taken: Array<{ rowIds: number[]; at: Date }> = [];
    while (budget > 0 && queuedSent.length > 0) {
      const group = queuedSent[0];
      if (group.rowIds.length <= budget) {
        taken.push(queuedSent.shift()!);
        budget -= group.rowIds.length;
      } else {
        taken.push({ rowIds: group.rowIds.slice(0, budget), at: group.at });
        group.rowIds = group.rowIds.slice(budget);
        budget = 0;
      }
    }
    return taken;
  }

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
    const sent = takeSent(options.batchSize - running.length);
    const results = queuedResults.splice(0, Math.max(0, options.batchSize - running.length - sent.reduce((n, g) => n + g.rowIds.length, 0)));
    // Cursors only when every queued change went out, or a cursor could pass an event not yet written
    // (a HostsSent too: a restart would then take asked hosts for never asked).
    const drained = queuedResults.length === 0 && queuedRunning.length === 0 && queuedSent.length === 0;
    const streams = drained ? [...queuedCursors.values()] : [];
    if (drained) queuedCursors = new Map();
    const lastEventSeq = results.length > 0 ? results[results.length - 1].eventSeq : committedEventSeq;
    const batch: ResultBatch = { jobId: options.jobId, running, sent, results, counts: countsAfter(running, results), lastEventSeq, streams, now: options.clock() };
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
     * Hosts the proxy says it sent (a HostsSent event): from now on they count as asked, and
     * started_at says when. Final hosts and hosts already asked are left alone.
     */
    markSent(smartProxyId: number, identities: readonly string[], at: Date): void {
      const moved: number[] = [];
      for (const identity of identities) {
        const host = byProxyIdentity.get(key(smartProxyId, identity));
        if (!host || host.asked || (host.state !== 'running' && host.state !== 'pending')) continue;
        host.asked = true;
        moved.push(host.rowId);
      }
      if (moved.length === 0) return;
      queuedSent.push({ rowIds: moved, at });
      schedule();
    },

    /**
     * Records a host's final outcome. Returns false when the host is unknown or already final (a
     * duplicate or late result), which is then dropped. `proxySequence` advances that proxy's cursor
     * even for dropped events so that a re-attach does not fetch them again.
     */
    record(target: { rowId: number } | { smartProxyId: number; identity: string }, outcome: HostOutcome, cursor?: { smartProxyId: number; sequence: number }): boolean {
      if (cursor) queueCursor(cursor);
      const host = 'rowId' in target ? byRow.get(target.rowId) : byProxyIdentity.get(key(target.smartProxyId, target.identity));
      if (!host || !canTransition(host.state, outcome.state)) {
        if (cursor) schedule();
        return false;
      }
      noteFrom(host.rowId, host.state);
      counts = applyTransitions(counts, [{ from: host.state, to: outcome.state }]);
      host.state = outcome.state;
      if (outcome.sentAt) host.asked = true;
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
        sentAt: outcome.sentAt ?? null,
      });
      schedule();
      return true;
    },

    /** Moves a proxy's cursor past an event that changes no host state (started, sent, summary). */
    advance(cursor: { smartProxyId: number; sequence: number }, flags?: { reportsSent?: boolean }): void {
      queueCursor(cursor, flags);
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
      queuedSent = [];
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
    /** Hosts of one proxy, whatever their state. */
    hostsOf: (smartProxyId: number): TrackedHost[] => [...byRow.values()].filter((h) => h.smartProxyId === smartProxyId),
  };
}

export type ResultWriter = ReturnType<typeof createResultWriter>;
