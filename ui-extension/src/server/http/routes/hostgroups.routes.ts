import { Router } from 'express';
import { z } from 'zod';
import { HOSTGROUP_SEARCH } from '../../inventory/hostgroup.repository';
import type { InventoryService } from '../../inventory/inventory.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';
import { hostgroupSchema, listOf } from '../response-schemas';

const idOrTitle = z.string().min(1, 'is required').max(255, 'must be at most 255 characters');

export const hostgroupRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/hostgroups', response: listOf(hostgroupSchema), tag: 'hostgroups', summary: 'List hostgroups (search keys name, title, id, parent_id, parent)', permission: 'authenticated', query: listQuerySchema, search: HOSTGROUP_SEARCH },
  show: { method: 'get', path: '/hostgroups/:id', response: hostgroupSchema, tag: 'hostgroups', summary: 'Show a hostgroup by id or title', permission: 'authenticated', params: { id: idOrTitle } },
});

/** `GET /api/v2/hostgroups` (search keys name, title, id, parent_id, parent) and `/hostgroups/:id` (id or title). */
export function createHostgroupRoutes(inventory: InventoryService): Router {
  const router = Router();
  const specs = hostgroupRouteSpecs;
  mount(router, specs.list, async (req, res) => {
    const query = parseInput(specs.list.query, req.query, 'query');
    const page = await inventory.listHostgroups(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page });
    res.json(listEnvelope(query, page, { by: 'title', order: 'asc' }));
  });
  mount(router, specs.show, async (req, res) => {
    res.json(await inventory.getHostgroup(currentUser(req), parseInput(specs.show.params.id, req.params.id, 'id')));
  });
  return router;
}
