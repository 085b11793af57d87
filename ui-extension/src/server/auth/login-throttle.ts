import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterMySQL, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';

/**
 * Brute-force limits for password checks that an attacker cannot turn against the users they guess
 * at (OWASP Authentication Cheat Sheet, "Account lockout"; Foreman's BruteforceProtection counts by
 * address only, which locks out everyone behind one NAT or balancer):
 *
 * - **Per login and address.** At most `maxFailuresPerLoginAndAddress` failures for one login
 *   name from one client address per window; further attempts of that pair answer 429 without a
 *   password check (so a lucky guess during the block reveals nothing). The same user from any
 *   other address is not affected: nobody can lock a user out from elsewhere.
 * - **Per address, unknown logins only.** At most `maxUnknownLoginFailuresPerAddress` failures with
 *   login names that do not exist from one address per window; further unknown names from it answer
 *   429 without a bcrypt check, which is what a spray of made-up names costs us. Known users are
 *   never refused by it: a correct password passes. (A wrong password of a known user from such an
 *   address answers the same 429 as an unknown name, so the answer does not tell which logins exist;
 *   see auth.service.ts.)
 * - **Personal access tokens are never throttled** (auth.service.ts does not call this): 256 random
 *   bits cannot be guessed, and a script must keep working while someone guesses passwords.
 *
 * An attempt counts as a failure from the moment it begins and is given back when it succeeds, so a
 * burst of parallel guesses cannot all pass the check while bcrypt runs.
 *
 * The counters live in the database (table `login_throttle`) through rate-limiter-flexible's MySQL
 * and SQLite stores, on the connections TypeORM already holds: every instance behind a balancer
 * counts into the same limits. Windows are fixed, starting at a key's first failure (the library's
 * "enhanced fixed window"), and follow the system clock. Keys are SHA-256 digests: no login name
 * (people type passwords into that field) or address is stored in the table.
 */
export interface LoginThrottleLimits {
  maxFailuresPerLoginAndAddress: number;
  maxUnknownLoginFailuresPerAddress: number;
  windowS: number;
}

/** Which limit refused an attempt: the login from this address, or the address for unknown logins. */
export type ThrottledBy = 'login_address' | 'address';

export interface ThrottleVerdict {
  blocked: true;
  by: ThrottledBy;
  /** Seconds until the limit lets an attempt through again. */
  retryAfterS: number;
}

export type Attempt = ThrottleVerdict | { blocked: false; /** The credentials were right: the attempt does not count. */ succeeded(): Promise<void> };

export interface LoginThrottle {
  /**
   * Before a password check: refuses the attempt when its limit is spent, or counts it as a failure
   * until `succeeded` is called. `knownLogin` says whether the login names an existing user.
   */
  begin(login: string, address: string, knownLogin: boolean): Promise<Attempt>;
  /** The verdict of the address limit for unknown logins, when that budget is spent. */
  addressVerdict(address: string): Promise<ThrottleVerdict | undefined>;
}

/** The two counters: rate-limiter-flexible limiters sharing one store. */
export interface LoginLimiters {
  pairs: RateLimiterAbstract;
  addresses: RateLimiterAbstract;
}

/** Expired counters are removed at most this often, by the next attempt after it. */
const PURGE_EVERY_MS = 300_000;
const TABLE = 'login_throttle';

const digest = (...parts: string[]): string => createHash('sha256').update(parts.join('\0')).digest('hex');

function verdict(by: ThrottledBy, msBeforeNext: number): ThrottleVerdict {
  return { blocked: true, by, retryAfterS: Math.max(1, Math.ceil(msBeforeNext / 1000)) };
}

/** Consumes one point; `over` when the limit was already spent. Store errors (database down) propagate. */
async function consume(limiter: RateLimiterAbstract, key: string): Promise<{ over: boolean; msBeforeNext: number }> {
  try {
    const res = await limiter.consume(key, 1);
    return { over: false, msBeforeNext: res.msBeforeNext };
  } catch (error) {
    if (error instanceof RateLimiterRes) return { over: true, msBeforeNext: error.msBeforeNext };
    throw error;
  }
}

