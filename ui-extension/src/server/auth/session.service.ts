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
  /** The session's id: the SHA-256 of its cookie token (what the table stores). */
  id: string;
  /** Loaded afresh on every resolve: a role, filter or taxonomy change (or disabling the user) counts at once. */
  user: CurrentUser;
  csrfToken: string;
}

export interface SessionService {
  /** Opens a session for a user whose password was already checked. */
  open(user: CurrentUser, sourceAddress: string | null): Promise<OpenSession>;
  /**
   * The session of a cookie token with its user, or null when unknown, expired (idle or past its
   * absolute lifetime), revoked, opened with a password the user no longer has, or its user is disabled.
   */
  resolve(token: string): Promise<ResolvedSession | null>;
  /** Revokes the session of a cookie token on every instance (the row is gone). */
  close(token: string): Promise<void>;
  /** Ends every session of a user opened with an old password, except `keepId` (which moves to the new one). */
  passwordChanged(userId: number, keepId?: string): Promise<void>;
  /** Whether a request's X-CSRF-Token header matches the session's token (constant time). */
  csrfMatches(session: ResolvedSession, header: string | undefined): boolean;
  purgeExpired(): Promise<number>;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface SessionServiceDeps {
  sessions: SessionRepository;
  /**
   * The full current user (roles and filters) of an id with the stamp of their current password, or
   * null when disabled or gone: `auth.loadSessionUser`.
   */
  loadUser: (userId: number) => Promise<{ user: CurrentUser; credentialStamp: string } | null>;
  /** The stamp of the password a user object was just verified with: `auth.verifiedStamp`. */
  verifiedStamp?: (user: CurrentUser) => string | undefined;
  clock: () => Date;
  idleTimeoutS: number;
  /** However busy, a session ends this long after its login (http.session_max_lifetime_s). */
  maxLifetimeS: number;
  logger: Logger;
}

export function createSessionService(deps: SessionServiceDeps): SessionService {
  const idleMs = deps.idleTimeoutS * 1000;
  const maxMs = deps.maxLifetimeS * 1000;
  // Tokens are 32 random bytes: unguessable, so the table needs no lookup throttling.
  const newToken = () => randomBytes(32).toString('base64url');
  // The stored expiry is the earlier of the idle and the absolute one, so the cookie's own expiry
  // and the purge agree with what resolve refuses.
  const expiryAt = (createdAt: Date, now: Date) => new Date(Math.min(now.getTime() + idleMs, createdAt.getTime() + maxMs));

  return {
    async open(user, sourceAddress) {
      const token = newToken();
      const csrfToken = newToken();
      const now = deps.clock();
      const expiresAt = expiryAt(now, now);
      const credentialStamp = deps.verifiedStamp?.(user) ?? (await deps.loadUser(user.id))?.credentialStamp ?? null;
      await deps.sessions.create({ id: hashToken(token), userId: user.id, csrfToken, credentialStamp, sourceAddress: sourceAddress?.slice(0, 64) ?? null, now, expiresAt });
      deps.logger.info({ login: user.login, sourceAddress }, 'session opened');
      return { token, csrfToken, user, expiresAt };
    },

    async resolve(token) {
      if (!/^[\w-]{20,100}$/.test(token)) return null;
      const id = hashToken(token);
      const now = deps.clock();
      const session = await deps.sessions.findValid(id, now);
      if (!session || now.getTime() - session.createdAt.getTime() >= maxMs) return null;
      const loaded = await deps.loadUser(session.userId);
      if (!loaded) return null;
      // Opened with a password the user no longer has (or before sessions recorded one). Not deleted
      // here: the session that changed its own password is re-stamped just after the change, and a
      // request of it resolving in between must not end it. passwordChanged deletes the others.
      if (session.credentialStamp === null || session.credentialStamp !== loaded.credentialStamp) return null;
      if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
        await deps.sessions.touch(id, now, expiryAt(session.createdAt, now));
      }
      return { id, user: loaded.user, csrfToken: session.csrfToken };
    },

    async close(token) {
      if (!/^[\w-]{20,100}$/.test(token)) return;
      await deps.sessions.delete(hashToken(token));
    },

    async passwordChanged(userId, keepId) {
      const loaded = await deps.loadUser(userId);
      // A disabled or deleted user has no session left to keep.
      await deps.sessions.replaceCredentials(userId, loaded?.credentialStamp ?? '', loaded ? keepId : undefined);
      deps.logger.info({ userId, keptCurrent: keepId !== undefined }, 'sessions ended after a password change');
    },

    csrfMatches: (session, header) => typeof header === 'string' && header.length > 0 && safeEqual(header, session.csrfToken),

    purgeExpired: () => deps.sessions.deleteExpired(deps.clock()),
  };
}
