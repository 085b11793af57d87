import { Router } from 'express';
import { z } from 'zod';
import { FILTER_SEARCH_KEYS } from '../../auth/abilities';
import type { UserManagementService } from '../../auth/user-management.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';

const idOrName = z.string().min(1, 'is required').max(100, 'must be at most 100 characters');
const filterId = z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive');
const roleName = z.string().min(1, 'is required').max(100, 'must be at most 100 characters');
const description = z.string().max(255, 'must be at most 255 characters').nullable().optional();

const createRole = z.object({ role: z.object({ name: roleName, description }).strict() });
const updateRole = z.object({ role: z.object({ name: roleName.optional(), description }).strict() });
const cloneRole = z.object({ role: z.object({ name: roleName, description }).strict() });

const filterFields = {
  role_id: z.number({ invalid_type_error: 'must be a role id' }).int('must be a whole number').positive('must be positive'),
  permission_ids: z.array(z.number({ invalid_type_error: 'must be permission ids' }).int().positive()).max(50).optional(),
  permissions: z.array(z.string().max(50)).max(50).optional(),
  search: z.string().max(2000, 'must be at most 2000 characters').nullable().optional(),
};
const createFilter = z.object({ filter: z.object(filterFields).strict() });
const updateFilter = z.object({ filter: z.object(filterFields).partial().strict() });
const filtersQuery = listQuerySchema.extend({ role_id: z.coerce.number({ invalid_type_error: 'must be a number' }).int().positive().optional() });

/**
 * `/api/v2/roles`, `/api/v2/filters` and `/api/v2/permissions` (manage_users), as Foreman's: a
 * filter grants permissions to a role, narrowed by a search over the keys in FILTER_SEARCH_KEYS.
 * Built-in roles are locked; `POST /roles/:id/clone` makes an editable copy.
 */
export function createRoleRoutes(users: UserManagementService): Router {
  const router = Router();

  router.get('/permissions', (_req, res) => {
    const results = users.permissions();
    res.json({ total: results.length, subtotal: results.length, page: 1, per_page: results.length, search: null, sort: { by: 'id', order: 'asc' }, results, filter_search_keys: FILTER_SEARCH_KEYS });
  });

  router.get('/roles', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    res.json(listEnvelope(query, await users.listRoles(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page }), { by: 'name', order: 'asc' }));
  });

  router.post('/roles', async (req, res) => {
    const body = parseInput(createRole, req.body, 'body');
    const role = await users.createRole(currentUser(req), body.role);
    res.status(201).location(`/api/v2/roles/${role.id}`).json(role);
  });

  router.get('/roles/:id', async (req, res) => {
    res.json(await users.getRole(currentUser(req), parseInput(idOrName, req.params.id, 'id')));
  });

  router.put('/roles/:id', async (req, res) => {
    const body = parseInput(updateRole, req.body, 'body');
    res.json(await users.updateRole(currentUser(req), parseInput(idOrName, req.params.id, 'id'), body.role));
  });

  router.delete('/roles/:id', async (req, res) => {
    res.json(await users.deleteRole(currentUser(req), parseInput(idOrName, req.params.id, 'id')));
  });

  router.post('/roles/:id/clone', async (req, res) => {
    const body = parseInput(cloneRole, req.body, 'body');
    const role = await users.cloneRole(currentUser(req), parseInput(idOrName, req.params.id, 'id'), body.role);
    res.status(201).location(`/api/v2/roles/${role.id}`).json(role);
  });

  router.get('/roles/:id/filters', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    const role = await users.getRole(currentUser(req), parseInput(idOrName, req.params.id, 'id'));
    res.json(listEnvelope(query, await users.listFilters(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page, roleId: role.id }), { by: 'id', order: 'asc' }));
  });

  router.get('/filters', async (req, res) => {
    const query = parseInput(filtersQuery, req.query, 'query');
    res.json(listEnvelope(query, await users.listFilters(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page, roleId: query.role_id }), { by: 'id', order: 'asc' }));
  });

  router.post('/filters', async (req, res) => {
    const body = parseInput(createFilter, req.body, 'body');
    const filter = await users.createFilter(currentUser(req), body.filter);
    res.status(201).location(`/api/v2/filters/${filter.id}`).json(filter);
  });

  router.get('/filters/:id', async (req, res) => {
    res.json(await users.getFilter(currentUser(req), parseInput(filterId, req.params.id, 'id')));
  });

  router.put('/filters/:id', async (req, res) => {
    const body = parseInput(updateFilter, req.body, 'body');
    res.json(await users.updateFilter(currentUser(req), parseInput(filterId, req.params.id, 'id'), body.filter));
  });

  router.delete('/filters/:id', async (req, res) => {
    res.json(await users.deleteFilter(currentUser(req), parseInput(filterId, req.params.id, 'id')));
  });

  return router;
}
