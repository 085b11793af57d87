/**
 * In-process long-poll waiters keyed by job id. The result writer calls `notify` after each committed
 * batch; a waiter also re-reads the database on an interval (see the service), which is how a second
 * ui-extension instance sharing the database sees changes it did not write.
 */
export interface JobWaiters {
  /** Resolves true when notified, false when the time ran out or the signal aborted. */
  wait(jobId: number, ms: number, signal?: AbortSignal): Promise<boolean>;
  notify(jobId: number): void;
  size(): number;
}

export function createJobWaiters(): JobWaiters {
  const waiting = new Map<number, Set<() => void>>();
  return {
    wait(jobId, ms, signal) {
      return new Promise((resolve) => {
        let set = waiting.get(jobId);
        if (!set) waiting.set(jobId, (set = new Set()));
        const done = (woken: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          set!.delete(wake);
          if (set!.size === 0) waiting.delete(jobId);
          resolve(woken);
        };
        const wake = () => done(true);
        const onAbort = () => done(false);
        const timer = setTimeout(() => done(false), Math.max(0, ms));
        set.add(wake);
        if (signal?.aborted) return done(false);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    notify(jobId) {
      const set = waiting.get(jobId);
      if (!set) return;
      for (const wake of [...set]) wake();
    },
    size: () => [...waiting.values()].reduce((n, s) => n + s.size, 0),
  };
}
