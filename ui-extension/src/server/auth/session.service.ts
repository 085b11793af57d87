import { createHash, randomBytes } from 'node:crypto';
import type { CurrentUser } from './current-user';
import type { Logger } from '../logger';
import { safeEqual } from './auth.service';
import type { SessionRepository } from './session.repository';

/**
 * A session's idle expiry is pushed forward at most this often, so a busy page (long polls every
 * few seconds) does not write the sessions table on every request.
 */
const TOUCH_EVERY_MS = 60_000;

export interface OpenSession {
  /** The cookie value; shown to the browser once, stored only as its SHA-256. */
  token: string;
  csrfToken: string;
  user: CurrentUser;
  expiresAt: Date;
}

export interface ResolvedSession {
  /** Loaded afresh on every resolve: a role, filter or taxonomy change (or disabling the user) counts at once. */
  user: CurrentUser;
  csrfToken: string;
}

export interface SessionService {
  /** Opens a session for a user whose password was already checked. */
  open(user: CurrentUser, sourceAddress: string | null): Promise<OpenSession>;
  /** The session of a cookie token with its user, or null when unknown, expired, revoked, or its user is disabled. */
  resolve(token: string): Promise<ResolvedSession | null>;
  /** Revokes the session of a cookie token on every instance (the row is gone). */
  close(token: string): Promise<void>;
  /** Whether a request's X-CSRF-Token header matches the session's token (constant time). */
  csrfMatches(session: ResolvedSession, header: string | undefined): boolean;
  purgeExpired(): Promise<number>;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface SessionServiceDeps {
  sessions: SessionRepository;
  /** The full current user (roles and filters) of an id, or null when disabled or gone: `auth.loadCurrentUser`. */
  loadUser: (userId: number) => Promise<CurrentUser | null>;
  clock: () => Date;
  idleTimeoutS: number;
  logger: Logger;
}

export function createSessionService(deps: SessionServiceDeps): SessionService {
  const ttlMs = deps.idleTimeoutS * 1000;
  // Tokens are 32 random bytes: unguessable, so the table needs no lookup throttling.
  const newToken = () => randomBytes(32).toString('base64url');

  return {
    async open(user, sourceAddress) {
      const token = newToken();
      const csrfToken = newToken();
      const now = deps.clock();
      const expiresAt = new Date(now.getTime() + ttlMs);
      await deps.sessions.create({ id: hashToken(token), userId: user.id, csrfToken, sourceAddress: sourceAddress?.slice(0, 64) ?? null, now, expiresAt });
      deps.logger.info({ login: user.login, sourceAddress }, 'session opened');
      return { token, csrfToken, user, expiresAt };
    },

    async resolve(token) {
      if (!/^[\w-]{20,100}$/.test(token)) return null;
      const id = hashToken(token);
      const now = deps.clock();
      const session = await deps.sessions.findValid(id, now);
      if (!session) return null;
      if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
        await deps.sessions.touch(id, now, new Date(now.getTime() + ttlMs));
      }
      const user = await deps.loadUser(session.userId);
      return user ? { user, csrfToken: session.csrfToken } : null;
    },

    async close(token) {
      if (!/^[\w-]{20,100}$/.test(token)) return;
      await deps.sessions.delete(hashToken(token));
    },

    csrfMatches: (session, header) => typeof header === 'string' && header.length > 0 && safeEqual(header, session.csrfToken),

    purgeExpired: () => deps.sessions.deleteExpired(deps.clock()),
  };
}
