import { auditContext, type AuditService } from '../audit/audit.service';
import { hostScope, requirePermission, type CurrentUser } from '../auth/abilities';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { inventoryChanged, writeHosts, type HostWriteSummary } from './host-writer';
import type { InventoryStore } from './inventory.repository';
import { readProxyFeatures, unreachableReason, type GetProxyInfo, type ProxyFeatures } from './smart-proxy-features';
import type { SmartProxyRow, SmartProxyWrite } from './smart-proxy.repository';

/** A node as a proxy's broker reports it (the proxy client's `listNodes`). */
export interface ProxyNode {
  identity: string;
  facts: Record<string, string>;
  classes: string[];
  agents: string[];
}

export type ListNodes = (proxyUrl: string) => Promise<ProxyNode[]>;

export interface ProxySyncSummary extends HostWriteSummary {
  smart_proxy_id: number;
  smart_proxy_name: string;
  nodes: number;
  /** Hosts of this proxy newly marked missing by this sync. */
  missing: number;
  /** The proxy's features and capabilities as it reported them now (and as they are stored). */
  features: string[];
  capabilities: string[];
  /** Stored fields the proxy's answer changed, each with its old and new value (a repaired capability list shows here). */
  proxy_changes: Record<string, [unknown, unknown]>;
}

export interface ProxySyncService {
  /** Reads the proxy's features (GetInfo), then upserts its nodes as its hosts with facts and marks hosts it no longer reports. */
  syncProxy(idOrName: string | number): Promise<ProxySyncSummary>;
  /** `syncProxy` for an API caller: needs manage_inventory, the proxy must be one the caller may see; audited. */
  refreshAs(user: CurrentUser, idOrName: string): Promise<ProxySyncSummary>;
  /** Syncs every proxy; one failing proxy is logged and reported, and does not stop the others. */
  syncAll(): Promise<Array<ProxySyncSummary | { smart_proxy_id: number; smart_proxy_name: string; error: string }>>;
  /** Registers a proxy or updates it, by name, as given (no contact: the all-in-one start and tests). */
  registerProxy(proxy: SmartProxyWrite): Promise<SmartProxyRow>;
}

export interface ProxySyncDeps {
  store: InventoryStore;
  listNodes: ListNodes;
  getInfo: GetProxyInfo;
  /**
   * Asks a proxy to read its catalogs again (its Puppet Tasks) and forgets the cached agent lists:
   * part of a refresh, so a task changed on the Puppet Server shows at once. Optional for tests.
   */
  refreshAgents?: (proxyUrl: string) => Promise<void>;
  audit: AuditService;
  clock: () => Date;
  logger: Logger;
  /** Fact naming a new host's hostgroup by title (`base/web`); unknown titles are ignored. */
  hostgroupFact?: string;
  /** Called after a proxy's stored features or capabilities changed (the namespace cache forgets it). */
  onProxyChanged?: () => void;
}

export const DEFAULT_HOSTGROUP_FACT = 'rex_hostgroup';

