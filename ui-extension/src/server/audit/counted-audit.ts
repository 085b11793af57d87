import type { Logger } from '../logger';
import type { AuditEntry, AuditService } from './audit.service';

/**
 * Audit entries counted per minute instead of written one row per event, so that a storm (of
 * guessed passwords, of refused requests) cannot flood the audits table, while the counts of all
 * entries still add up to the events. The mechanism behind login-failure-audit.ts and
 * denial-audit.ts; docs/SECURITY.md describes both.
 *
 * Events of one minute with the same `group` and `subject` share a group. The first event of a
 * group is written at once with `count: 1` (an administrator sees it as it happens); the others of
 * that minute follow as one entry with their `count`, `first_at` and `last_at` when the minute is
 * over (or when the instance stops). One `bucket` (a client address, a user) gets groups of their
 * own for at most `maxSubjectsPerBucket` subjects a minute; events with further subjects are
 * counted together in one group without a subject (`own: false`), so made-up subjects (login
 * names, routes) cannot multiply the rows either. The minute's remainder lives in this instance's
 * memory until it is written: a crash loses at most that (the first entry of a group is written).
 */
export interface CountedEvent {
  /** What the events of a group share besides their subject (e.g. action, method and address). */
  group: string;
  /** What the per-minute cap on subjects counts against (e.g. the client address, the user). */
  bucket: string;
  /** What gets a group of its own while its bucket has room (e.g. the login name, the route). */
  subject: string;
  /**
   * The subject always gets a group of its own and does not count against its bucket's cap (a
   * login naming a real user: an attack on one account must not hide behind a spray of made-up names).
   */
  alwaysOwn?: boolean;
  /** Why it happened; each entry counts its events per reason. */
  reason: string;
  requestId: string | null;
}

/** What an entry counts: `first_at` and `last_at` only on a remainder entry. */
export interface Tally {
  count: number;
  reasons: Record<string, number>;
  first_at?: string;
  last_at?: string;
}

export interface CountedAuditOptions<E extends CountedEvent> {
  audit: AuditService;
  clock: () => Date;
  logger: Logger;
  /** The audit action, for the log line of a failed write. */
  name: string;
  maxSubjectsPerBucket: number;
  /** Groups kept in memory at most; more write everything pending at once. */
  maxGroups?: number;
  /** Distinct reasons an entry names; further ones are counted under `other reasons`. */
  maxReasons?: number;
  /**
   * The audit entry of a group. `sample` is the group's first event (merged with later ones by
   * `merge`), `own` false for the shared group of a bucket's subjects beyond the cap.
   */
  entry(sample: E, own: boolean, tally: Tally, requestId: string | null): AuditEntry;
  /** Updates a group's sample with a later event of it (e.g. a user id learnt later). */
  merge?(sample: E, next: E): E;
  /** Called once per group as it opens (a log line per group: a storm must not flood the journal either). */
  onOpen?(event: E, own: boolean): void;
}

interface Group<E> {
  minute: number;
  sample: E;
  own: boolean;
  pending: number;
  reasons: Record<string, number>;
  firstAt: Date | null;
  lastAt: Date | null;
}

const MINUTE_MS = 60_000;
export const OTHER_REASONS = 'other reasons';

export function createCountedAudit<E extends CountedEvent>(options: CountedAuditOptions<E>) {
  const { audit, clock, logger } = options;
  const maxGroups = options.maxGroups ?? 20_000;
  const maxReasons = options.maxReasons ?? 20;
  const groups = new Map<string, Group<E>>();
  /** Subjects seen per minute and bucket, to cap the groups of one bucket. */
  const subjectsByBucket = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  function countReason(reasons: Record<string, number>, reason: string, n = 1): void {
    const key = reason in reasons || Object.keys(reasons).length < maxReasons ? reason : OTHER_REASONS;
    reasons[key] = (reasons[key] ?? 0) + n;
  }

  async function writePending(group: Group<E>): Promise<void> {
    if (group.pending === 0) return;
    const count = group.pending;
    const reasons = group.reasons;
    group.pending = 0;
    group.reasons = {};
    try {
      await audit.record(options.entry(group.sample, group.own, { count, reasons, first_at: group.firstAt?.toISOString(), last_at: group.lastAt?.toISOString() }, null));
    } catch (error) {
      // Counted again for the next try rather than lost.
      group.pending += count;
      for (const [r, n] of Object.entries(reasons)) countReason(group.reasons, r, n);
      throw error;
    }
  }

  /** Writes the remainder of every group of a finished minute (all groups when `all`). */
  async function flush(all = false): Promise<void> {
    const current = Math.floor(clock().getTime() / MINUTE_MS);
    const run = flushing.then(async () => {
      for (const [key, group] of [...groups]) {
        if (!all && group.minute >= current) continue;
        try {
          await writePending(group);
          // An event counted while the entry was written stays for the next flush.
          if (group.pending === 0) groups.delete(key);
        } catch (error) {
          logger.error({ err: error, action: options.name }, 'counted audit write failed; kept for the next try');
        }
      }
      for (const key of [...subjectsByBucket.keys()]) {
        if (all || Number(key.split('|')[0]) < current) subjectsByBucket.delete(key);
      }
    });
    flushing = run.catch(() => undefined);
    await run;
    schedule();
  }

  function schedule(): void {
    if (timer || ![...groups.values()].some((g) => g.pending > 0)) return;
    const now = clock().getTime();
    const wait = (Math.floor(now / MINUTE_MS) + 1) * MINUTE_MS - now + 1000;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, wait);
    timer.unref();
  }

  return {
    /** Counts one event; writes an entry at once when it opens a group. */
    async record(event: E): Promise<void> {
      const now = clock();
      const minute = Math.floor(now.getTime() / MINUTE_MS);
      const bucketKey = `${minute}|${event.bucket}`;
      let subjects = subjectsByBucket.get(bucketKey);
      if (!subjects) subjectsByBucket.set(bucketKey, (subjects = new Set()));
      if (!event.alwaysOwn && !subjects.has(event.subject) && subjects.size < options.maxSubjectsPerBucket) subjects.add(event.subject);
      const own = event.alwaysOwn === true || subjects.has(event.subject);
      const key = JSON.stringify([minute, event.group, own ? event.subject : null]);
      const group = groups.get(key);
      if (group) {
        group.pending += 1;
        countReason(group.reasons, event.reason);
        group.firstAt ??= now;
        group.lastAt = now;
        if (options.merge) group.sample = options.merge(group.sample, event);
        schedule();
        return;
      }
      const opened: Group<E> = { minute, sample: event, own, pending: 0, reasons: {}, firstAt: null, lastAt: null };
      groups.set(key, opened);
      options.onOpen?.(event, own);
      if (groups.size > maxGroups) void flush(true).catch(() => undefined);
      await audit.record(options.entry(event, own, { count: 1, reasons: { [event.reason]: 1 } }, event.requestId));
    },

    /** Writes the remainder of finished minutes; `all` writes every group (shutdown, tests). */
    flush,

    /** Writes everything pending and stops the timer (the server's close). */
    async close(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await flush(true);
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

export type CountedAudit<E extends CountedEvent> = ReturnType<typeof createCountedAudit<E>>;
