import { Router } from 'express';
import { z } from 'zod';
import type { InventoryService } from '../../inventory/inventory.service';
import type { ProxySyncService } from '../../inventory/proxy-sync.service';
import type { SmartProxyRegistration } from '../../inventory/smart-proxy-registration.service';
import { SMART_PROXY_SEARCH } from '../../inventory/smart-proxy.repository';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';
import { listOf, refreshReportSchema, smartProxySchema } from '../response-schemas';

const idOrName = z.string().min(1, 'is required').max(191, 'must be at most 191 characters');

/** The fields Foreman's `smart_proxy` takes that mean something here: the name and the gRPC address. */
const proxyFields = {
  // Digits only would read as an id in `/smart_proxies/:id`.
  name: z.string({ invalid_type_error: 'must be a string' }).trim().min(1, 'is required').max(191, 'must be at most 191 characters')
    .refine((n) => !/^\d+$/.test(n), 'must not be only digits (it would read as an id)'),
  url: z.string({ invalid_type_error: 'must be a string' }).trim().regex(/^[^\s/]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:50051'),
};
const createProxy = z.object({ smart_proxy: z.object(proxyFields).strict() });
const updateProxy = z.object({ smart_proxy: z.object(proxyFields).partial().strict().refine((p) => Object.keys(p).length > 0, { message: 'must change name or url' }) });

export const smartProxyRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/smart_proxies', response: listOf(smartProxySchema), tag: 'smart_proxies', summary: 'List smart proxies', permission: 'view_smart_proxies', query: listQuerySchema, search: SMART_PROXY_SEARCH },
  show: { method: 'get', path: '/smart_proxies/:id', response: smartProxySchema, tag: 'smart_proxies', summary: 'Show a smart proxy by id or name', permission: 'view_smart_proxies', params: { id: idOrName } },
  create: {
    method: 'post', path: '/smart_proxies', response: smartProxySchema, tag: 'smart_proxies', permission: 'manage_inventory', body: createProxy, status: 201,
    summary: 'Register a smart proxy: it is asked for its features and capabilities (422 naming the reason when it cannot be reached); its hosts come with its refresh',
  },
  update: {
    method: 'put', path: '/smart_proxies/:id', response: smartProxySchema, tag: 'smart_proxies', permission: 'manage_inventory', params: { id: idOrName }, body: updateProxy,
    summary: 'Rename a smart proxy or change its URL; it is asked again for its features and capabilities (422 when it cannot be reached)',
  },
  refresh: { method: 'post', path: '/smart_proxies/:id/refresh', response: refreshReportSchema, tag: 'smart_proxies', summary: 'Ask a smart proxy again for its features, capabilities and nodes (its hosts and their facts)', permission: 'manage_inventory', params: { id: idOrName } },
});

/**
 * `GET /api/v2/smart_proxies`, `/smart_proxies/:id` (id or name); with manage_inventory
 * `POST /smart_proxies`, `PUT /smart_proxies/:id` (Foreman's `{"smart_proxy": {...}}`) and
 * `POST /smart_proxies/:id/refresh`.
 */
export function createSmartProxyRoutes(inventory: InventoryService, proxySync: ProxySyncService, registration: SmartProxyRegistration): Router {
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
  mount(router, specs.create, async (req, res) => {
    const body = parseInput(specs.create.body, req.body, 'body');
    const created = await registration.createAs(currentUser(req), body.smart_proxy);
    res.status(201).location(`/api/v2/smart_proxies/${created.id}`).json(created);
  });
  mount(router, specs.update, async (req, res) => {
    const body = parseInput(specs.update.body, req.body, 'body');
    res.json(await registration.updateAs(currentUser(req), parseInput(specs.update.params.id, req.params.id, 'id'), body.smart_proxy));
  });
  mount(router, specs.refresh, async (req, res) => {
    res.json(await proxySync.refreshAs(currentUser(req), parseInput(specs.refresh.params.id, req.params.id, 'id')));
  });
  return router;
}
