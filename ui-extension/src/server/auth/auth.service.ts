import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import type { AuditService } from '../audit/audit.service';
import { createLoginFailureAudit } from '../audit/login-failure-audit';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { BUILTIN_ROLES, rulesFromFilters, type TaxonomyLookup } from './abilities';
import type { CurrentUser } from './current-user';
import { createLoginThrottle, memoryLoginLimiters, type LoginThrottle, type LoginThrottleLimits, type ThrottleVerdict } from './login-throttle';
import type { PersonalAccessTokenEntity } from './personal-access-token.entity';
import type { UserEntity } from './user.entity';
import type { UserStore } from './user.repository';

/** bcrypt cost: ~100 ms per check here, slow enough for offline guessing, fast enough for a login. */
const BCRYPT_COST = 11;
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

/** The throttle's limits from the `auth.*` configuration. */
export function throttleLimits(config: AuthServiceConfig): LoginThrottleLimits {
  return { maxFailuresPerLoginAndAddress: config.max_failed_logins_per_user, maxUnknownLoginFailuresPerAddress: config.max_failed_logins_per_address, windowS: config.failed_login_window_s };
}

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

export interface AuthServiceConfig {
  /** Failures for one login name from one address per window (the key keeps its old name). */
  max_failed_logins_per_user: number;
  /** Failures with unknown login names from one address per window. */
  max_failed_logins_per_address: number;
  failed_login_window_s: number;
}

export interface AuthServiceDeps {
  users: UserStore;
  audit: AuditService;
  logger: Logger;
  clock: () => Date;
  config?: AuthServiceConfig;
  /** The brute-force limits; in process memory when absent (unit tests), in the database otherwise (services.ts). */
  throttle?: LoginThrottle;
  /** Ends the sessions opened with an old password (session.service.ts), keeping `keepSessionId`. */
  onPasswordChanged?: (userId: number, keepSessionId: string | undefined) => Promise<void>;
}

/** A personal access token as the API shows it (Foreman's fields); the secret only at creation. */
export interface TokenView {
  id: number;
  user_id: number;
  name: string;
  expires_at: string | null;
  last_used_at: string | null;
  active: boolean;
  revoked: boolean;
  created_at: string;
  updated_at: string;
  token_value?: string;
}

export const DEFAULT_AUTH_CONFIG: AuthServiceConfig = { max_failed_logins_per_user: 10, max_failed_logins_per_address: 30, failed_login_window_s: 60 };

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

