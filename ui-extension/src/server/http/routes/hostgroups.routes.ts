import { Router } from 'express';
import { z } from 'zod';
import type { InventoryService } from '../../inventory/inventory.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';

const idOrTitle = z.string().min(1, 'is required').max(255, 'must be at most 255 characters');

/** `GET /api/v2/hostgroups` (search keys name, title, id, parent_id, parent) and `/hostgroups/:id` (id or title). */
export function createHostgroupRoutes(inventory: InventoryService): Router {
  const router = Router();
  router.get('/hostgroups', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    const page = await inventory.listHostgroups(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page });
    res.json(listEnvelope(query, page, { by: 'title', order: 'asc' }));
  });
  router.get('/hostgroups/:id', async (req, res) => {
    res.json(await inventory.getHostgroup(currentUser(req), parseInput(idOrTitle, req.params.id, 'id')));
  });
  return router;
}