export function createLoginThrottle(limiters: LoginLimiters | (() => LoginLimiters), options: { purge?: (olderThanMs: number) => Promise<void> } = {}): LoginThrottle {
  let resolved: LoginLimiters | undefined;
  // The stores need an initialized data source; build them at the first login, not at wiring time.
  const get = () => (resolved ??= typeof limiters === 'function' ? limiters() : limiters);
  let lastPurge = Date.now();

  function purgeNowAndThen(): void {
    if (!options.purge || Date.now() - lastPurge < PURGE_EVERY_MS) return;
    lastPurge = Date.now();
    options.purge(Date.now() - 3_600_000).catch(() => undefined);
  }

  // Login names compare case-insensitively, as the users table does on MariaDB.
  const pairKey = (login: string, address: string) => digest('pair', login.toLowerCase(), address);
  const addressKey = (address: string) => digest('address', address);

  return {
    async begin(login, address, knownLogin) {
      purgeNowAndThen();
      const { pairs, addresses } = get();
      const key = pairKey(login, address);
      const pair = await consume(pairs, key);
      if (pair.over) return verdict('login_address', pair.msBeforeNext);
      if (!knownLogin) {
        const addr = await consume(addresses, addressKey(address));
        if (addr.over) return verdict('address', addr.msBeforeNext);
      }
      return { blocked: false, succeeded: async () => void (await pairs.reward(key, 1)) };
    },

    async addressVerdict(address) {
      const { addresses } = get();
      const res = await addresses.get(addressKey(address));
      return res && res.consumedPoints >= addresses.points ? verdict('address', res.msBeforeNext) : undefined;
    },
  };
}

function limiterOptions(limits: LoginThrottleLimits) {
  return {
    pairs: { keyPrefix: 'pair', points: limits.maxFailuresPerLoginAndAddress, duration: limits.windowS },
    addresses: { keyPrefix: 'addr', points: limits.maxUnknownLoginFailuresPerAddress, duration: limits.windowS },
  };
}

/** Counters in process memory: unit tests, and nothing else (several instances would not share them). */
export function memoryLoginLimiters(limits: LoginThrottleLimits): LoginLimiters {
  const o = limiterOptions(limits);
  return { pairs: new RateLimiterMemory(o.pairs), addresses: new RateLimiterMemory(o.addresses) };
}

interface MysqlDriverInternals {
  pool?: unknown;
  database?: string;
}

interface SqliteDriverInternals {
  databaseConnection?: unknown;
}

/**
 * The throttle on the database of `dataSource`, through the connections TypeORM holds: its mysql2
 * pool on MySQL/MariaDB, its better-sqlite3 handle on SQLite. The table comes from the migrations.
 * On SQLite the handle is the one every query shares, so a count made while another request holds
 * a transaction open joins it (better-sqlite3 nests it as a savepoint) and goes if that one rolls
 * back; SQLite serves a single instance, and a lost count only gives one more guess.
 */
export function createDatabaseLoginThrottle(dataSource: DataSource, limits: LoginThrottleLimits): LoginThrottle {
  let stores: { pairs: RateLimiterMySQL | RateLimiterSQLite; addresses: RateLimiterMySQL | RateLimiterSQLite } | undefined;
  const build = () => {
    const o = limiterOptions(limits);
    // The library's own 5-minute purge timer would outlive a closed data source; purge runs from here.
    const store = { tableName: TABLE, tableCreated: true, clearExpiredByTimeout: false };
    if (dataSource.options.type === 'mysql') {
      const driver = dataSource.driver as unknown as MysqlDriverInternals;
      const mysql = { ...store, storeClient: driver.pool, storeType: 'pool', dbName: driver.database };
      stores = { pairs: new RateLimiterMySQL({ ...o.pairs, ...mysql }), addresses: new RateLimiterMySQL({ ...o.addresses, ...mysql }) };
    } else {
      const driver = dataSource.driver as unknown as SqliteDriverInternals;
      const sqlite = { ...store, storeClient: driver.databaseConnection, storeType: 'better-sqlite3' };
      stores = { pairs: new RateLimiterSQLite({ ...o.pairs, ...sqlite }), addresses: new RateLimiterSQLite({ ...o.addresses, ...sqlite }) };
    }
    return stores;
  };
  // Both limiters share the table, so one of them purges it for both.
  const purge = async (olderThanMs: number) => {
    await (stores?.pairs as unknown as { clearExpired(ms: number): Promise<void> } | undefined)?.clearExpired(olderThanMs);
  };
  return createLoginThrottle(build, { purge });
}
