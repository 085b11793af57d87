import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import type { Logger } from '../logger';
import type { CurrentUser } from '../http/request-context';
import type { UserRepository } from './user.repository';

/** bcrypt cost: ~100 ms per check here, slow enough for offline guessing, fast enough for a login. */
const BCRYPT_COST = 11;
/**
 * HTTP Basic sends the password with every API call; checking bcrypt each time would cost
 * ~100 ms of CPU per request. A verified (login, password) pair is remembered by its SHA-256
 * for a short while, so scripts stay fast and a changed password takes effect within the TTL.
 */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 1000;

export interface AuthService {
  /** The user for a login and password, or null when they do not match. */
  verifyPassword(login: string, password: string): Promise<CurrentUser | null>;
  /** Creates the admin user on first start; returns the generated password when it made one. */
  ensureAdmin(options: { password?: string; passwordFile: string }): Promise<{ created: boolean; generatedPassword?: string }>;
  hashPassword(password: string): Promise<string>;
}

export function createAuthService(deps: { users: UserRepository; logger: Logger; clock: () => Date }): AuthService {
  const verified = new Map<string, { user: CurrentUser; expires: number }>();

  function cacheKey(login: string, password: string): string {
    return createHash('sha256').update(login).update('\0').update(password).digest('hex');
  }

  return {
    hashPassword: (password) => bcrypt.hash(password, BCRYPT_COST),

    async verifyPassword(login, password) {
      const key = cacheKey(login, password);
      const hit = verified.get(key);
      const now = deps.clock().getTime();
      if (hit && hit.expires > now) return hit.user;
      const user = await deps.users.findByLogin(login);
      // Compare against a dummy hash when the user is unknown so timing does not reveal logins.
      const hash = user?.passwordHash ?? '$2a$11$abcdefghijklmnopqrstuu0123456789abcdefghijklmnopqrstu';
      const ok = await bcrypt.compare(password, hash);
      if (!user || !ok) return null;
      const current = { id: user.id, login: user.login, admin: user.admin };
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
      verified.set(key, { user: current, expires: now + VERIFIED_TTL_MS });
      return current;
    },

    async ensureAdmin({ password, passwordFile }) {
      if ((await deps.users.findByLogin('admin')) !== null) return { created: false };
      const generated = password ? undefined : randomBytes(12).toString('base64url');
      const plain = password ?? (generated as string);
      await deps.users.create({ login: 'admin', passwordHash: await bcrypt.hash(plain, BCRYPT_COST), admin: true, now: deps.clock() });
      if (generated) {
        fs.mkdirSync(path.dirname(path.resolve(passwordFile)), { recursive: true });
        fs.writeFileSync(passwordFile, `${generated}\n`, { mode: 0o600 });
        fs.chmodSync(passwordFile, 0o600);
      }
      deps.logger.info({ login: 'admin', passwordFile: generated ? passwordFile : undefined }, 'admin user created');
      return { created: true, generatedPassword: generated };
    },
  };
}

/** Constant-time string comparison for secrets. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
