import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import type { AuditService } from '../audit/audit.service';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { BUILTIN_ROLES, rulesFromFilters, type TaxonomyLookup } from './abilities';
import type { CurrentUser } from './current-user';
import { createLoginThrottle, type LoginThrottle } from './login-throttle';
import type { PersonalAccessTokenEntity } from './personal-access-token.entity';
import type { UserStore } from './user.repository';

/** bcrypt cost: ~100 ms per check here, slow enough for offline guessing, fast enough for a login. */
const BCRYPT_COST = 11;
/**
 * HTTP Basic sends the password with every API call; checking bcrypt each time would cost
 * ~100 ms of CPU per request. A verified (login, secret) pair is remembered by its SHA-256 for a
 * short while, so scripts stay fast. A password change, a revoked token, or a disabled or deleted
 * user clears the entries here at once; other instances forget them within the TTL.
 */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 1000;
/** last_used_at of a token is written at most this often (one write per request would be wasteful). */
const TOKEN_TOUCH_MS = 60_000;
/** Personal access tokens carry a prefix so that secret scanners (and people) recognise them. */
export const TOKEN_PREFIX = 'rex_pat_';
const DUMMY_HASH = '$2a$11$abcdefghijklmnopqrstuu0123456789abcdefghijklmnopqrstu';

export interface LoginContext {
  /** The client address, for the per-address limit and the audit trail. */
  source?: string;
  requestId?: string;
  /**
   * `api` (HTTP Basic: the password may be a personal access token) or `session` (the web UI's
   * login form: passwords only, as in Foreman).
   */
  method?: 'api' | 'session';
}

export interface AuthServiceConfig {
  max_failed_logins_per_user: number;
  max_failed_logins_per_address: number;
  failed_login_window_s: number;
}

