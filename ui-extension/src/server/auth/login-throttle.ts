/**
 * Brute-force protection for logins: failed attempts counted per login name and per client
 * address in a sliding window. Once a key has `max` failures inside the window, every further
 * attempt for it is refused before any password is checked (so a correct guess during a lockout
 * reveals nothing), until the oldest failure leaves the window.
 *
 * An attempt counts as a failure from the moment it begins and is taken back only when it
 * succeeds: otherwise a burst of parallel guesses would all pass the check while bcrypt runs.
 *
 * In memory, per instance: with several ui-extension instances behind a balancer an attacker gets
 * the limit once per instance. Bounded: at most `maxKeys` keys, the least recently failed go first.
 */
export interface LoginThrottleOptions {
  maxFailuresPerUser: number;
  maxFailuresPerAddress: number;
  windowMs: number;
  maxKeys?: number;
}

export interface ThrottleVerdict {
  blocked: boolean;
  /** Seconds until an attempt may be made again (when blocked). */
  retryAfterS: number;
  /** Which limit blocked the attempt. */
  by?: 'user' | 'address';
}

export type Attempt = (ThrottleVerdict & { blocked: true }) | { blocked: false; /** The credentials were right: the attempt does not count. */ succeeded(): void };

export interface LoginThrottle {
  /** Refuses the attempt, or counts it as a failure until `succeeded` is called. */
  begin(login: string, address: string | undefined, nowMs: number): Attempt;
}

const DEFAULT_MAX_KEYS = 100_000;

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const failures = new Map<string, number[]>();
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;

  function recent(key: string, nowMs: number): number[] {
    const list = failures.get(key);
    if (!list) return [];
    const cutoff = nowMs - options.windowMs;
    while (list.length > 0 && list[0] <= cutoff) list.shift();
    if (list.length === 0) failures.delete(key);
    return list;
  }

  function verdict(key: string, max: number, nowMs: number, by: 'user' | 'address'): ThrottleVerdict | undefined {
    const list = recent(key, nowMs);
    if (list.length < max) return undefined;
    // The attempt may come again when enough failures have left the window to drop below max.
    const freeAt = list[list.length - max] + options.windowMs;
    return { blocked: true, retryAfterS: Math.max(1, Math.ceil((freeAt - nowMs) / 1000)), by };
  }

  function add(key: string, nowMs: number): number[] {
    const list = recent(key, nowMs);
    // Re-inserting keeps the map in least-recently-failed order for eviction.
    failures.delete(key);
    list.push(nowMs);
    failures.set(key, list);
    while (failures.size > maxKeys) failures.delete(failures.keys().next().value as string);
    return list;
  }

  function remove(list: number[], at: number): void {
    const i = list.lastIndexOf(at);
    if (i >= 0) list.splice(i, 1);
  }

  // Login names compare case-insensitively here, so `Admin` and `admin` share one budget.
  const userKey = (login: string) => `u:${login.toLowerCase()}`;
  const addressKey = (address: string) => `a:${address}`;

  return {
    begin(login, address, nowMs) {
      const refused = verdict(userKey(login), options.maxFailuresPerUser, nowMs, 'user')
        ?? (address ? verdict(addressKey(address), options.maxFailuresPerAddress, nowMs, 'address') : undefined);
      if (refused) return { ...refused, blocked: true };
      const lists = [add(userKey(login), nowMs), ...(address ? [add(addressKey(address), nowMs)] : [])];
      return { blocked: false, succeeded: () => lists.forEach((list) => remove(list, nowMs)) };
    },
  };
}
