import { hasPermission, hostScope, type CurrentUser, type HostScope } from '../auth/abilities';
import type { Config } from '../config';
import { withLiveStatus, type SmartProxyRow } from '../inventory/smart-proxy.repository';
import type { ProxyHealth, ProxyLiveStatus } from '../proxies/proxy-monitor';
import type { DatabaseHealth, DatabaseHealthView } from './database-health';

export interface ProxyReachability {
  id: number;
  name: string;
  url: string;
  /** True when the last background check reached it. */
  reachable: boolean;
  status: ProxyLiveStatus;
  last_contact_at: string | null;
  checked_at: string | null;
  error?: string;
}

export interface SystemStatus {
  result: 'ok' | 'degraded';
  version: string;
  database: { kind: Config['database']['type']; reachable: boolean; writable: boolean; error?: string; latency_ms?: number; checked_at: string | null; writes_failing_since?: string };
  /** Only for an authenticated caller with view_smart_proxies, and only the proxies in their scope. */
  smart_proxies?: ProxyReachability[];
}

/**
 * `GET /readyz`: whether a load balancer should send this instance traffic, and why not. The
 * proxies are counted by live status (never named: the check is anonymous); an offline proxy does
 * not make the instance unready, since every instance would be.
 */
export interface Readiness {
  status: 'ready' | 'not_ready';
  database: Pick<DatabaseHealthView, 'reachable' | 'writable' | 'reason' | 'checked_at'>;
  smart_proxies: Record<ProxyLiveStatus, number>;
}

/**
 * `GET /api/v2/status` and `GET /readyz`: what a health check or an operator needs to know at a
 * glance. Both read the background monitors (status/database-health.ts, proxies/proxy-monitor.ts)
 * and never wait on the database or a proxy, so they answer in milliseconds whatever hangs.
 */
export function createStatusService(deps: {
  databaseKind: Config['database']['type'];
  version: string;
  database: Pick<DatabaseHealth, 'view' | 'ready'>;
  proxies: ProxyHealth;
  /** The stored proxies in a view_smart_proxies scope (a registered proxy not checked yet is listed too). */
  proxiesIn: (scope: HostScope) => Promise<SmartProxyRow[]>;
}) {
  function reachability(stored: SmartProxyRow): ProxyReachability {
    const p = withLiveStatus(stored, deps.proxies);
    return {
      id: p.id,
      name: p.name,
      url: p.url,
      reachable: p.status === 'online',
      status: p.status as ProxyLiveStatus,
      last_contact_at: p.last_seen_at,
      checked_at: p.status_checked_at,
      ...(p.status_reason ? { error: p.status_reason } : {}),
    };
  }

  return {
    /** True when this instance should get traffic: the database answers and takes writes. */
    ready: () => deps.database.ready(),

    readiness(): Readiness {
      const { reachable, writable, reason, checked_at } = deps.database.view();
      const smartProxies: Record<ProxyLiveStatus, number> = { online: 0, offline: 0, unknown: 0 };
      for (const proxy of deps.proxies.all()) smartProxies[proxy.status] += 1;
      return { status: deps.database.ready() ? 'ready' : 'not_ready', database: { reachable, writable, ...(reason ? { reason } : {}), checked_at }, smart_proxies: smartProxies };
    },

    /**
     * Anyone may ask (a health check); `result` counts every proxy, but which proxies exist is
     * shown only to a caller allowed to see them. The database's failure is named by its kind
     * only (describeDatabaseFailure), never by a driver message that may carry its address.
     */
    async status(user?: CurrentUser): Promise<SystemStatus> {
      const db = deps.database.view();
      // From memory only: an anonymous health check touches neither the database nor a proxy.
      const degraded = !deps.database.ready() || deps.proxies.all().some((p) => p.status === 'offline');
      const body: SystemStatus = {
        result: degraded ? 'degraded' : 'ok',
        version: deps.version,
        database: {
          kind: deps.databaseKind,
          reachable: db.reachable,
          writable: db.writable,
          ...(db.reason ? { error: db.reason } : {}),
          ...(db.latency_ms !== undefined ? { latency_ms: db.latency_ms } : {}),
          checked_at: db.checked_at,
          ...(db.writes_failing_since ? { writes_failing_since: db.writes_failing_since } : {}),
        },
      };
      if (user && hasPermission(user, 'view_smart_proxies')) {
        body.smart_proxies = (await deps.proxiesIn(hostScope(user, 'view_smart_proxies'))).map(reachability);
      }
      return body;
    },
  };
}

export type StatusService = ReturnType<typeof createStatusService>;
