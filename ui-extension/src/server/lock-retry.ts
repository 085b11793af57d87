import { isLockConflict } from './errors';

export interface LockRetryOptions {
  /** Attempts in all, the first one included. */
  attempts: number;
  /** The wait before the second attempt; it doubles before each one after it. */
  backoffMs: number;
  /** Waits between attempts (tests pass their own: unit tests use no real timers). */
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); the jitter of each wait. */
  random?: () => number;
  /** Asked before each retry: once true, the last error is thrown at once (the caller was stopped meanwhile). */
  halted?: () => boolean;
  /** Told of each conflict about to be retried, with the attempt that lost it and the wait before the next. */
  onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn`, and again while it fails with a lock conflict (isLockConflict: nothing was written), at
 * most `attempts` times in all. Each wait is half to all of a doubling backoff: two writers that
 * deadlocked each other do not meet again in the same millisecond. Any other error, and the last
 * conflict, are thrown as they are, so callers still tell an unreachable database apart
 * (isDatabaseUnavailable). `fn` must be safe to run again: idempotent, or conditional on what it
 * reads.
 */
export async function retryLockConflicts<T>(fn: () => Promise<T>, options: LockRetryOptions): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isLockConflict(error) || attempt >= options.attempts || options.halted?.()) throw error;
      const waitMs = Math.round(options.backoffMs * 2 ** (attempt - 1) * (0.5 + random() / 2));
      options.onRetry?.(error, attempt, waitMs);
      await sleep(waitMs);
      if (options.halted?.()) throw error;
    }
  }
}
