import type { TokenDto } from '@common/users';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import type { AuditService } from '../audit/audit.service';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { BUILTIN_ROLES, rulesFromFilters, type TaxonomyLookup } from './abilities';
import { createCredentialCheck, credentialStamp, sha256, TOKEN_PREFIX, type LoginContext } from './credential-check';
import type { CurrentUser } from './current-user';
import { createLoginThrottle, memoryLoginLimiters, type LoginThrottle, type LoginThrottleLimits } from './login-throttle';
import type { PersonalAccessTokenEntity } from './personal-access-token.entity';
import type { UserEntity } from './user.entity';
import type { UserStore } from './user.repository';

export { credentialStamp, sha256, TOKEN_PREFIX, type LoginContext };

/** bcrypt cost: ~100 ms per check here, slow enough for offline guessing, fast enough for a login. */
const BCRYPT_COST = 11;

/** The throttle's limits from the `auth.*` configuration. */
export function throttleLimits(config: AuthServiceConfig): LoginThrottleLimits {
  return { maxFailuresPerLoginAndAddress: config.max_failed_logins_per_user, maxUnknownLoginFailuresPerAddress: config.max_failed_logins_per_address, windowS: config.failed_login_window_s };
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
export type TokenView = TokenDto;

export const DEFAULT_AUTH_CONFIG: AuthServiceConfig = { max_failed_logins_per_user: 10, max_failed_logins_per_address: 30, failed_login_window_s: 60 };

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

/**
 * Authentication: `login` (credential-check.ts) for HTTP Basic and the web UI, `loadCurrentUser`,
 * which builds everything the permission checks need from the user's roles and taxonomies, what a
 * password change must end (cached verifications, sessions), and the admin and built-in roles.
 */
export function createAuthService(deps: AuthServiceDeps) {
  const { users, audit, logger, clock } = deps;
  const config = deps.config ?? DEFAULT_AUTH_CONFIG;
  const throttle: LoginThrottle = deps.throttle ?? createLoginThrottle(memoryLoginLimiters(throttleLimits(config)));

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

  const credentials = createCredentialCheck({ users, audit, logger, clock, throttle, currentUserOf });
  const { login } = credentials;

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

    passwordMatches: credentials.passwordMatches,
    forgetUser: credentials.forgetUser,
    forgetToken: credentials.forgetToken,
    verifiedStamp: credentials.verifiedStamp,
    flushLoginFailures: credentials.flushLoginFailures,
    close: credentials.close,

    /**
     * After a user's password was changed or reset: forgets its cached verifications here (other
     * instances see the new hash on their next reuse) and ends every session opened with the old
     * password except `keepSessionId` (the one that changed its own password).
     */
    async passwordChanged(userId: number, keepSessionId?: string): Promise<void> {
      credentials.forgetUser(userId);
      await deps.onPasswordChanged?.(userId, keepSessionId);
    },

    /** The user of a session with the stamp of its current password; null when disabled or gone. */
    async loadSessionUser(userId: number): Promise<{ user: CurrentUser; credentialStamp: string } | null> {
      const row = await users.findById(userId);
      return row && !row.disabled ? { user: await currentUserOf(row), credentialStamp: credentialStamp(row) } : null;
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
