import type { Logger } from '../logger';
import type { AuditService } from './audit.service';
import { createCountedAudit, type CountedEvent } from './counted-audit';

/**
 * Failed and refused logins in the audit trail, counted instead of written one row each, so that a
 * storm of guesses cannot flood the audits table (a review sent 300 and found 10 audited, the rest
 * dropped by the old one-entry-per-lockout rule).
 *
 * Attempts are grouped per minute by action (`login_failed` / `login_blocked`), method, client
 * address and login name, by the per-minute counting of counted-audit.ts: the first attempt of a
 * group is written at once with `count: 1`, the others of that minute follow as one entry with
 * their `count`. So the counts of all entries add up to the attempts made, whatever the storm.
 * One address gets its own entries for at most `maxLoginsPerAddress` unknown login names a minute;
 * attempts with further names are counted together under no login (`other_logins: true`), so
 * made-up names cannot multiply the rows either. A login naming a user always keeps its own entries
 * (an attack on a real account must not hide behind a spray of made-up names).
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

export interface LoginFailureAuditOptions {
  audit: AuditService;
  clock: () => Date;
  logger: Logger;
  maxLoginsPerAddress?: number;
  /** Groups kept in memory at most; more write everything pending at once. */
  maxGroups?: number;
}

type Counted = LoginFailure & CountedEvent;

export function createLoginFailureAudit(options: LoginFailureAuditOptions) {
  const counted = createCountedAudit<Counted>({
    audit: options.audit,
    clock: options.clock,
    logger: options.logger,
    name: 'login_failed',
    maxSubjectsPerBucket: options.maxLoginsPerAddress ?? 20,
    maxGroups: options.maxGroups,
    entry(sample, own, tally, requestId) {
      return {
        user: own ? { id: sample.userId, login: sample.login } : null,
        action: sample.action,
        object: { type: 'User', id: own ? sample.userId : null, name: own ? sample.login : null },
        changes: { method: sample.method, ...tally, ...(own ? {} : { other_logins: true }) },
        source: sample.address,
        requestId,
      };
    },
    // The first failure of a name may come before the user it names is known (a later one knows it).
    merge: (sample, next) => (sample.userId === null ? { ...sample, userId: next.userId } : sample),
    onOpen(event, own) {
      if (event.action === 'login_blocked') options.logger.warn({ login: own ? event.login : null, source: event.address, method: event.method, reason: event.reason }, 'login attempts refused by the throttle');
    },
  });

  return {
    /** Counts one failed or refused login; writes an entry at once when it opens a group. */
    record(failure: LoginFailure): Promise<void> {
      const login = failure.login.slice(0, 100);
      return counted.record({
        ...failure,
        login,
        group: JSON.stringify([failure.action, failure.method, failure.address]),
        bucket: String(failure.address),
        subject: login.toLowerCase(),
        alwaysOwn: failure.userId !== null,
      });
    },

    /** Writes the remainder of finished minutes; `all` writes every group (shutdown, tests). */
    flush: counted.flush,

    /** Writes everything pending and stops the timer (the server's close). */
    close: counted.close,
  };
}

export type LoginFailureAudit = ReturnType<typeof createLoginFailureAudit>;
