import type { Namespace } from '@common/jobs';
import type { AgentDdl__Output } from '@protos/generated/rex/proxy/v1/AgentDdl';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { coversAction, hostScope, requirePermission, type CurrentUser, type HostScope } from '../auth/abilities';
import { AppError, isAppError } from '../errors';
import type { Logger } from '../logger';

/** The capability a proxy must advertise to run actions (as Foreman's proxy features). */
export const REMOTE_EXECUTION_CAPABILITY = 'remote_execution';

export interface NamespaceProxy {
  id: number;
  name: string;
  url: string;
  capabilities: string[];
}

export interface NamespaceServiceDeps {
  /** `listIn` gives the proxies of a view_smart_proxies scope; without it a limited user sees no proxy ids. */
  smartProxies: { list(): Promise<NamespaceProxy[]>; listIn?(scope: HostScope): Promise<Array<{ id: number }>> };
  /** `refresh`: the proxy reads its catalogs again first (a proxy refresh). */
  proxies: { listAgents(url: string, options?: { refresh?: boolean }): Promise<AgentDdl__Output[]> };
  clock: () => Date;
  logger: Logger;
  /** How long one proxy's agent list is reused; DDLs change only when a proxy is redeployed. */
  ttlMs?: number;
}

export interface CatalogAction {
  namespace: string;
  action: DdlAction__Output;
  /** The agent's default timeout in seconds (0 when the DDL names none). */
  timeout: number;
}

/**
 * Namespaces (agents) and their actions from every reachable proxy's ListAgents, merged by name and
 * cached briefly. An unreachable proxy is left out (and logged), not an error for the whole list.
 */