export interface AuthServiceDeps {
  users: UserStore;
  audit: AuditService;
  logger: Logger;
  clock: () => Date;
  config?: AuthServiceConfig;
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

type Verification = { ok: true; userId: number; tokenId?: number; expiresAt?: number } | { ok: false; reason: string; userId?: number };

interface Verified {
  userId: number;
  tokenId?: number;
  expires: number;
}

/**
 * Authentication: the one verify path for HTTP Basic (password or personal access token) and the
 * web UI's session login, with brute-force limits and a login audit entry, and `loadCurrentUser`,
 * which builds everything the permission checks need from the user's roles and taxonomies.
 */
export function createAuthService(deps: AuthServiceDeps) {
  const { users, audit, logger, clock } = deps;
  const config = deps.config ?? DEFAULT_AUTH_CONFIG;
  const throttle: LoginThrottle = createLoginThrottle({
    maxFailuresPerUser: config.max_failed_logins_per_user,
    maxFailuresPerAddress: config.max_failed_logins_per_address,
    windowMs: config.failed_login_window_s * 1000,
  });
  const verified = new Map<string, Verified>();
  /**
   * Checks in progress by credential key: parallel requests with the same login and secret share
   * one check (and one failure slot of the throttle) instead of each holding a slot while bcrypt
   * runs, which locked a busy API user out after 10 parallel requests with the right password.
   */
  const inFlight = new Map<string, Promise<CurrentUser | null>>();
  /** Errors thrown before the credentials could be checked (see login). */
  const unchecked = new WeakSet<object>();
  const touched = new Map<number, number>();
  /** Lockouts already audited, so a flood of refused attempts writes one entry per lockout. */
  const auditedLockouts = new Map<string, number>();

  const cacheKey = (login: string, secret: string): string => createHash('sha256').update(login).update('\0').update(secret).digest('hex');

  function forget(predicate: (v: Verified) => boolean): void {
    for (const [key, value] of verified) if (predicate(value)) verified.delete(key);
  }

  async function loadCurrentUser(userId: number): Promise<CurrentUser | null> {
    const user = await users.findById(userId);
    if (!user || user.disabled) return null;
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

  async function auditLogin(action: 'login' | 'login_failed' | 'login_blocked', user: { id: number | null; login: string }, changes: Record<string, unknown>, ctx: LoginContext): Promise<void> {
    await audit.record({ user, action, object: { type: 'User', id: user.id, name: user.login }, changes, source: ctx.source ?? null, requestId: ctx.requestId ?? null });
  }

  /** Checks a personal access token; returns the user id or why it failed. */
  async function verifyToken(login: string, secret: string, now: Date): Promise<Verification> {
    const token = await users.findTokenByHash(sha256(secret));
    const user = token ? await users.findById(token.userId) : null;
    if (!token || !user || user.login !== login) return { ok: false, reason: 'unknown token' };
    if (token.revoked) return { ok: false, reason: 'token revoked', userId: user.id };
    if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'token expired', userId: user.id };
    if (user.disabled) return { ok: false, reason: 'user disabled', userId: user.id };
    return { ok: true, userId: user.id, tokenId: token.id, expiresAt: token.expiresAt?.getTime() };
  }

  async function verifyPasswordOf(login: string, password: string): Promise<Verification> {
    const user = await users.findByLogin(login);
    // Compare against a dummy hash when the user is unknown so timing does not reveal logins.
    const ok = await bcrypt.compare(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user) return { ok: false, reason: 'unknown user' };
    if (!ok) return { ok: false, reason: 'wrong password', userId: user.id };
    if (user.disabled) return { ok: false, reason: 'user disabled', userId: user.id };
    return { ok: true, userId: user.id };
  }

  /**
   * The one login path: refuses with RESOURCE_EXHAUSTED (429) once the user or the address has too
   * many recent failures, with UNAUTHENTICATED (401) when the credentials are wrong, and audits
   * the outcome. Resolves the user with their permissions.
   */
  async function login(loginName: string, secret: string, ctx: LoginContext = {}): Promise<CurrentUser> {
    const now = clock();
    const method = ctx.method ?? 'api';
    const verdict = throttle.begin(loginName, ctx.source, now.getTime());
    if (verdict.blocked) {
      const lockKey = `${verdict.by}:${verdict.by === 'user' ? loginName.toLowerCase() : ctx.source}`;
      if ((auditedLockouts.get(lockKey) ?? 0) < now.getTime()) {
        auditedLockouts.set(lockKey, now.getTime() + verdict.retryAfterS * 1000);
        if (auditedLockouts.size > VERIFIED_MAX) auditedLockouts.delete(auditedLockouts.keys().next().value as string);
        logger.warn({ login: loginName.slice(0, 100), source: ctx.source, by: verdict.by }, 'login attempts blocked after repeated failures');
        await auditLogin('login_blocked', { id: null, login: loginName }, { method, limited_by: verdict.by, retry_after_s: verdict.retryAfterS }, ctx);
      }
      throw new AppError('RESOURCE_EXHAUSTED', `too many failed logins for this ${verdict.by === 'user' ? 'user' : 'address'}; try again in ${verdict.retryAfterS} s`, { details: { retry_after_s: verdict.retryAfterS } });
    }

    const key = cacheKey(`${method}\0${loginName}`, secret);
    const hit = verified.get(key);
    if (hit && hit.expires > now.getTime()) {
      // Verified moments ago: no password check runs, so this attempt needs no failure slot.
      verdict.succeeded();
      const user = await loadCurrentUser(hit.userId);
      if (user) return user;
      verified.delete(key);
    }
    const running = inFlight.get(key);
    if (running) {
      // The same credentials are being checked: that attempt holds the one slot they cost.
      verdict.succeeded();
      const user = await running;
      if (!user) throw new AppError('UNAUTHENTICATED', 'unable to authenticate: wrong login, password or token');
      return user;
    }
    const check = checkCredentials(loginName, secret, key, method, now, ctx);
    inFlight.set(key, check);
    let user: CurrentUser | null;
    try {
      user = await check;
    } catch (error) {
      // The credentials were never checked (the database is down, say): not a failed guess, so the
      // attempt must not count towards a lockout. The error itself answers (503 for the database).
      if (typeof error === 'object' && error !== null && unchecked.has(error)) verdict.succeeded();
      throw error;
    } finally {
      inFlight.delete(key);
    }
    if (!user) throw new AppError('UNAUTHENTICATED', 'unable to authenticate: wrong login, password or token');
    verdict.succeeded();
    return user;
  }

  /** Verifies a password or token, audits the outcome and caches success; null when refused. */
  async function checkCredentials(loginName: string, secret: string, key: string, method: string, now: Date, ctx: LoginContext): Promise<CurrentUser | null> {
    const isToken = method === 'api' && secret.startsWith(TOKEN_PREFIX);
    let outcome: Verification;
    let user: CurrentUser | null;
    try {
      outcome = isToken ? await verifyToken(loginName, secret, now) : await verifyPasswordOf(loginName, secret);
      user = outcome.ok ? await loadCurrentUser(outcome.userId) : null;
    } catch (error) {
      if (typeof error === 'object' && error !== null) unchecked.add(error);
      throw error;
    }
    if (!outcome.ok || !user) {
      await auditLogin('login_failed', { id: outcome.userId ?? null, login: loginName }, { method: isToken ? 'token' : method === 'session' ? 'session' : 'password', reason: outcome.ok ? 'user unavailable' : outcome.reason }, ctx);
      return null;
    }
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
    // A token about to expire is remembered only until it does.
    verified.set(key, { userId: user.id, tokenId: outcome.tokenId, expires: Math.min(now.getTime() + VERIFIED_TTL_MS, outcome.expiresAt ?? Infinity) });
    if (outcome.tokenId !== undefined && (touched.get(outcome.tokenId) ?? 0) + TOKEN_TOUCH_MS <= now.getTime()) {
      touched.set(outcome.tokenId, now.getTime());
      if (touched.size > VERIFIED_MAX) touched.delete(touched.keys().next().value as number);
      await users.touchToken(outcome.tokenId, now);
    }
    await auditLogin('login', { id: user.id, login: user.login }, { method: isToken ? 'token' : method === 'session' ? 'session' : 'password' }, ctx);
    return user;
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

    /** Whether the stored password of a user matches (re-authentication before a password change). */
    async passwordMatches(userId: number, password: string): Promise<boolean> {
      const user = await users.findById(userId);
      return bcrypt.compare(password, user?.passwordHash ?? DUMMY_HASH).then((ok) => ok && user !== null);
    },

    /** Forgets cached verifications of a user (password change, disabled, deleted, roles do not matter). */
    forgetUser(userId: number): void {
      forget((v) => v.userId === userId);
    },

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