export function tokenView(t: PersonalAccessTokenEntity, now: Date): TokenView {
  return {
    id: t.id,
    user_id: t.userId,
    name: t.name,
    expires_at: t.expiresAt ? t.expiresAt.toISOString() : null,
    last_used_at: t.lastUsedAt ? t.lastUsedAt.toISOString() : null,
    active: !t.revoked && (t.expiresAt === null || t.expiresAt.getTime() > now.getTime()),
    revoked: t.revoked,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
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

/**
 * Authentication: the one verify path for HTTP Basic (password or personal access token) and the
 * web UI's session login, with the brute-force limits of login-throttle.ts and the login audit, and
 * `loadCurrentUser`, which builds everything the permission checks need from the user's roles and
 * taxonomies.
 */
export function createAuthService(deps: AuthServiceDeps) {
  const { users, audit, logger, clock } = deps;
  const config = deps.config ?? DEFAULT_AUTH_CONFIG;
  const throttle: LoginThrottle = deps.throttle ?? createLoginThrottle(memoryLoginLimiters(throttleLimits(config)));
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

  async function currentUserOf(user: UserEntity): Promise<CurrentUser> {
    if (user.admin) return { id: user.id, login: user.login, admin: true, rules: [] };
    const [filters, orgs, locs] = await Promise.all([
      users.filtersOfUser(user.id),
      users.taxonomiesOfUsers('organization', [user.id]),
      users.taxonomiesOfUsers('location', [user.id]),
    ]);
    // Names in filter searches resolve against the inventory; only needed when a filter has a search.
    const lookup: TaxonomyLookup = filters.some((f) => (f.search ?? '').trim() !== '') ? await users.taxonomyLookup() : { hostgroups: [], organizations: [], locations: [] };
    const rules = rulesFromFilters(filters, lookup, {
      organizationIds: (orgs.get(user.id) ?? []).map((o) => o.id),
      locationIds: (locs.get(user.id) ?? []).map((l) => l.id),
    });
    return { id: user.id, login: user.login, admin: false, rules };
  }

  async function loadCurrentUser(userId: number): Promise<CurrentUser | null> {
    const user = await users.findById(userId);
    return user && !user.disabled ? currentUserOf(user) : null;
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

  async function ensureBuiltinRoles(): Promise<void> {
    await users.transaction(async (repo) => {
      const now = clock();
      for (const def of BUILTIN_ROLES) {
        let role = await repo.findRole(def.name);
        if (role && !role.builtin) {
          throw new AppError('FAILED_PRECONDITION', `a role named ${def.name} exists and is not built in; rename it so the built-in role can be created`);
        }
        if (!role) role = await repo.createRole({ name: def.name, description: def.description, builtin: true, now });
        const stored = await repo.filtersOfRoles([role.id]);
        const same = stored.length === def.filters.length && stored.every((f, i) => JSON.stringify(f.permissions) === JSON.stringify(def.filters[i].permissions) && (f.search ?? null) === def.filters[i].search);
        if (same && role.description === def.description) continue;
        await repo.updateRole(role.id, { description: def.description }, now);
        await repo.deleteFiltersOfRole(role.id);
        for (const f of def.filters) await repo.createFilter({ roleId: role.id, permissions: [...f.permissions], search: f.search, now });
        logger.info({ role: def.name }, 'built-in role written');
      }
    });
  }

  return {
    login,
    loadCurrentUser,
    ensureBuiltinRoles,

    hashPassword: (password: string) => bcrypt.hash(password, BCRYPT_COST),

    /** `login` returning null instead of throwing UNAUTHENTICATED; RESOURCE_EXHAUSTED still throws. */
    async verifyPassword(loginName: string, secret: string, ctx: LoginContext = {}): Promise<CurrentUser | null> {
      try {
        return await login(loginName, secret, ctx);
      } catch (error) {
        if (error instanceof AppError && error.code === 'UNAUTHENTICATED') return null;
        throw error;
      }
    },

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

    /**
     * After a user's password was changed or reset: forgets its cached verifications here (other
     * instances see the new hash on their next reuse) and ends every session opened with the old
     * password except `keepSessionId` (the one that changed its own password).
     */
    async passwordChanged(userId: number, keepSessionId?: string): Promise<void> {
      forget((v) => v.userId === userId);
      await deps.onPasswordChanged?.(userId, keepSessionId);
    },

    /** The user of a session with the stamp of its current password; null when disabled or gone. */
    async loadSessionUser(userId: number): Promise<{ user: CurrentUser; credentialStamp: string } | null> {
      const row = await users.findById(userId);
      return row && !row.disabled ? { user: await currentUserOf(row), credentialStamp: credentialStamp(row) } : null;
    },

    /** The credential stamp a user object returned by `login` was verified with (for its session). */
    verifiedStamp(user: CurrentUser): string | undefined {
      return stampOfVerified.get(user);
    },

    /** Writes the counted login failures of finished minutes (`all`: every one; tests and shutdown). */
    flushLoginFailures: (all = false) => failures.flush(all),

    /** Writes every counted login failure and stops its timer (the server's close). */
    close: () => failures.close(),

    /** Forgets cached verifications of a token (revoked). */
    forgetToken(tokenId: number): void {
      forget((v) => v.tokenId === tokenId);
    },

    /** A new token secret and its hash; the secret goes to the caller once and is never stored. */
    newTokenSecret(): { secret: string; hash: string } {
      const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      return { secret, hash: sha256(secret) };
    },

    /**
     * Creates the admin user on first start (and the built-in roles on every start); returns the
     * generated password when it made one.
     */
    async ensureAdmin({ password, passwordFile }: { password?: string; passwordFile: string }): Promise<{ created: boolean; generatedPassword?: string }> {
      await ensureBuiltinRoles();
      if ((await users.findByLogin('admin')) !== null) return { created: false };
      const generated = password ? undefined : randomBytes(12).toString('base64url');
      const plain = password ?? (generated as string);
      await users.create({ login: 'admin', passwordHash: await bcrypt.hash(plain, BCRYPT_COST), admin: true, now: clock() });
      if (generated) {
        fs.mkdirSync(path.dirname(path.resolve(passwordFile)), { recursive: true });
        fs.writeFileSync(passwordFile, `${generated}\n`, { mode: 0o600 });
        fs.chmodSync(passwordFile, 0o600);
      }
      logger.info({ login: 'admin', passwordFile: generated ? passwordFile : undefined }, 'admin user created');
      return { created: true, generatedPassword: generated };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

/** Constant-time string comparison for secrets. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
