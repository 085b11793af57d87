import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { AuditService } from '../audit/audit.service';
import { createLoginFailureAudit } from '../audit/login-failure-audit';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { CurrentUser } from './current-user';
import type { LoginThrottle, ThrottleVerdict } from './login-throttle';
import type { UserEntity } from './user.entity';
import type { UserStore } from './user.repository';

/**
 * HTTP Basic sends the password with every API call; checking bcrypt each time would cost
 * ~100 ms of CPU per request. A verified (login, secret) pair is remembered by its SHA-256 for a
 * short while, so scripts stay fast. A reuse reads the user row (it builds the user from it anyway)
 * and needs the user enabled and, for a password, the same password hash as when verified, so a
 * password change or a disabled user counts on every instance at once. A revoked token or a deleted
 * user clears the entries here at once; other instances forget a revoked token within the TTL.
 */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 1000;
/** last_used_at of a token is written at most this often (one write per request would be wasteful). */
const TOKEN_TOUCH_MS = 60_000;
/** Personal access tokens carry a prefix so that secret scanners (and people) recognise them. */
export const TOKEN_PREFIX = 'rex_pat_';
const DUMMY_HASH = '$2a$11$abcdefghijklmnopqrstuu0123456789abcdefghijklmnopqrstu';

export interface LoginContext {
  /** The client address, for the throttle and the audit trail. */
  source?: string;
  requestId?: string;
  /**
   * `api` (HTTP Basic: the password may be a personal access token) or `session` (the web UI's
   * login form: passwords only, as in Foreman).
   */
  method?: 'api' | 'session';
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * What a session or a cached verification remembers of the password it was checked against: a
 * digest of the stored bcrypt hash. A new password (new salt) changes it, on every instance at once.
 */
export function credentialStamp(user: Pick<UserEntity, 'passwordHash'>): string {
  return sha256(`credential\0${user.passwordHash}`);
}

type TokenCheck = { ok: true; user: UserEntity; tokenId: number; expiresAt?: number } | { ok: false; reason: string; userId?: number };

interface Verified {
  userId: number;
  tokenId?: number;
  /** For a password: the credential stamp it was verified against; a reuse needs the same one. */
  stamp?: string;
  expires: number;
}

const unauthenticated = () => new AppError('UNAUTHENTICATED', 'unable to authenticate: wrong login, password or token');

function throttled(verdict: ThrottleVerdict): AppError {
  const what = verdict.by === 'login_address' ? 'for this login from your address' : 'from your address';
  return new AppError('RESOURCE_EXHAUSTED', `too many failed logins ${what}; try again in ${verdict.retryAfterS} s`, { details: { retry_after_s: verdict.retryAfterS } });
}

export interface CredentialCheckDeps {
  users: UserStore;
  audit: AuditService;
  logger: Logger;
  clock: () => Date;
  throttle: LoginThrottle;
  /** Builds the user with their permissions from a row (auth.service.ts). */
  currentUserOf: (user: UserEntity) => Promise<CurrentUser>;
}

/**
 * Checks credentials: the one verify path for HTTP Basic (password or personal access token), the
 * web UI's session login and the current password of a password change, with the brute-force
 * limits of login-throttle.ts, the cache of recent verifications, and every outcome audited
 * (failures and refusals counted per minute by audit/login-failure-audit.ts).
 */
export function createCredentialCheck(deps: CredentialCheckDeps) {
  const { users, audit, logger, clock, throttle, currentUserOf } = deps;
  const failures = createLoginFailureAudit({ audit, clock, logger });
  const verified = new Map<string, Verified>();
  /**
   * Checks in progress by credential key: parallel requests with the same login and secret share
   * one check (and one failure slot of the throttle) instead of each holding a slot while bcrypt
   * runs, which locked a busy API user out after 10 parallel requests with the right password.
   */
  const inFlight = new Map<string, Promise<CurrentUser | null>>();
  const touched = new Map<number, number>();
  /** The credential stamp each user object was verified with, for the session it opens. */
  const stampOfVerified = new WeakMap<CurrentUser, string>();
  /**
   * How long a bcrypt check takes here lately. An unknown login refused by the address limit waits
   * as long before its answer, so that timing does not tell it from a known login checked and refused.
   */
  let bcryptMs = 100;

  const cacheKey = (login: string, secret: string): string => createHash('sha256').update(login).update('\0').update(secret).digest('hex');

  function forget(predicate: (v: Verified) => boolean): void {
    for (const [key, value] of verified) if (predicate(value)) verified.delete(key);
  }

  async function timedCompare(secret: string, hash: string): Promise<boolean> {
    const started = performance.now();
    const ok = await bcrypt.compare(secret, hash);
    bcryptMs = 0.8 * bcryptMs + 0.2 * (performance.now() - started);
    return ok;
  }

  const methodName = (method: 'api' | 'session', isToken: boolean) => (isToken ? 'token' : method === 'session' ? 'session' : 'password');

  function failed(action: 'login_failed' | 'login_blocked', login: string, userId: number | null, method: string, reason: string, ctx: LoginContext): Promise<void> {
    return failures.record({ action, login, userId, address: ctx.source ?? null, method, reason, requestId: ctx.requestId ?? null });
  }

  async function succeeded(user: CurrentUser, method: string, ctx: LoginContext): Promise<void> {
    await audit.record({ user: { id: user.id, login: user.login }, action: 'login', object: { type: 'User', id: user.id, name: user.login }, changes: { method }, source: ctx.source ?? null, requestId: ctx.requestId ?? null });
  }

  function remember(key: string, entry: Verified): void {
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(key, entry);
  }

  /**
   * A verification of moments ago, if it still holds: the user is enabled and, for a password, still
   * has the password it was verified against. The user row is read anyway to build the user, so a
   * password changed on another instance ends the reuse here at no extra cost.
   */
  async function reuse(hit: Verified): Promise<CurrentUser | null> {
    const row = await users.findById(hit.userId);
    if (!row || row.disabled || (hit.stamp !== undefined && hit.stamp !== credentialStamp(row))) return null;
    const user = await currentUserOf(row);
    if (hit.stamp) stampOfVerified.set(user, hit.stamp);
    return user;
  }

  /** A personal access token: never throttled (see login-throttle.ts), every failure audited. */
  async function checkToken(loginName: string, secret: string, key: string, now: Date, ctx: LoginContext): Promise<CurrentUser | null> {
    const outcome = await verifyToken(loginName, secret, now);
    if (!outcome.ok) {
      await failed('login_failed', loginName, outcome.userId ?? null, 'token', outcome.reason, ctx);
      return null;
    }
    const user = await currentUserOf(outcome.user);
    // A token about to expire is remembered only until it does.
    remember(key, { userId: user.id, tokenId: outcome.tokenId, expires: Math.min(now.getTime() + VERIFIED_TTL_MS, outcome.expiresAt ?? Infinity) });
    if ((touched.get(outcome.tokenId) ?? 0) + TOKEN_TOUCH_MS <= now.getTime()) {
      touched.set(outcome.tokenId, now.getTime());
      if (touched.size > VERIFIED_MAX) touched.delete(touched.keys().next().value as number);
      await users.touchToken(outcome.tokenId, now);
    }
    await succeeded(user, 'token', ctx);
    return user;
  }

  async function verifyToken(login: string, secret: string, now: Date): Promise<TokenCheck> {
    const token = await users.findTokenByHash(sha256(secret));
    const user = token ? await users.findById(token.userId) : null;
    if (!token || !user || user.login !== login) return { ok: false, reason: 'unknown token' };
    if (token.revoked) return { ok: false, reason: 'token revoked', userId: user.id };
    if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'token expired', userId: user.id };
    if (user.disabled) return { ok: false, reason: 'user disabled', userId: user.id };
    return { ok: true, user, tokenId: token.id, expiresAt: token.expiresAt?.getTime() };
  }

