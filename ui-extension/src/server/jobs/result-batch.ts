import type { HostCounts, HostState } from '@common/jobs';
import type { Logger } from '../logger';

/* What the result writer (result-writer.ts) tracks, queues and hands to its store. */

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

/** Hosts sent at one time (HostsSent), and whether their queued running rides on the same write. */
export interface SentGroup {
  rowIds: number[];
  at: Date;
  running?: true;
}

/** Everything one flush changes, committed in one transaction. */
export interface ResultBatch {
  jobId: number;
  /** Hosts handed to a proxy: state running (not yet asked: that is `sent`). */
  running: number[];
  /**
   * Hosts the proxy says it sent (HostsSent): started_at = the time it sent them. A group marked
   * `running` also moves its hosts pending -> running (their running was still queued): one row
   * write instead of two; they are not in `running`.
   */
  sent: SentGroup[];
  results: HostResultWrite[];
  counts: HostCounts;
  lastEventSeq: number;
  /** Proxy stream cursors recorded with the results they cover. */
  streams: StreamCursor[];
  /** The instance that must still hold the job's lease, the job still running, for anything of the batch to be written. */
  leaseOwner: string;
  now: Date;
}

/** Hosts about to be sent, to be stored running only while the job may still send (result-writer.ts admit). */
export interface HostAdmission {
  jobId: number;
  rowIds: number[];
  /** The job's counts with these hosts running. */
  counts: HostCounts;
  /** The instance that must still hold the job's lease. */
  leaseOwner: string;
  now: Date;
}

export interface ResultBatchStore {
  /**
   * Writes the batch in one transaction and bumps the job's version once; resolves the new version, or
   * null (nothing written) when the job no longer runs or its lease is no longer `batch.leaseOwner`'s:
   * another instance took it over and gets the batch's events again from the proxy streams, whose
   * cursors did not move either.
   */
  commitResultBatch(batch: ResultBatch): Promise<number | null>;
  /**
   * Stores the hosts running in one transaction with the check that the job still runs here, is not
   * paused, not cancelled and not stopped; resolves the new version, or null (nothing written) when it
   * may not send. Needed by rollouts only (rollout-runner.ts).
   */
  admitHosts?(admission: HostAdmission): Promise<number | null>;
}

/** What a result writer (result-writer.ts) is made with. */
export interface ResultWriterOptions {
  jobId: number;
  hosts: TrackedHost[];
  counts: HostCounts;
  lastEventSeq: number;
  store: ResultBatchStore;
  /** This instance, which must still hold the job's lease for a batch to be written (ResultBatch.leaseOwner). */
  leaseOwner: string;
  clock: () => Date;
  logger: Logger;
  /** Rows per flush; limits.md: 500-row statements are the sweet spot on both databases. */
  batchSize: number;
  /** Longest a result waits in memory before it is written. */
  flushMs: number;
  /**
   * How long a HostsSent waits for its host's result to carry it (0: written with the next flush). Most
   * replies come within it, and the result's row write then stores started_at too: one row write less
   * per host (issue #20). Held marks are in memory only, as queued ones always were: the proxy still has
   * the events, and no cursor passes them until they are written, so a restart fetches them again. A
   * running is never held: a host handed out reads running within flushMs, as the counts say.
   */
  sentHoldMs?: number;
  /** Called after each committed batch, e.g. to wake long polls. */
  onCommitted: (version: number, batch: ResultBatch) => void;
  /**
   * Called once when a write fails (the database went away, say). The writer then holds a batch the
   * database may or may not have: the owner must drop it and resume from the stored rows.
   */
  onFailed?: (error: Error) => void;
  /**
   * Called once when the store refused a batch because the job is no longer this instance's (another
   * took it over, or it ended). The writer has then dropped everything queued and writes nothing more;
   * nothing of the refused batch was written, its cursors included, so the new owner replays it from
   * the proxy streams. The owner must stop running the job; awaited flushes reject with LeaseLostError.
   */
  onLost?: () => void;
}

/** Queued rows with a value each, oldest first (tracked-rows.ts RowQueue). */
interface QueuedRows<V> {
  [Symbol.iterator](): Iterator<[number, V]>;
  get(rowId: number): V | undefined;
  delete(rowId: number): boolean;
}

/**
 * A running or HostsSent change is one row id in an `UPDATE ... WHERE id IN (...)`, not a row of
 * data: it weighs a tenth of a result in a batch's `batchSize`. One IN of 5,000 ids costs MariaDB
 * about what ten of 500 do, and each batch is a transaction, a commit and a long-poll wake-up
 * (issue #20: a 10k-host job's "running" and HostsSent took 20 transactions, now 2 a proxy).
 * At most 5,000 ids a batch, well inside SQLite's bound-parameter limit.
 */
export const ID_ROWS_PER_RESULT = 10;
/**
 * A job's HostsSent marks wait this many flush intervals for their results (ResultWriterOptions.sentHoldMs):
 * 500 ms at the default 50 ms, longer than most replies take (a Choria ping, a package status) and short
 * beside a run of minutes, whose marks are then written alone as before.
 */
