import type { HostCounts, HostState } from '@common/jobs';
import { canTransition, moveCounts as move } from './host-states';
import { heldMarks, idRowBudget, LeaseLostError, mergeCursor, queuedSlots, takeRunningAndSent, type HostOutcome, type HostResultWrite, type ResultBatch, type ResultWriterOptions, type StreamCursor, type TrackedHost } from './result-batch';
import { trackedRows } from './tracked-rows';

export { LeaseLostError, SENT_HOLD_FLUSHES } from './result-batch';
export type { HostAdmission, HostOutcome, HostResultWrite, ResultBatch, ResultBatchStore, ResultWriterOptions, StreamCursor, TrackedHost } from './result-batch';

/**
 * Collects host state changes of one job and writes them in batches: at most `batchSize` rows per
 * flush, at most `flushMs` after the first queued change (a HostsSent alone: `sentHoldMs` after it).
 * It is the only writer of a job's host rows while the job runs, so its in-memory view of each host's
 * state is authoritative, and counts are derived from transitions instead of being re-counted.
 */
export function createResultWriter(options: ResultWriterOptions) {
  const { byRow, byIdentity, where: hostsWhere, queue } = trackedRows(options.hosts);
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
  // Admissions (admit) waiting for the commit in flight: each is committed next, ahead of queued results.
  const admissions: Array<{ run: () => Promise<void>; refuse: (error?: Error) => void }> = [];
  let timer: NodeJS.Timeout | undefined;
  // Apart from `timer`, so that a change queued meanwhile is still written within flushMs.
  let heldTimer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  let discarded = false;
  const lowWaiters: Array<() => void> = [];
  const wakeLow = (all: boolean) => (all || queuedResults.length <= 2 * options.batchSize) && lowWaiters.splice(0).forEach((resolve) => resolve());
  const queuedSize = () => queuedSlots(queuedResults.length, queuedRunning.size + queuedSent.size);
  // HostsSent marks wait for their results to carry them (ResultWriterOptions.sentHoldMs): they do not
  // hurry a flush, and a flush takes only those due; with nothing else to write, a timer for the oldest.
  const held = heldMarks(options.sentHoldMs ?? 0);
  const urgentSize = () => (held.holdMs > 0 ? queuedSlots(queuedResults.length, queuedRunning.size) : queuedSize());
  function awaitHeld(): void {
    const wait = held.nextWait(queuedSent);
    if (wait !== undefined && !discarded && !heldTimer) heldTimer = setTimeout(() => ((heldTimer = undefined), background()), wait);
  }

  const queueCursor = (cursor: { smartProxyId: number; sequence: number }, flags?: { reportsSent?: boolean }) => mergeCursor(queuedCursors, cursor, flags);

  function schedule(): void {
    if (discarded) return;
    if (urgentSize() >= options.batchSize) {
      background();
      return;
    }
    if (!timer) timer = setTimeout(() => ((timer = undefined), background()), options.flushMs);
  }

  /** The next batch; `all` takes held marks too (an awaited flush). */
  function take(all: boolean): ResultBatch | undefined {
    if (queuedSize() === 0 && queuedCursors.size === 0) return undefined;
    // Results first: a host's queued running and HostsSent ride on its result (one write, not three).
    const results = queuedResults.splice(0, options.batchSize);
    const froms = queuedFrom.splice(0, results.length);
    const { running, sent } = takeRunningAndSent(queuedRunning, queuedSent, idRowBudget(options.batchSize - results.length), all ? undefined : held.due());
    // Cursors only when every queued change went out, or a cursor could pass an event not yet written
    // (a HostsSent too: a restart would then take asked hosts for never asked).
    const drained = queuedSize() === 0;
    const streams = drained ? [...queuedCursors.values()] : [];
    if (results.length === 0 && running.length === 0 && sent.length === 0 && streams.length === 0) return undefined;
    if (drained) queuedCursors = new Map();
    const lastEventSeq = results.length > 0 ? results[results.length - 1].eventSeq : committedEventSeq;
    const moved = sent.reduce((n, g) => n + (g.running ? g.rowIds.length : 0), running.length);
    const batch: ResultBatch = { jobId: options.jobId, running, sent, results, counts: countsAfter(moved, froms, results), lastEventSeq, streams, leaseOwner: options.leaseOwner, now: options.clock() };
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
  const background = (): void => void flush(false).catch(() => undefined);

  function flush(all: boolean): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    chain = chain.then(async () => {
      for (;;) {
        if (discarded || failure) return admissions.splice(0).forEach((a) => a.refuse(failure));
        const admission = admissions.shift();
        if (admission) await admission.run();
        if (admission) continue;
        const batch = take(all);
        if (!batch) return awaitHeld();
        try {
          const version = await options.store.commitResultBatch(batch);
          if (version === null) {
            // Not ours any more: stop at once, never retry (the row will not come back to us by waiting).
            failure = new LeaseLostError(options.jobId);
            drop();
            options.logger.warn({ jobId: options.jobId }, 'the job is no longer this instance\'s (another took it over, or it ended); its results are written there, not here');
            options.onLost?.();
            return;
          }
          options.onCommitted(version, batch);
          wakeLow(false);
        } catch (error) {
          failure = error as Error;
          admissions.splice(0).forEach((a) => a.refuse(failure));
          wakeLow(true);
          options.logger.warn({ err: error, jobId: options.jobId }, 'writing host results failed');
          options.onFailed?.(failure);
          throw error;
        }
      }
    });
    return chain;
  }

  /** Drops everything queued and stops writing: admissions waiting are refused (held), not failed. */
  function drop(): void {
    discarded = true;
    admissions.splice(0).forEach((a) => a.refuse());
    wakeLow(true);
    [timer, heldTimer].forEach(clearTimeout);
    timer = heldTimer = undefined;
    queuedRunning = queue();
    queuedSent = queue();
    queuedResults = [];
    queuedFrom = [];
    queuedCursors = new Map();
  }

  return {
    /**
     * Hosts sent to a proxy. Only pending hosts move; returns the rows that did. Never held: a host handed
     * out reads running within flushMs (a cancel's answer, the job page), as the counts say.
     */
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
     * Stores pending hosts running before their request goes out, in one transaction with the check
     * that the job may still send (ResultBatchStore.admitHosts): resolves false, and leaves them pending,
     * when it may not (paused, cancelled, stopped, no longer ours). Committed right after the write in
     * flight, ahead of queued results, so that a batch still overlaps the writes of the one before.
     */
    admit(rowIds: number[], leaseOwner: string): Promise<boolean> {
      return new Promise((resolve, reject) => {
        const refuse = (error?: Error) => (error ? reject(error) : resolve(false));
        if (discarded || failure) return refuse(failure);
        const run = async () => {
          try {
            const hosts = [...new Set(rowIds)].map((rowId) => byRow(rowId)).filter((h): h is TrackedHost => h?.state === 'pending');
            const after = { ...committedCounts };
            move(after, 'pending', 'running', hosts.length);
            const admission = { jobId: options.jobId, rowIds: hosts.map((h) => h.rowId), counts: after, leaseOwner, now: options.clock() };
            if (!options.store.admitHosts) throw new Error('this result store cannot admit hosts');
            const version = await options.store.admitHosts(admission);
            if (version === null) return resolve(false);
            // Callers admit hosts before anything else can touch them; if something did meanwhile, the
            // counts here no longer match the database: fail loudly (the owner resumes from stored rows).
            if (hosts.some((h) => h.state !== 'pending')) throw new Error('hosts changed while being admitted');
            move(committedCounts, 'pending', 'running', hosts.length);
            move(counts, 'pending', 'running', hosts.length);
            for (const h of hosts) h.state = 'running';
            options.onCommitted(version, { jobId: options.jobId, running: admission.rowIds, sent: [], results: [], counts: after, lastEventSeq: committedEventSeq, streams: [], leaseOwner: options.leaseOwner, now: admission.now });
            resolve(true);
          } catch (error) {
            failure = error as Error;
            options.logger.warn({ err: error, jobId: options.jobId }, 'admitting hosts failed');
            options.onFailed?.(failure);
            reject(failure);
          }
        };
        admissions.push({ run, refuse });
        background();
      });
    },

    /**
     * Hosts the proxy says it sent (a HostsSent event): from now on they count as asked, and
     * started_at says when. Final hosts and hosts already asked are left alone. A pending host (a
     * replay after a restart, its running never stored) is running too, in the same row write: an
     * asked host is never stored pending, or a later restart would take it for never handed out.
     */
    markSent(smartProxyId: number, identities: readonly string[], at: Date): void {
      const moved: number[] = [];
      held.hold(at);
      for (const identity of identities) {
        const host = byIdentity(smartProxyId, identity);
        if (!host || host.asked || (host.state !== 'running' && host.state !== 'pending')) continue;
        host.asked = true;
        if (host.state === 'pending') {
          move(counts, 'pending', 'running', 1);
          host.state = 'running';
          queuedRunning.set(host.rowId, true);
        }
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

    /** Drops everything queued and writes nothing more, as a crash would: no cursor passed what is dropped. */
    discard: (): void => drop(),

    /** Writes everything queued; rejects if any write failed. */
    async flush(): Promise<void> {
      await flush(true);
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
