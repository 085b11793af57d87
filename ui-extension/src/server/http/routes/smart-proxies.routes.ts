import { Router } from 'express';
import { z } from 'zod';
import type { InventoryService } from '../../inventory/inventory.service';
import type { ProxySyncService } from '../../inventory/proxy-sync.service';
import { SMART_PROXY_SEARCH } from '../../inventory/smart-proxy.repository';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';

const idOrName = z.string().min(1, 'is required').max(191, 'must be at most 191 characters');

export const smartProxyRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/smart_proxies', tag: 'smart_proxies', summary: 'List smart proxies', permission: 'view_smart_proxies', query: listQuerySchema, search: SMART_PROXY_SEARCH },
  show: { method: 'get', path: '/smart_proxies/:id', tag: 'smart_proxies', summary: 'Show a smart proxy by id or name', permission: 'view_smart_proxies', params: { id: idOrName } },
  refresh: { method: 'post', path: '/smart_proxies/:id/refresh', tag: 'smart_proxies', summary: 'Ask a smart proxy again for its capabilities and agents', permission: 'manage_inventory', params: { id: idOrName } },
});

/** `GET /api/v2/smart_proxies`, `/smart_proxies/:id` (id or name), `POST /smart_proxies/:id/refresh` (manage_inventory). */
export function createSmartProxyRoutes(inventory: InventoryService, proxySync: ProxySyncService): Router {
  const router = Router();
  const specs = smartProxyRouteSpecs;
  mount(router, specs.list, async (req, res) => {
    const query = parseInput(specs.list.query, req.query, 'query');
    const page = await inventory.listSmartProxies(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page });
    res.json(listEnvelope(query, page, { by: 'name', order: 'asc' }));
  });
  mount(router, specs.show, async (req, res) => {
    res.json(await inventory.getSmartProxy(currentUser(req), parseInput(specs.show.params.id, req.params.id, 'id')));
  });
  mount(router, specs.refresh, async (req, res) => {
    res.json(await proxySync.refreshAs(currentUser(req), parseInput(specs.refresh.params.id, req.params.id, 'id')));
  });
  return router;
}
