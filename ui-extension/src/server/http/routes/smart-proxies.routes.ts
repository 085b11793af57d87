import { Router } from 'express';
import { z } from 'zod';
import type { InventoryService } from '../../inventory/inventory.service';
import type { ProxySyncService } from '../../inventory/proxy-sync.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';

const idOrName = z.string().min(1, 'is required').max(191, 'must be at most 191 characters');

/** `GET /api/v2/smart_proxies`, `/smart_proxies/:id` (id or name), `POST /smart_proxies/:id/refresh` (manage_inventory). */
export function createSmartProxyRoutes(inventory: InventoryService, proxySync: ProxySyncService): Router {
  const router = Router();
  router.get('/smart_proxies', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    const page = await inventory.listSmartProxies(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page });
    res.json(listEnvelope(query, page, { by: 'name', order: 'asc' }));
  });
  router.get('/smart_proxies/:id', async (req, res) => {
    res.json(await inventory.getSmartProxy(currentUser(req), parseInput(idOrName, req.params.id, 'id')));
  });
  router.post('/smart_proxies/:id/refresh', async (req, res) => {
    res.json(await proxySync.refreshAs(currentUser(req), parseInput(idOrName, req.params.id, 'id')));
  });
  return router;
}
