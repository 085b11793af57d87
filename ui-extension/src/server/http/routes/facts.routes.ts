import { Router } from 'express';
import { z } from 'zod';
import { FACT_NAME_SEARCH } from '../../inventory/host.repository';
import type { InventoryService } from '../../inventory/inventory.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';
import { factNameSchema, factValueSchema, listOf } from '../response-schemas';

const factValuesQuery = listQuerySchema.pick({ page: true, per_page: true });

export const factRouteSpecs = defineRoutes({
  values: {
    method: 'get',
    path: '/fact_names/:name/values',
    response: listOf(factValueSchema, { fact: z.string(), hosts: z.number().int().describe('Hosts you may see that have the fact') }),
    tag: 'facts',
    summary: 'A fact\'s values on the hosts you may see, each with the number of hosts that have it, most frequent first (as mco facts reports them)',
    permission: 'view_hosts',
    params: { name: z.string().min(1, 'is required').max(255, 'must be at most 255 characters') },
    query: factValuesQuery,
  },
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
  mount(router, factRouteSpecs.values, async (req, res) => {
    const name = parseInput(factRouteSpecs.values.params.name, req.params.name, 'name');
    const query = parseInput(factRouteSpecs.values.query, req.query, 'query');
    const page = await inventory.factValues(currentUser(req), name, { page: query.page, perPage: query.per_page });
    res.json({ ...listEnvelope({ ...query, search: '' }, page, { by: 'count', order: 'desc' }), fact: name, hosts: page.hosts });
  });
  return router;
}