export function createProxySyncService(deps: ProxySyncDeps): ProxySyncService {
  const { store } = deps;
  const hostgroupFact = deps.hostgroupFact ?? DEFAULT_HOSTGROUP_FACT;
  const log = deps.logger;

  async function ask<T>(proxy: SmartProxyRow, what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      await store.smartProxies.setStatus(proxy.id, 'offline', deps.clock());
      throw new AppError('UNAVAILABLE', `smart proxy ${proxy.name} (${proxy.url}) ${what}: ${unreachableReason(error)}`, { cause: error });
    }
  }

  /**
   * One refresh: the proxy's features and capabilities (so a proxy imported without them, or
   * upgraded since, is repaired), then its nodes. Audited when a user asked for it, and otherwise
   * when it changed something (a quiet periodic sync writes no audit row).
   */
  async function sync(proxy: SmartProxyRow, user?: CurrentUser): Promise<ProxySyncSummary> {
    const started = Date.now();
    const features: ProxyFeatures = await ask(proxy, 'did not tell its features', () => readProxyFeatures(deps.getInfo, proxy.url));
    const nodes = await ask(proxy, 'did not list its nodes', () => deps.listNodes(proxy.url));
    const now = deps.clock();
    const summary = await store.transaction(async (repos, tx) => {
      const updated = await repos.smartProxies.updateById(proxy.id, features, now);
      const groups = new Map((await repos.hostgroups.all()).map((g) => [g.title.toLowerCase(), g.id]));
      // A broker may report a node twice (two collectives); the last report wins.
      const byName = new Map(nodes.map((n) => [n.identity.toLowerCase(), n]));
      const written = await writeHosts(repos, [...byName.values()].map((node) => ({
        name: node.identity,
        smartProxyId: proxy.id,
        defaultHostgroupId: groups.get((node.facts[hostgroupFact] ?? '').toLowerCase()) ?? null,
        lastSeenAt: now,
        missingSince: null,
        facts: node.facts,
      })), now, 'proxy');
      const vanished = (await repos.hosts.findBySmartProxy(proxy.id)).filter((h) => h.missingSince === null && !byName.has(h.name.toLowerCase()));
      await repos.hosts.markMissing(vanished.map((h) => h.id), now);
      await repos.smartProxies.setStatus(proxy.id, 'online', now);
      const result: ProxySyncSummary = {
        ...written,
        smart_proxy_id: proxy.id,
        smart_proxy_name: proxy.name,
        nodes: byName.size,
        missing: vanished.length,
        features: features.features,
        capabilities: features.capabilities,
        proxy_changes: updated?.changes ?? {},
      };
      if (user || inventoryChanged(written) || vanished.length > 0 || Object.keys(result.proxy_changes).length > 0) {
        const { smart_proxy_id: _id, smart_proxy_name: _name, ...changes } = result;
        await deps.audit.record({
          user: user ? { id: user.id, login: user.login } : null,
          action: 'refresh',
          object: { type: 'SmartProxy', id: proxy.id, name: proxy.name },
          changes,
          ...(user ? auditContext(user) : { source: 'scheduler', requestId: null }),
        }, tx);
      }
      return result;
    });
    if (Object.keys(summary.proxy_changes).length > 0) deps.onProxyChanged?.();
    log.info({ proxy: proxy.name, nodes: summary.nodes, created: summary.created, updated: summary.updated, missing: summary.missing, proxyChanges: Object.keys(summary.proxy_changes), ms: Date.now() - started }, 'proxy inventory synced');
    return summary;
  }

  return {
    async syncProxy(idOrName) {
      const proxy = await store.smartProxies.findByIdOrName(String(idOrName));
      if (!proxy) throw new AppError('NOT_FOUND', `smart proxy not found by id or name '${idOrName}'`);
      return sync(proxy);
    },

    async refreshAs(user, idOrName) {
      requirePermission(user, 'manage_inventory', 'refreshing a smart proxy');
      const proxy = await store.smartProxies.findByIdOrName(idOrName, hostScope(user, 'view_smart_proxies'));
      if (!proxy) throw new AppError('NOT_FOUND', `smart proxy not found by id or name '${idOrName}'`);
      if (deps.refreshAgents) {
        try {
          await deps.refreshAgents(proxy.url);
        } catch (error) {
          // The node sync below says whether the proxy answers; a catalog that could not be read again stays as it was.
          log.warn({ proxy: proxy.name, err: error }, 'proxy catalog refresh failed');
        }
      }
      return sync(proxy, user);
    },

    async syncAll() {
      const results: Awaited<ReturnType<ProxySyncService['syncAll']>> = [];
      for (const proxy of await store.smartProxies.list()) {
        try {
          results.push(await sync(proxy));
        } catch (error) {
          log.warn({ proxy: proxy.name, err: error }, 'proxy inventory sync failed');
          results.push({ smart_proxy_id: proxy.id, smart_proxy_name: proxy.name, error: (error as Error).message });
        }
      }
      return results;
    },

    async registerProxy(proxy) {
      const { row } = await store.smartProxies.upsertByName(proxy, deps.clock());
      return row;
    },
  };
}
