import type { Logger } from '../logger';
import type { AuditService } from './audit.service';

/**
 * Failed and refused logins in the audit trail, counted instead of written one row each, so that a
 * storm of guesses cannot flood the audits table (a review sent 300 and found 10 audited, the rest
 * dropped by the old one-entry-per-lockout rule).
 *
 * Attempts are grouped per minute by action (`login_failed` / `login_blocked`), method, client
 * address and login name. The first attempt of a group is written at once with `count: 1` (an
 * administrator sees a failure as it happens); the others of that minute follow as one entry with
 * their `count` when the minute is over (or when the instance stops). So the counts of all entries
 * add up to the attempts made, whatever the storm. One address gets its own entries for at most
 * `maxLoginsPerAddress` unknown login names a minute; attempts with further names are counted
 * together under no login (`other_logins: true`), so made-up names cannot multiply the rows either.
 * A login naming a user always keeps its own entries.
 * The minute's remainder lives in this instance's memory until it is written: a crash loses at
 * most that (the first entry of each group is already written).
 */
export interface LoginFailure {
  action: 'login_failed' | 'login_blocked';
  /** The login name as sent (clipped to 100 characters by the audit). */
  login: string;
  /** The user it names, when it names one. */
  userId: number | null;
  address: string | null;
  /** `password` (HTTP Basic), `session` (web UI), `token` (personal access token), `current_password` (password change). */
  method: string;
  /** Why it failed (`wrong password`, `unknown user`, ...) or which limit refused it (`login_address limit`). */
  reason: string;
  requestId: string | null;
}

interface Group {
  minute: number;
  action: LoginFailure['action'];
  method: string;
  address: string | null;
  /** Null for the group of an address's names beyond the per-address limit. */
  login: string | null;
  userId: number | null;
  pending: number;
  reasons: Record<string, number>;
  firstAt: Date | null;
  lastAt: Date | null;
}

export interface LoginFailureAuditOptions {
  audit: AuditService;
  clock: () => Date;
  logger: Logger;
  maxLoginsPerAddress?: number;
  /** Groups kept in memory at most; more write everything pending at once. */
  maxGroups?: number;
}

const MINUTE_MS = 60_000;

export function createLoginFailureAudit(options: LoginFailureAuditOptions) {
  const { audit, clock, logger } = options;
  const maxLogins = options.maxLoginsPerAddress ?? 20;
  const maxGroups = options.maxGroups ?? 20_000;
  const groups = new Map<string, Group>();
  /** Login names seen per minute and address, to cap the groups of one address. */
  const namesByAddress = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  function entryFor(group: Group, count: number, reasons: Record<string, number>, extra: Record<string, unknown>, requestId: string | null) {
    return {
      user: group.login === null ? null : { id: group.userId, login: group.login },
      action: group.action,
      object: { type: 'User', id: group.userId, name: group.login },
      changes: { method: group.method, count, reasons, ...extra },
      source: group.address,
      requestId,
    };
  }

  async function writePending(group: Group): Promise<void> {
    if (group.pending === 0) return;
    const count = group.pending;
    const reasons = group.reasons;
    const extra: Record<string, unknown> = { first_at: group.firstAt?.toISOString(), last_at: group.lastAt?.toISOString() };
    if (group.login === null) extra.other_logins = true;
    group.pending = 0;
    group.reasons = {};
    try {
      await audit.record(entryFor(group, count, reasons, extra, null));
    } catch (error) {
      // Counted again for the next try rather than lost.
      group.pending += count;
      for (const [r, n] of Object.entries(reasons)) group.reasons[r] = (group.reasons[r] ?? 0) + n;
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
          // An attempt counted while the entry was written stays for the next flush.
          if (group.pending === 0) groups.delete(key);
        } catch (error) {
          logger.error({ err: error, action: group.action }, 'login failure audit write failed; kept for the next try');
        }
      }
      for (const key of [...namesByAddress.keys()]) {
        if (all || Number(key.split('|')[0]) < current) namesByAddress.delete(key);
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
    /** Counts one failed or refused login; writes an entry at once when it opens a group. */
    async record(failure: LoginFailure): Promise<void> {
      const now = clock();
      const minute = Math.floor(now.getTime() / MINUTE_MS);
      const login = failure.login.slice(0, 100);
      const addressKey = `${minute}|${failure.address}`;
      let names = namesByAddress.get(addressKey);
      if (!names) namesByAddress.set(addressKey, (names = new Set()));
      const name = login.toLowerCase();
      // Only made-up names count against the address's limit: real logins are as many as the users
      // table has, and an attack on one must not hide in `other_logins` behind a spray of fakes.
      if (failure.userId === null && !names.has(name) && names.size < maxLogins) names.add(name);
      const own = failure.userId !== null || names.has(name);
      const key = JSON.stringify([minute, failure.action, failure.method, failure.address, own ? name : null]);
      const group = groups.get(key);
      if (group) {
        group.pending += 1;
        group.reasons[failure.reason] = (group.reasons[failure.reason] ?? 0) + 1;
        group.firstAt ??= now;
        group.lastAt = now;
        if (group.login !== null && group.userId === null) group.userId = failure.userId;
        schedule();
        return;
      }
      const opened: Group = { minute, action: failure.action, method: failure.method, address: failure.address, login: own ? login : null, userId: own ? failure.userId : null, pending: 0, reasons: {}, firstAt: null, lastAt: null };
      groups.set(key, opened);
      // One log line per group too: a storm must not flood the journal either.
      if (failure.action === 'login_blocked') logger.warn({ login: opened.login, source: failure.address, method: failure.method, reason: failure.reason }, 'login attempts refused by the throttle');
      if (groups.size > maxGroups) void flush(true).catch(() => undefined);
      await audit.record(entryFor(opened, 1, { [failure.reason]: 1 }, own ? {} : { other_logins: true }, failure.requestId));
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

export type LoginFailureAudit = ReturnType<typeof createLoginFailureAudit>;