  /**
   * A password through the throttle. Answers 429 when the login's limit from this address is spent,
   * or the address's limit for unknown logins and the login is unknown or the password wrong (the
   * same answer either way, so it does not tell which logins exist); a right password of a known
   * user passes the address limit. Every failure and refusal is audited, counted per minute.
   */
  async function checkPassword(loginName: string, secret: string, key: string, method: 'api' | 'session', now: Date, ctx: LoginContext): Promise<CurrentUser | null> {
    const name = methodName(method, false);
    const address = ctx.source ?? 'unknown';
    // A failure to read (the database is down) happens before anything is counted: not a guess.
    const row = await users.findByLogin(loginName);
    const attempt = await throttle.begin(loginName, address, row !== null);
    if (attempt.blocked) {
      if (attempt.by === 'address') await new Promise((resolve) => setTimeout(resolve, bcryptMs));
      await failed('login_blocked', loginName, row?.id ?? null, name, `${attempt.by} limit`, ctx);
      throw throttled(attempt);
    }
    // Compare against a dummy hash when the user is unknown so timing does not reveal logins.
    const ok = await timedCompare(secret, row?.passwordHash ?? DUMMY_HASH);
    if (row && ok && !row.disabled) {
      await attempt.succeeded();
      const user = await currentUserOf(row);
      const stamp = credentialStamp(row);
      stampOfVerified.set(user, stamp);
      remember(key, { userId: user.id, stamp, expires: now.getTime() + VERIFIED_TTL_MS });
      await succeeded(user, name, ctx);
      return user;
    }
    await failed('login_failed', loginName, row?.id ?? null, name, !row ? 'unknown user' : !ok ? 'wrong password' : 'user disabled', ctx);
    const addressSpent = row ? await throttle.addressVerdict(address) : undefined;
    if (addressSpent) throw throttled(addressSpent);
    return null;
  }

