/**
 * One breaker per proxy per job run. Once a proxy failed for this job (unreachable through the whole
 * re-attach window, or refusing the request), the job's other chunks on it fail at once with the
 * same reason instead of each retrying through the window again: 1,000 hosts with concurrency_level
 * 100 on a dead proxy fail in one window (~8 s), not ten (~78 s).
 */

/**
 * What the dispatcher may learn of a proxy's health beyond its own calls, e.g. from a background
 * health monitor. A proxy known down is given up after one attempt instead of the re-attach window.
 */
export interface ProxyHealthView {
  isDown(smartProxyId: number): boolean;
}

export interface ProxyBreaker {
  /** Opens the breaker of a proxy with the reason its hosts fail with. */
  trip(smartProxyId: number, reason: string): void;
  /** Why the proxy is given up for this job run, or undefined while it is not. */
  openReason(smartProxyId: number): string | undefined;
  /** Re-attach attempts left for this proxy: none when a health view already knows it is down. */
  attempts(smartProxyId: number, normal: number): number;
}

export function createProxyBreaker(health?: ProxyHealthView): ProxyBreaker {
  const open = new Map<number, string>();
  return {
    trip: (smartProxyId, reason) => {
      if (!open.has(smartProxyId)) open.set(smartProxyId, reason);
    },
    openReason: (smartProxyId) => open.get(smartProxyId),
    attempts: (smartProxyId, normal) => (health?.isDown(smartProxyId) ? 0 : normal),
  };
}
