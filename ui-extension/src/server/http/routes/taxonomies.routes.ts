import { Router } from 'express';
import type { InventoryService } from '../../inventory/inventory.service';
import { TAXONOMY_SEARCH } from '../../inventory/taxonomy.repository';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';
import { listOf, taxonomySchema } from '../response-schemas';

export const taxonomyRouteSpecs = defineRoutes({
  organizations: { method: 'get', path: '/organizations', response: listOf(taxonomySchema), tag: 'taxonomies', summary: 'List organizations (search: name, id; a bare word is a name substring)', permission: 'authenticated', query: listQuerySchema, search: TAXONOMY_SEARCH },
  locations: { method: 'get', path: '/locations', response: listOf(taxonomySchema), tag: 'taxonomies', summary: 'List locations (search: name, id; a bare word is a name substring)', permission: 'authenticated', query: listQuerySchema, search: TAXONOMY_SEARCH },
});

/** `GET /api/v2/organizations` and `/api/v2/locations`, searched by name and id. */
export function createTaxonomyRoutes(inventory: InventoryService): Router {
  const router = Router();
  for (const [spec, kind] of [[taxonomyRouteSpecs.organizations, 'organization'], [taxonomyRouteSpecs.locations, 'location']] as const) {
    mount(router, spec, async (req, res) => {
      const query = parseInput(spec.query, req.query, 'query');
      const page = await inventory.listTaxonomies(currentUser(req), kind, { search: query.search, page: query.page, perPage: query.per_page });
      res.json(listEnvelope(query, page, { by: 'name', order: 'asc' }));
    });
  }
  return router;
}