  /**
   * The one login path: UNAUTHENTICATED (401) when the credentials are wrong, RESOURCE_EXHAUSTED
   * (429) when a limit refuses the attempt. Resolves the user with their permissions.
   */
  async function login(loginName: string, secret: string, ctx: LoginContext = {}): Promise<CurrentUser> {
    const now = clock();
    const method = ctx.method ?? 'api';
    const isToken = method === 'api' && secret.startsWith(TOKEN_PREFIX);
    const key = cacheKey(`${method}\0${loginName}`, secret);
    const hit = verified.get(key);
    if (hit && hit.expires > now.getTime()) {
      // Verified moments ago: no password check runs, so the throttle has nothing to count.
      const user = await reuse(hit);
      if (user) return user;
      verified.delete(key);
    }
    const running = inFlight.get(key);
    if (running) {
      // The same credentials are being checked: that attempt holds the one slot they cost.
      const user = await running;
      if (!user) throw unauthenticated();
      return user;
    }
    const check = isToken ? checkToken(loginName, secret, key, now, ctx) : checkPassword(loginName, secret, key, method, now, ctx);
    inFlight.set(key, check);
    try {
      const user = await check;
      if (!user) throw unauthenticated();
      return user;
    } finally {
      inFlight.delete(key);
    }
  }

  return {
    login,
    /**
     * Whether the stored password of a user matches (re-authentication before a password change),
     * through the same throttle as a login from the caller's address, every failure audited:
     * RESOURCE_EXHAUSTED (429) once that login's limit from there is spent, so a stolen session
     * cannot guess the password it would need to take the account over.
     */
    async passwordMatches(userId: number, password: string, caller: { source?: string; requestId?: string }): Promise<boolean> {
      const user = await users.findById(userId);
      if (!user) return false;
      const ctx: LoginContext = { source: caller.source, requestId: caller.requestId };
      const attempt = await throttle.begin(user.login, caller.source ?? 'unknown', true);
      if (attempt.blocked) {
        await failed('login_blocked', user.login, user.id, 'current_password', `${attempt.by} limit`, ctx);
        throw throttled(attempt);
      }
      if (await timedCompare(password, user.passwordHash)) {
        await attempt.succeeded();
        return true;
      }
      await failed('login_failed', user.login, user.id, 'current_password', 'wrong password', ctx);
      return false;
    },

    /** Forgets cached verifications of a user (password change, disabled, deleted, roles do not matter). */
    forgetUser(userId: number): void {
      forget((v) => v.userId === userId);
    },

    /** Forgets cached verifications of a token (revoked). */
    forgetToken(tokenId: number): void {
      forget((v) => v.tokenId === tokenId);
    },

    /** The credential stamp a user object returned by `login` was verified with (for its session). */
    verifiedStamp(user: CurrentUser): string | undefined {
      return stampOfVerified.get(user);
    },

    /** Writes the counted login failures of finished minutes (`all`: every one; tests and shutdown). */
    flushLoginFailures: (all = false) => failures.flush(all),

    /** Writes every counted login failure and stops its timer (the server's close). */
    close: () => failures.close(),
  };
}

export type CredentialCheck = ReturnType<typeof createCredentialCheck>;