export function createNamespaceService(deps: NamespaceServiceDeps) {
  const ttlMs = deps.ttlMs ?? 30_000;
  const cache = new Map<number, { at: number; agents: AgentDdl__Output[] }>();
  const inflight = new Map<number, Promise<AgentDdl__Output[] | undefined>>();
  /** Why each proxy's last agent list failed, to say so when no proxy knows a namespace. */
  const failures = new Map<number, string>();

  async function agentsOf(proxy: NamespaceProxy): Promise<AgentDdl__Output[] | undefined> {
    const hit = cache.get(proxy.id);
    const now = deps.clock().getTime();
    if (hit && now - hit.at < ttlMs) return hit.agents;
    let call = inflight.get(proxy.id);
    if (!call) {
      call = deps.proxies.listAgents(proxy.url).then(
        (agents) => {
          failures.delete(proxy.id);
          cache.set(proxy.id, { at: deps.clock().getTime(), agents });
          return agents;
        },
        (error: unknown) => {
          deps.logger.warn({ proxy: proxy.name, err: error }, 'cannot list agents of smart proxy');
          failures.set(proxy.id, isAppError(error) ? error.message : 'the call failed');
          return undefined;
        },
      ).finally(() => inflight.delete(proxy.id));
      inflight.set(proxy.id, call);
    }
    return call;
  }

  async function collect(smartProxyId?: number): Promise<Map<string, { agent: AgentDdl__Output; proxyIds: number[] }>> {
    const proxies = (await deps.smartProxies.list()).filter((p) => p.capabilities.includes(REMOTE_EXECUTION_CAPABILITY) && (smartProxyId === undefined || p.id === smartProxyId));
    const lists = await Promise.all(proxies.map(async (p) => ({ proxy: p, agents: await agentsOf(p) })));
    const merged = new Map<string, { agent: AgentDdl__Output; proxyIds: number[] }>();
    for (const { proxy, agents } of lists) {
      for (const agent of agents ?? []) {
        const name = agent.metadata?.name ?? '';
        if (!name) continue;
        const seen = merged.get(name);
        if (seen) seen.proxyIds.push(proxy.id);
        // The first proxy's DDL wins; proxies of one deployment ship the same DDL directory.
        else merged.set(name, { agent, proxyIds: [proxy.id] });
      }
    }
    return merged;
  }

  /** What each smart proxy lacks to run `namespace`; the proxies outside the viewer's sight only counted. */
  async function whyUnknown(namespace: string, viewer?: CurrentUser): Promise<{ text: string; proxies: Array<{ id: number; name: string; lacks: string }> }> {
    const all = await deps.smartProxies.list();
    if (all.length === 0) return { text: 'no smart proxy is registered (register one: POST /api/v2/smart_proxies)', proxies: [] };
    const scope = viewer ? hostScope(viewer, 'view_smart_proxies') : undefined;
    const visible = !scope || scope.all ? undefined : new Set((await deps.smartProxies.listIn?.(scope) ?? []).map((p) => p.id));
    const proxies: Array<{ id: number; name: string; lacks: string }> = [];
    for (const proxy of all.filter((p) => !visible || visible.has(p.id))) {
      let lacks: string;
      if (!proxy.capabilities.includes(REMOTE_EXECUTION_CAPABILITY)) {
        const has = proxy.capabilities.length > 0 ? `it has ${proxy.capabilities.join(', ')}` : 'it has none stored';
        lacks = `the ${REMOTE_EXECUTION_CAPABILITY} capability (${has}; refresh it to read them from the proxy: POST /api/v2/smart_proxies/${proxy.id}/refresh)`;
      } else {
        // Cached by collect() a moment ago: no second call to the proxy.
        const agents = await agentsOf(proxy);
        lacks = agents === undefined ? `an answer (${failures.get(proxy.id) ?? 'it did not list its agents'})` : `the agent '${namespace}' (it has ${agents.map((a) => a.metadata?.name).filter(Boolean).join(', ') || 'none'})`;
      }
      proxies.push({ id: proxy.id, name: proxy.name, lacks });
    }
    const hidden = all.length - proxies.length;
    const parts = proxies.map((p) => `smart proxy ${p.name} lacks ${p.lacks}`);
    if (hidden > 0) parts.push(`${hidden} smart ${hidden === 1 ? 'proxy' : 'proxies'} you may not see`);
    return { text: parts.join('; '), proxies };
  }

  return {
    /**
     * The namespaces the user may run something of (create_jobs), each with only the actions
     * the user's filters allow; a namespace the user may not use is not listed at all.
     */
    async list(user: CurrentUser, filter: { smartProxyId?: number } = {}): Promise<Namespace[]> {
      requirePermission(user, 'create_jobs', 'listing namespaces');
      const merged = await collect(filter.smartProxyId);
      // Which proxies offer an agent is shown only for proxies the user may see.
      const proxyScope = hostScope(user, 'view_smart_proxies');
      const visibleProxies = proxyScope.all ? undefined : new Set((await deps.smartProxies.listIn?.(proxyScope) ?? []).map((p) => p.id));
      return [...merged.values()]
        .filter(({ agent }) => coversAction(user, 'create_jobs', agent.metadata!.name))
        .map(({ agent, proxyIds }) => ({
          name: agent.metadata!.name,
          description: agent.metadata?.description ?? '',
          version: agent.metadata?.version ?? '',
          timeout: agent.metadata?.timeout ?? 0,
          smart_proxy_ids: proxyIds.filter((id) => !visibleProxies || visibleProxies.has(id)).sort((a, b) => a - b),
          actions: agent.actions.filter((a) => coversAction(user, 'create_jobs', agent.metadata!.name, a.name)).map((a) => ({ name: a.name, description: a.description, display: a.display, inputs: a.inputs, outputs: a.outputs, aggregates: a.aggregates })),
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },

    /**
     * The DDL of one action, or INVALID_ARGUMENT naming what is unknown. When no proxy knows the
     * namespace, the error says, per smart proxy, what it lacks (the capability, the agent, or an
     * answer); for a `viewer`, only of the proxies it may see, the others counted.
     */
    async findAction(namespace: string, action: string, viewer?: CurrentUser): Promise<CatalogAction> {
      const merged = await collect();
      const entry = merged.get(namespace);
      if (!entry) {
        const why = await whyUnknown(namespace, viewer);
        throw new AppError('INVALID_ARGUMENT', `namespace '${namespace}' is not known to any reachable smart proxy: ${why.text}`, { httpStatus: 422, details: { input: 'namespace', rule: 'known namespace', smart_proxies: why.proxies } });
      }
      const ddl = entry.agent.actions.find((a) => a.name === action);
      if (!ddl) {
        throw new AppError('INVALID_ARGUMENT', `namespace '${namespace}' has no action '${action}'; it has ${entry.agent.actions.map((a) => a.name).join(', ')}`, { httpStatus: 422, details: { input: 'action', rule: 'known action' } });
      }
      return { namespace, action: ddl, timeout: entry.agent.metadata?.timeout ?? 0 };
    },

    /** Forgets cached agent lists (after a proxy was refreshed). */
    invalidate(): void {
      cache.clear();
    },
  };
}

export type NamespaceService = ReturnType<typeof createNamespaceService>;
