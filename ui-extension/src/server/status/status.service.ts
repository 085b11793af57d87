import type { DataSource } from 'typeorm';
import { hasPermission, hostScope, type CurrentUser, type HostScope } from '../auth/abilities';
import type { Config } from '../config';
import { publicDatabaseError } from './database-error';

export interface ProxyReachability {
  id: number;
  name: string;
  url: string;
  reachable: boolean;
  error?: string;
}

export interface SystemStatus {
  result: 'ok' | 'degraded';
  version: string;
  database: { kind: Config['database']['type']; reachable: boolean; error?: string; latency_ms?: number };
  /** Only for an authenticated caller with view_smart_proxies, and only the proxies in their scope. */
  smart_proxies?: ProxyReachability[];
}

const PING_TIMEOUT_MS = 2000;

/** `GET /api/v2/status`: what a health check or an operator needs to know at a glance. */
export function createStatusService(deps: {
  dataSource: DataSource;
  databaseKind: Config['database']['type'];
  version: string;
  /** Reachability of every registered proxy; empty until proxies are registered. */
  proxyReachability: () => Promise<ProxyReachability[]>;
  /** Ids of the proxies in a view_smart_proxies scope. */
  proxyIdsIn: (scope: HostScope) => Promise<number[]>;
}) {
  async function pingDatabase(): Promise<SystemStatus['database']> {
    const started = Date.now();
    try {
      await Promise.race([
        deps.dataSource.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS).unref()),
      ]);
      return { kind: deps.databaseKind, reachable: true, latency_ms: Date.now() - started };
    } catch (error) {
      return { kind: deps.databaseKind, reachable: false, error: publicDatabaseError(error) };
    }
  }

  return {
    /**
     * Anyone may ask (a health check); `result` counts every proxy, but which proxies exist is
     * shown only to a caller allowed to see them.
     */
    async status(user?: CurrentUser): Promise<SystemStatus> {
      const [database, proxies] = await Promise.all([pingDatabase(), deps.proxyReachability().catch(() => [])]);
      const degraded = !database.reachable || proxies.some((p) => !p.reachable);
      const body: SystemStatus = { result: degraded ? 'degraded' : 'ok', version: deps.version, database };
      if (user && hasPermission(user, 'view_smart_proxies')) {
        const scope = hostScope(user, 'view_smart_proxies');
        const visible = scope.all ? undefined : new Set(await deps.proxyIdsIn(scope));
        body.smart_proxies = visible ? proxies.filter((p) => visible.has(p.id)) : proxies;
      }
      return body;
    },
  };
}

export type StatusService = ReturnType<typeof createStatusService>;
