import { Router } from 'express';
import type { InventoryService } from '../../inventory/inventory.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';

/** `GET /api/v2/fact_names?search=<substring or pattern*>`, for completion of `facts.<name>`. */
export function createFactRoutes(inventory: InventoryService): Router {
  const router = Router();
  router.get('/fact_names', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    const page = await inventory.listFactNames(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page });
    res.json(listEnvelope(query, page, { by: 'name', order: 'asc' }));
  });
  return router;
}
