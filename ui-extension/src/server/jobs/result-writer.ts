import type { HostCounts, HostState } from '@common/jobs';
import type { Logger } from '../logger';
import { canTransition } from './host-states';
import type { HostOutcome, HostResultWrite, ResultBatch, ResultBatchStore, StreamCursor, TrackedHost } from './result-batch';
import { trackedRows } from './tracked-rows';

export type { HostOutcome, HostResultWrite, ResultBatch, ResultBatchStore, StreamCursor, TrackedHost } from './result-batch';

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

/** Moves `n` hosts between two counts in place; throws when a count would go negative (a bookkeeping bug). */
function move(counts: HostCounts, from: HostState, to: HostState, n: number): void {
  if (counts[from] < n) throw new Error(`host count for ${from} went negative`);
  counts[from] -= n;
  counts[to] += n;
}

/**
 * Collects host state changes of one job and writes them in batches: at most `batchSize` rows per
 * flush, at most `flushMs` after the first queued change. It is the only writer of a job's host rows
 * while the job runs, so its in-memory view of each host's state is authoritative, and counts are
 * derived from transitions instead of being re-counted from the database.
 */
export function createResultWriter(options: ResultWriterOptions) {
  const { rows, byRow, where: hostsWhere, queue } = trackedRows(options.hosts);
  // Per proxy, then identity: a result's lookup hashes its identity alone (no key string built per result).
  const byProxy = new Map<number | null, Map<string, TrackedHost>>();
  for (const h of rows) {
    let names = byProxy.get(h.smartProxyId);
    if (!names) byProxy.set(h.smartProxyId, (names = new Map()));
    names.set(h.hostName, h);
  }
  const byIdentity = (smartProxyId: number, identity: string) => byProxy.get(smartProxyId)?.get(identity);
  // `committed*` is what the database holds; `counts`/`eventSeq` already include queued changes.
  // Both move in place, once per host change (issue #20: no object per change).
  const counts = { ...options.counts };
  let eventSeq = options.lastEventSeq;
  // Queued changes by row, in arrival order: a result folds in its host's unwritten `running` and
  // `sent` (the row ends the same, in one write instead of three when the database lags behind).
  // A queued running row's state before it is always pending (canTransition): presence is enough.
  let queuedRunning = queue<true>();
  let queuedSent = queue<Date>();
  let queuedResults: HostResultWrite[] = [];
  // The state each queued result moves its row from, as the database holds it (index for index).
  let queuedFrom: HostState[] = [];
  let queuedCursors = new Map<number, StreamCursor>();
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  let discarded = false;
  const lowWaiters: Array<() => void> = [];
  const wakeLow = (all: boolean) => (all || queuedResults.length <= 2 * options.batchSize) && lowWaiters.splice(0).forEach((resolve) => resolve());
  const queuedSize = () => queuedRunning.size + queuedSent.size + queuedResults.length;

  function queueCursor(cursor: { smartProxyId: number; sequence: number }, flags?: { reportsSent?: boolean }): void {
    const known = queuedCursors.get(cursor.smartProxyId);
    queuedCursors.set(cursor.smartProxyId, {
      smartProxyId: cursor.smartProxyId,
      lastSequence: Math.max(known?.lastSequence ?? 0, cursor.sequence),
      ...((known?.reportsSent || flags?.reportsSent) ? { reportsSent: true } : {}),
    });
  }

  /** Up to `budget` queued running rows, oldest first. */
  function takeRunning(budget: number): number[] {
    const taken: number[] = [];
    for (const [rowId] of queuedRunning) {
      if (taken.length >= budget) break;
      taken.push(rowId);
    }
    for (const rowId of taken) queuedRunning.delete(rowId);
    return taken;
  }

  /** Up to `budget` rows of the queued HostsSent, oldest first, in groups of one sent time. */
  function takeSent(budget: number): Array<{ rowIds: number[]; at: Date }> {
    const taken: Array<{ rowIds: number[]; at: Date }> = [];
    let n = 0;
    for (const [rowId, at] of queuedSent) {
      if (n >= budget) break;
      const last = taken[taken.length - 1];
      if (last && last.at.getTime() === at.getTime()) last.rowIds.push(rowId);
      else taken.push({ rowIds: [rowId], at });
      n += 1;
    }
    for (const group of taken) for (const rowId of group.rowIds) queuedSent.delete(rowId);
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
    // Results first: a host's queued running and HostsSent then ride on its result (one write, not
    // three) while they wait; either write alone of a row with a queued result is gone (record()).
    const results = queuedResults.splice(0, options.batchSize);
    const froms = queuedFrom.splice(0, results.length);
    const running = takeRunning(options.batchSize - results.length);
    const sent = takeSent(options.batchSize - results.length - running.length);
    // Cursors only when every queued change went out, or a cursor could pass an event not yet written
    // (a HostsSent too: a restart would then take asked hosts for never asked).
    const drained = queuedSize() === 0;
    const streams = drained ? [...queuedCursors.values()] : [];
    if (drained) queuedCursors = new Map();
    const lastEventSeq = results.length > 0 ? results[results.length - 1].eventSeq : committedEventSeq;
    const batch: ResultBatch = { jobId: options.jobId, running, sent, results, counts: countsAfter(running.length, froms, results), lastEventSeq, streams, now: options.clock() };
    committedEventSeq = lastEventSeq;
    return batch;
  }

  // Counts as of a batch: what was committed plus exactly the changes in that batch.
  const committedCounts = { ...options.counts };
  let committedEventSeq = options.lastEventSeq;
  function countsAfter(running: number, froms: HostState[], results: HostResultWrite[]): HostCounts {
    if (running > 0) move(committedCounts, 'pending', 'running', running);
    for (let i = 0; i < results.length; i++) move(committedCounts, froms[i], results[i].state, 1);
    return { ...committedCounts };
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
          wakeLow(false);
        } catch (error) {
          failure = error as Error;
          wakeLow(true);
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
        const host = byRow(rowId);
        if (!host || !canTransition(host.state, 'running')) continue;
        move(counts, host.state, 'running', 1);
        host.state = 'running';
        queuedRunning.set(rowId, true);
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
        const host = byIdentity(smartProxyId, identity);
        if (!host || host.asked || (host.state !== 'running' && host.state !== 'pending')) continue;
        host.asked = true;
        moved.push(host.rowId);
      }
      if (moved.length === 0) return;
      for (const rowId of moved) queuedSent.set(rowId, at);
      schedule();
    },

    /**
     * Records a host's final outcome. Returns false when the host is unknown or already final (a
     * duplicate or late result), which is then dropped. `proxySequence` advances that proxy's cursor
     * even for dropped events so that a re-attach does not fetch them again.
     */
    record(target: { rowId: number } | { smartProxyId: number; identity: string }, outcome: HostOutcome, cursor?: { smartProxyId: number; sequence: number }): boolean {
      if (cursor) queueCursor(cursor);
      const host = 'rowId' in target ? byRow(target.rowId) : byIdentity(target.smartProxyId, target.identity);
      if (!host || !canTransition(host.state, outcome.state)) {
        if (cursor) schedule();
        return false;
      }
      // An unwritten `running` is dropped: the batch's counts then move the host from its state before (pending).
      queuedFrom.push(queuedRunning.delete(host.rowId) ? 'pending' : host.state);
      // An unwritten HostsSent rides on the result: its time is what started_at would have held.
      const sentAt = queuedSent.get(host.rowId) ?? outcome.sentAt ?? null;
      queuedSent.delete(host.rowId);
      move(counts, host.state, outcome.state, 1);
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
        sentAt,
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
      wakeLow(true);
      if (timer) clearTimeout(timer);
      timer = undefined;
      queuedRunning = queue();
      queuedSent = queue();
      queuedResults = [];
      queuedFrom = [];
      queuedCursors = new Map();
    },

    /** Writes everything queued; rejects if any write failed. */
    async flush(): Promise<void> {
      await flush();
      if (failure) throw failure;
    },

    /** With 4 batches of results queued, settles at 2 left (or the writer stopped): streams wait on it, refilling while results remain, so `running` rides on them. */
    backlog(): Promise<void> | undefined {
      if (discarded || failure || queuedResults.length < 4 * options.batchSize) return undefined;
      schedule();
      return new Promise((resolve) => lowWaiters.push(resolve));
    },

    /** Counts including queued changes. */
    counts: (): HostCounts => ({ ...counts }),
    /** Hosts of one proxy (or of none) that are not final yet. */
    unfinished: (smartProxyId?: number | null): TrackedHost[] => hostsWhere((h) => (smartProxyId === undefined || h.smartProxyId === smartProxyId) && (h.state === 'pending' || h.state === 'running')),
    host: byRow,
    /** Hosts of one proxy, whatever their state. */
    hostsOf: (smartProxyId: number): TrackedHost[] => hostsWhere((h) => h.smartProxyId === smartProxyId),
  };
}

export type ResultWriter = ReturnType<typeof createResultWriter>;
