import type { Logger } from '../logger';
import type { AuditService } from './audit.service';
import { createCountedAudit, type CountedEvent } from './counted-audit';

/**
 * Refused requests (every 403) in the audit trail, as security reviewers look for them: who, what
 * route, which permission or filter refused. Entries have the action `denied`, the route as
 * declared (`POST /api/v2/smart_proxies/:id/refresh`) as the audited name, and in the changes the
 * HTTP method, the path asked for, the missing permissions, and the refusals' messages (which
 * filter refused what) counted as `reasons`.
 *
 * Counted per minute like failed logins (counted-audit.ts), so a script hammering a forbidden
 * route writes two rows a minute, not one per request: per user (or, without one, per client
 * address), route, missing permissions and address, the first refusal at once and the rest of the
 * minute as one entry with its `count`. One user gets entries of their own for at most
 * `maxRoutesPerUser` routes a minute; further routes are counted together (`other_routes: true`).
 */
export interface Denial {
  /** The refused caller; null when refused before it was identified (a session without its CSRF token). */
  user: { id: number; login: string } | null;
  address: string | null;
  /** The route as declared, `POST /api/v2/hosts/:id/puppet_run` (the path itself for an undeclared one). */
  route: string;
  /** The path asked for, without the query: `/api/v2/hosts/7/puppet_run`. */
  path: string;
  /** The permissions the refusal names as missing (empty when it names none). */
  permissions: string[];
  /** The refusal's message: which permission or filter refused what. */
  reason: string;
  requestId: string | null;
}

export interface DenialAuditOptions {
  audit: AuditService;
  clock: () => Date;
  logger: Logger;
  maxRoutesPerUser?: number;
  maxGroups?: number;
}

type Counted = Denial & CountedEvent;

export function createDenialAudit(options: DenialAuditOptions) {
  const counted = createCountedAudit<Counted>({
    audit: options.audit,
    clock: options.clock,
    logger: options.logger,
    name: 'denied',
    maxSubjectsPerBucket: options.maxRoutesPerUser ?? 20,
    maxGroups: options.maxGroups,
    entry(sample, own, tally, requestId) {
      const first = tally.first_at === undefined;
      return {
        user: sample.user,
        action: 'denied',
        object: { type: 'Route', name: own ? sample.route : null },
        changes: {
          ...(own ? { method: sample.route.split(' ')[0], permissions: sample.permissions } : { other_routes: true }),
          // The path of the one refusal the first entry records; a remainder's paths may differ.
          ...(own && first ? { path: sample.path } : {}),
          ...tally,
        },
        source: sample.address,
        requestId,
      };
    },
  });

  return {
    /** Counts one refusal; writes an entry at once when it is the first of its group this minute. */
    record(denial: Denial): Promise<void> {
      const bucket = denial.user ? `user:${denial.user.id}` : `address:${denial.address}`;
      return counted.record({
        ...denial,
        reason: denial.reason.slice(0, 300),
        group: bucket,
        bucket,
        subject: JSON.stringify([denial.route, denial.permissions, denial.address]),
      });
    },

    /** Writes the remainder of finished minutes; `all` writes every group (shutdown, tests). */
    flush: counted.flush,

    /** Writes everything pending and stops the timer (the server's close). */
    close: counted.close,
  };
}

export type DenialAudit = ReturnType<typeof createDenialAudit>;
