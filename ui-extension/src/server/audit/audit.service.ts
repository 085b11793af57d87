import type { AuditDto } from '@common/users';
import { AppError } from '../errors';
import { hasPermission, type CurrentUser } from '../auth/abilities';
import type { Tx } from '../db-transaction';
import type { Logger } from '../logger';
import type { AuditEntity } from './audit.entity';
import type { AuditRepository } from './audit.repository';

/** What the audit trail shows for a secret: the change happened, not the value. */
export const FILTERED = '[FILTERED]';

/** Keys whose values are secrets wherever they appear in a change set (Foreman filters the same). */
const SECRET_KEY = /(^|_)(password|passwd|secret|token|psk|private_key|key_file|credentials?)($|_)|^token_value$|^password_hash$/i;

/** A deep copy of `changes` with every secret-looking key's value replaced. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = SECRET_KEY.test(k) ? FILTERED : maskSecrets(v, depth + 1);
  return out;
}

export interface AuditEntry {
  /** Who did it; null for an anonymous attempt (a failed login of an unknown user). */
  user: { id: number | null; login: string } | null;
  /** What happened: `login`, `login_failed`, `create`, `update`, `destroy`, `replay`, `cancel`, `revoke`, ... */
  action: string;
  /** What it happened to, with Foreman's type names: `User`, `Role`, `Filter`, `JobInvocation`, `PersonalAccessToken`, `Schedule`. */
  object: { type: string; id?: number | null; name?: string | null };
  /** The changes; secrets are masked here, whatever the caller passes. */
  changes?: Record<string, unknown>;
  /** The client address, or a label such as `scheduler` for background work. */
  source?: string | null;
  requestId?: string | null;
}

/** An audit entry as `GET /api/v2/audits` shows it (Foreman's field names). */
export type AuditRow = AuditDto;

const clip = (s: string | null | undefined, n: number): string | null => (s === null || s === undefined ? null : s.slice(0, n));

function toRow(e: AuditEntity): AuditRow {
  return {
    id: e.id,
    created_at: e.createdAt.toISOString(),
    user_id: e.userId,
    user_name: e.userLogin,
    action: e.action,
    auditable_type: e.auditableType,
    auditable_id: e.auditableId,
    auditable_name: e.auditableName,
    audited_changes: e.auditedChanges ? (JSON.parse(e.auditedChanges) as Record<string, unknown>) : null,
    remote_address: e.remoteAddress,
    request_uuid: e.requestUuid,
  };
}

/**
 * The audit trail: `record` appends (logins, token changes, job creation, replay, cancel, schedule
 * and user/role changes), `list` and `get` read. Everyone sees their own entries; view_audit_logs
 * shows everyone's.
 */
export function createAuditService(deps: { repo: AuditRepository; clock: () => Date; logger: Logger }) {
  return {
    /**
     * Appends one entry; a write failure is logged and rethrown, so a change is never left unaudited
     * silently. Given the change's transaction, the entry and the change commit together.
     */
    async record(entry: AuditEntry, tx?: Tx): Promise<void> {
      try {
        await deps.repo.insert({
          createdAt: deps.clock(),
          userId: entry.user?.id ?? null,
          userLogin: clip(entry.user?.login, 100),
          action: entry.action.slice(0, 50),
          auditableType: entry.object.type.slice(0, 50),
          auditableId: entry.object.id ?? null,
          auditableName: clip(entry.object.name, 255),
          auditedChanges: entry.changes ? JSON.stringify(maskSecrets(entry.changes)) : null,
          remoteAddress: clip(entry.source, 100),
          requestUuid: clip(entry.requestId, 128),
        }, tx);
      } catch (error) {
        deps.logger.error({ err: error, action: entry.action, type: entry.object.type }, 'audit write failed');
        throw error;
      }
    },

    async list(user: CurrentUser, params: { search: string; page: number; perPage: number }): Promise<{ total: number; subtotal: number; results: AuditRow[] }> {
      const page = await deps.repo.search({ ...params, now: deps.clock(), onlyUserId: hasPermission(user, 'view_audit_logs') ? undefined : user.id });
      return { total: page.total, subtotal: page.subtotal, results: page.results.map(toRow) };
    },

    async get(user: CurrentUser, id: number): Promise<AuditRow> {
      const row = await deps.repo.findById(id);
      if (!row || (!hasPermission(user, 'view_audit_logs') && row.userId !== user.id)) throw new AppError('NOT_FOUND', `audit ${id} not found`);
      return toRow(row);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

/** The audit `source` and request id of a user acting through the API (both absent for background work). */
export function auditContext(user: CurrentUser): { source: string | null; requestId: string | null } {
  return { source: user.source ?? null, requestId: user.requestId ?? null };
}
