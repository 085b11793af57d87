import { auditContext, type AuditService } from '../audit/audit.service';
import { hostScope, requirePermission, type CurrentUser } from '../auth/abilities';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { InventoryStore } from './inventory.repository';
import { readProxyFeatures, unreachableReason, type GetProxyInfo, type ProxyFeatures } from './smart-proxy-features';
import type { SmartProxyRow } from './smart-proxy.repository';

/** What a caller gives to register a proxy (Foreman's `smart_proxy` name and url). */
export interface SmartProxyInput {
  name: string;
  /** gRPC address, `host:port`. */
  url: string;
}

/**
 * Registering smart proxies the way Foreman does: `POST /smart_proxies` and `PUT /smart_proxies/:id`
 * contact the proxy at its URL, read its features and capabilities (GetInfo; Foreman's "Refresh
 * features") and store them, so a registered proxy can run jobs at once. A proxy that cannot be
 * reached is refused (422 with the reason) and nothing is stored. Hosts come with the proxy's
 * refresh or the periodic sync (proxy-sync.service.ts). Needs manage_inventory; every change is
 * audited with what it changed.
 */
export function createSmartProxyRegistration(deps: { store: InventoryStore; getInfo: GetProxyInfo; audit: AuditService; clock: () => Date; logger: Logger; onProxyChanged?: () => void }) {
  const { store } = deps;

  async function contact(url: string): Promise<ProxyFeatures> {
    try {
      return await readProxyFeatures(deps.getInfo, url);
    } catch (error) {
      throw new AppError('INVALID_ARGUMENT', `smart_proxy.url: the smart proxy at ${url} cannot be reached, so its features are unknown: ${unreachableReason(error)}`, {
        cause: error,
        httpStatus: 422,
        details: { fields: [{ field: 'smart_proxy.url', rule: 'a reachable smart proxy' }] },
      });
    }
  }

  async function refuseTakenName(name: string, except?: number): Promise<void> {
    const taken = await store.smartProxies.findByIdOrName(name);
    // Names made only of digits would read as ids in `/smart_proxies/:id`; the schema refuses them.
    if (taken && taken.id !== except) throw new AppError('ALREADY_EXISTS', `smart_proxy.name: a smart proxy named '${name}' exists (id ${taken.id})`, { details: { fields: [{ field: 'smart_proxy.name', rule: 'unique' }] } });
  }

  return {
    async createAs(user: CurrentUser, input: SmartProxyInput): Promise<SmartProxyRow> {
      requirePermission(user, 'manage_inventory', 'registering a smart proxy');
      await refuseTakenName(input.name);
      const features = await contact(input.url);
      const now = deps.clock();
      const row = await store.transaction(async (repos, tx) => {
        const created = await repos.smartProxies.insert({ name: input.name, url: input.url, ...features }, now);
        await repos.smartProxies.setStatus(created.id, 'online', now);
        await deps.audit.record({ user: { id: user.id, login: user.login }, action: 'create', object: { type: 'SmartProxy', id: created.id, name: created.name }, changes: { url: input.url, ...features }, ...auditContext(user) }, tx);
        return (await repos.smartProxies.findByIds([created.id]))[0];
      });
      deps.onProxyChanged?.();
      deps.logger.info({ proxy: row.name, url: row.url, capabilities: row.capabilities, by: user.login }, 'smart proxy registered');
      return row;
    },

    /** Renames or moves a proxy (fields left out stay), and reads its features again at its (new) URL. */
    async updateAs(user: CurrentUser, idOrName: string, patch: Partial<SmartProxyInput>): Promise<SmartProxyRow> {
      requirePermission(user, 'manage_inventory', 'changing a smart proxy');
      const proxy = await store.smartProxies.findByIdOrName(idOrName, hostScope(user, 'view_smart_proxies'));
      if (!proxy) throw new AppError('NOT_FOUND', `smart proxy not found by id or name '${idOrName}'`);
      if (patch.name !== undefined) await refuseTakenName(patch.name, proxy.id);
      const url = patch.url ?? proxy.url;
      const features = await contact(url);
      const now = deps.clock();
      const { row, changes } = await store.transaction(async (repos, tx) => {
        const updated = (await repos.smartProxies.updateById(proxy.id, { ...features, url, ...(patch.name !== undefined ? { name: patch.name } : {}) }, now))!;
        await repos.smartProxies.setStatus(proxy.id, 'online', now);
        if (Object.keys(updated.changes).length > 0) {
          await deps.audit.record({ user: { id: user.id, login: user.login }, action: 'update', object: { type: 'SmartProxy', id: proxy.id, name: updated.row.name }, changes: updated.changes, ...auditContext(user) }, tx);
        }
        return { row: (await repos.smartProxies.findByIds([proxy.id]))[0], changes: updated.changes };
      });
      if (Object.keys(changes).length > 0) deps.onProxyChanged?.();
      deps.logger.info({ proxy: row.name, changed: Object.keys(changes), by: user.login }, 'smart proxy updated');
      return row;
    },
  };
}

export type SmartProxyRegistration = ReturnType<typeof createSmartProxyRegistration>;
