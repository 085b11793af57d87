import type { DataSource } from 'typeorm';
import type { Config } from '../config';

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
  smart_proxies: ProxyReachability[];
}

const PING_TIMEOUT_MS = 2000;

/** `GET /api/v2/status`: what a health check or an operator needs to know at a glance. */
export function createStatusService(deps: {
  dataSource: DataSource;
  databaseKind: Config['database']['type'];
  version: string;
  /** Reachability of every registered proxy; empty until proxies are registered. */
  proxyReachability: () => Promise<ProxyReachability[]>;
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
      return { kind: deps.databaseKind, reachable: false, error: (error as Error).message };
    }
  }

  return {
    async status(): Promise<SystemStatus> {
      const [database, proxies] = await Promise.all([pingDatabase(), deps.proxyReachability().catch(() => [])]);
      const degraded = !database.reachable || proxies.some((p) => !p.reachable);
      return { result: degraded ? 'degraded' : 'ok', version: deps.version, database, smart_proxies: proxies };
    },
  };
}

export type StatusService = ReturnType<typeof createStatusService>;
