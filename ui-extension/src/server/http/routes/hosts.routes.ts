import { Router } from 'express';
import { z } from 'zod';
import { HOST_SORTABLE, type HostSort } from '../../inventory/host.repository';
import type { InventoryService } from '../../inventory/inventory.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput, parseOrder } from '../validate';

const idOrName = z.string().min(1, 'is required').max(255, 'must be at most 255 characters');
const autocompleteQuery = z.object({ search: z.string().max(10000, 'must be at most 10000 characters').optional().default('') });

/**
 * `GET /api/v2/hosts` (Foreman's search/order/page/per_page), `/hosts/:id` (id or name),
 * `/hosts/:id/facts`, and `/hosts/auto_complete_search?search=<partial>`, which answers
 * `[{completed, part, label, category}]` as Foreman's search bar expects.
 */
export function createHostRoutes(inventory: InventoryService): Router {
  const router = Router();

  router.get('/hosts', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    const sort = parseOrder(query.order, HOST_SORTABLE, 'name') as HostSort;
    const page = await inventory.listHosts(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page, sort });
    res.json(listEnvelope(query, page, sort));
  });

  router.get('/hosts/auto_complete_search', async (req, res) => {
    const query = parseInput(autocompleteQuery, req.query, 'query');
    res.json(await inventory.autocompleteHosts(currentUser(req), query.search));
  });

  router.get('/hosts/:id', async (req, res) => {
    res.json(await inventory.getHost(currentUser(req), parseInput(idOrName, req.params.id, 'id')));
  });

  router.get('/hosts/:id/facts', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    const page = await inventory.hostFacts(currentUser(req), parseInput(idOrName, req.params.id, 'id'), { search: query.search, page: query.page, perPage: query.per_page });
    res.json(listEnvelope(query, page, { by: 'name', order: 'asc' }));
  });

  return router;
}
