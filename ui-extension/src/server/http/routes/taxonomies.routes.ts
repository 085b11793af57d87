import { Router } from 'express';
import type { InventoryService } from '../../inventory/inventory.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';

/** `GET /api/v2/organizations` and `/api/v2/locations`; `search` matches a name substring. */
export function createTaxonomyRoutes(inventory: InventoryService): Router {
  const router = Router();
  for (const [path, kind] of [['/organizations', 'organization'], ['/locations', 'location']] as const) {
    router.get(path, async (req, res) => {
      const query = parseInput(listQuerySchema, req.query, 'query');
      const page = await inventory.listTaxonomies(currentUser(req), kind, { search: query.search, page: query.page, perPage: query.per_page });
      res.json(listEnvelope(query, page, { by: 'name', order: 'asc' }));
    });
  }
  return router;
}
