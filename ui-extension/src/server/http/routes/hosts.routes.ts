import { Router } from 'express';
import { z } from 'zod';
import { HOST_FACT_SEARCH, HOST_SORTABLE, type HostSort } from '../../inventory/host.repository';
import { HOST_SEARCH } from '../../search/host-search';
import type { InventoryService } from '../../inventory/inventory.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, listQuerySchema, parseInput, parseOrder } from '../validate';
import { completionSchema, factSchema, hostSchema, listOf } from '../response-schemas';

const idOrName = z.string().min(1, 'is required').max(255, 'must be at most 255 characters');
const autocompleteQuery = z.object({ search: z.string().max(10000, 'must be at most 10000 characters').optional().default('') });

export const hostRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/hosts', response: listOf(hostSchema), tag: 'hosts', summary: 'List hosts (Foreman search, order, page, per_page)', permission: 'view_hosts', query: listQuerySchema, search: HOST_SEARCH },
  autocomplete: { method: 'get', path: '/hosts/auto_complete_search', response: z.array(completionSchema), tag: 'hosts', summary: 'Completions of a partial host search, as Foreman\'s search bar expects', permission: 'view_hosts', query: autocompleteQuery },
  show: { method: 'get', path: '/hosts/:id', response: hostSchema, tag: 'hosts', summary: 'Show a host by id or name', permission: 'view_hosts', params: { id: idOrName } },
  facts: { method: 'get', path: '/hosts/:id/facts', response: listOf(factSchema), tag: 'hosts', summary: 'List a host\'s facts (search: name, value; a bare word is a name substring or pattern)', permission: 'view_hosts', params: { id: idOrName }, query: listQuerySchema, search: HOST_FACT_SEARCH },
});

/**
 * `GET /api/v2/hosts` (Foreman's search/order/page/per_page), `/hosts/:id` (id or name),
 * `/hosts/:id/facts`, and `/hosts/auto_complete_search?search=<partial>`, which answers
 * `[{completed, part, label, category}]` as Foreman's search bar expects.
 */
export function createHostRoutes(inventory: InventoryService): Router {
  const router = Router();
  const specs = hostRouteSpecs;

  mount(router, specs.list, async (req, res) => {
    const query = parseInput(specs.list.query, req.query, 'query');
    const sort = parseOrder(query.order, HOST_SORTABLE, 'name') as HostSort;
    const page = await inventory.listHosts(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page, sort });
    res.json(listEnvelope(query, page, sort));
  });

  mount(router, specs.autocomplete, async (req, res) => {
    const query = parseInput(specs.autocomplete.query, req.query, 'query');
    res.json(await inventory.autocompleteHosts(currentUser(req), query.search));
  });

  mount(router, specs.show, async (req, res) => {
    res.json(await inventory.getHost(currentUser(req), parseInput(specs.show.params.id, req.params.id, 'id')));
  });

  mount(router, specs.facts, async (req, res) => {
    const query = parseInput(specs.facts.query, req.query, 'query');
    const page = await inventory.hostFacts(currentUser(req), parseInput(specs.facts.params.id, req.params.id, 'id'), { search: query.search, page: query.page, perPage: query.per_page });
    res.json(listEnvelope(query, page, { by: 'name', order: 'asc' }));
  });

  return router;
}
