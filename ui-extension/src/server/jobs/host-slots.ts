/**
 * The global cap on hosts in flight across every job. A dispatcher takes slots before it sends a
 * chunk of hosts and gives them back as hosts end; waiters are served first come, first served.
 */
export interface HostSlots {
  /** Waits until at least one slot is free, then takes up to `wanted`; resolves with how many. */
  acquire(wanted: number, signal?: AbortSignal): Promise<number>;
  release(n: number): void;
  inFlight(): number;
}

export function createHostSlots(capacity: number): HostSlots {
  let used = 0;
  const queue: Array<{ wanted: number; resolve: (n: number) => void }> = [];
  const pump = () => {
    while (queue.length > 0 && used < capacity) {
      const next = queue.shift()!;
      const n = Math.min(next.wanted, capacity - used);
      used += n;
      next.resolve(n);
    }
  };
  return {
    acquire(wanted, signal) {
      if (wanted <= 0) return Promise.resolve(0);
      return new Promise((resolve) => {
        const entry = { wanted, resolve };
        queue.push(entry);
        signal?.addEventListener('abort', () => {
          const i = queue.indexOf(entry);
          if (i >= 0) {
            queue.splice(i, 1);
            resolve(0);
          }
        }, { once: true });
        pump();
      });
    },
    release(n) {
      used = Math.max(0, used - n);
      pump();
    },
    inFlight: () => used,
  };
}
