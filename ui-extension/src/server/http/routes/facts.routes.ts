import { Router } from 'express';
import { FACT_NAME_SEARCH } from '../../inventory/host.repository';
import type { InventoryService } from '../../inventory/inventory.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';
import { factNameSchema, listOf } from '../response-schemas';

export const factRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/fact_names', response: listOf(factNameSchema), tag: 'facts', summary: 'List fact names (search: name; a bare word is a substring or a pattern with *)', permission: 'authenticated', query: listQuerySchema, search: FACT_NAME_SEARCH },
});

/** `GET /api/v2/fact_names?search=<substring or pattern*>`, for completion of `facts.<name>`. */
export function createFactRoutes(inventory: InventoryService): Router {
  const router = Router();
  mount(router, factRouteSpecs.list, async (req, res) => {
    const query = parseInput(factRouteSpecs.list.query, req.query, 'query');
    const page = await inventory.listFactNames(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page });
    res.json(listEnvelope(query, page, { by: 'name', order: 'asc' }));
  });
  return router;
}