export const SENT_HOLD_FLUSHES = 10;
export const MAX_ID_ROWS_PER_BATCH = 5_000;

/** How many running/HostsSent row ids a batch with `resultSlots` free result rows takes. */
export function idRowBudget(resultSlots: number): number {
  return Math.min(MAX_ID_ROWS_PER_BATCH, Math.max(0, resultSlots) * ID_ROWS_PER_RESULT);
}

/** The batch slots queued changes fill: results one each, row ids a tenth each (rounded up). */
export function queuedSlots(results: number, idRows: number): number {
  return results + Math.ceil(idRows / ID_ROWS_PER_RESULT);
}

/**
 * Up to `budget` rows of queued running and HostsSent, running first, oldest first, taken out of their
 * queues. A row queued in both (its HostsSent came before its running was written) is one write of
 * both, in a sent group marked running: on MariaDB the statement that sets started_at visits the row
 * anyway (a row that grows is rewritten), and the state moves with it for ~10-30% less than two
 * statements (issue #20). Its running is never written after its sent time on its own, nor dropped.
 */
export function takeRunningAndSent(running: QueuedRows<unknown>, sent: QueuedRows<Date>, budget: number, due?: (at: Date) => boolean): { running: number[]; sent: SentGroup[] } {
  const alone: number[] = [];
  const both: SentGroup[] = [];
  let n = 0;
  for (const [rowId] of running) {
    if (n >= budget) break;
    n += 1;
    const at = sent.get(rowId);
    if (at === undefined) {
      alone.push(rowId);
      continue;
    }
    const last = both[both.length - 1];
    if (last && last.at.getTime() === at.getTime()) last.rowIds.push(rowId);
    else both.push({ rowIds: [rowId], at, running: true });
  }
  for (const rowId of alone) running.delete(rowId);
  for (const group of both) {
    for (const rowId of group.rowIds) {
      running.delete(rowId);
      sent.delete(rowId);
    }
  }
  return { running: alone, sent: both.concat(takeSentGroups(sent, budget - n, due)) };
}

/**
 * Up to `budget` rows of queued HostsSent, oldest first, in groups of one sent time, taken out of the
 * queue; with `due`, only those of the oldest events it accepts (the queue is in arrival order).
 */
export function takeSentGroups(queued: QueuedRows<Date>, budget: number, due?: (at: Date) => boolean): SentGroup[] {
  const taken: SentGroup[] = [];
  let n = 0;
  for (const [rowId, at] of queued) {
    if (n >= budget || (due && !due(at))) break;
    const last = taken[taken.length - 1];
    if (last && last.at.getTime() === at.getTime()) last.rowIds.push(rowId);
    else taken.push({ rowIds: [rowId], at });
    n += 1;
  }
  for (const group of taken) for (const rowId of group.rowIds) queued.delete(rowId);
  return taken;
}

/**
 * A result writer's batch was refused: the job is no longer this instance's (its lease went to another
 * instance, or the job ended). Nothing of the batch was written; the writer wrote its last batch.
 */
export class LeaseLostError extends Error {
  constructor(readonly jobId: number) {
    super(`job ${jobId}: this instance no longer holds the job's lease (another instance took it over); nothing more of its results is written here`);
    this.name = 'LeaseLostError';
  }
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

/**
 * When each held HostsSent event came (ResultWriterOptions.sentHoldMs), by its Date: one per event, not
 * per host. The writer's queue is in arrival order, so the due marks are its oldest.
 */
export function heldMarks(holdMs: number) {
  const arrivals = new WeakMap<Date, number>();
  const arrival = (at: Date): number => arrivals.get(at) ?? -Infinity;
  const waitFor = (at: Date): number => Math.max(1, Math.ceil(arrival(at) + holdMs - performance.now()));
  return {
    holdMs,
    hold: (at: Date): void => void arrivals.set(at, performance.now()),
    /** Milliseconds until the oldest mark of the queue is due; undefined when none is queued. */
    nextWait(queue: QueuedRows<Date>): number | undefined {
      const oldest = queue[Symbol.iterator]().next();
      return oldest.done ? undefined : waitFor(oldest.value[1]);
    },
    /** Accepts the marks due now; undefined when nothing is held. */
    due(): ((at: Date) => boolean) | undefined {
      const cutoff = performance.now() - holdMs;
      return holdMs > 0 ? (at) => arrival(at) <= cutoff : undefined;
    },
  };
}

/** Merges a cursor into the queued one of its proxy: the furthest sequence, and reportsSent once seen. */
export function mergeCursor(queued: Map<number, StreamCursor>, cursor: { smartProxyId: number; sequence: number }, flags?: { reportsSent?: boolean }): void {
  const known = queued.get(cursor.smartProxyId);
  queued.set(cursor.smartProxyId, {
    smartProxyId: cursor.smartProxyId,
    lastSequence: Math.max(known?.lastSequence ?? 0, cursor.sequence),
    ...((known?.reportsSent || flags?.reportsSent) ? { reportsSent: true } : {}),
  });
}
