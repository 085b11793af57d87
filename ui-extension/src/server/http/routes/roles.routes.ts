import { Router } from 'express';
import { z } from 'zod';
import { FILTER_SEARCH_KEYS } from '../../auth/abilities';
import type { UserManagementService } from '../../auth/user-management.service';
import { FILTER_SEARCH, ROLE_SEARCH } from '../../auth/user.repository';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { decimalId, listEnvelope, listQuerySchema, parseInput } from '../validate';
import { filterSchema, listOf, permissionSchema, roleSchema } from '../response-schemas';

const idOrName = z.string().min(1, 'is required').max(100, 'must be at most 100 characters');
const filterId = decimalId;
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
const filtersQuery = listQuerySchema.extend({ role_id: decimalId.optional() });

export const roleRouteSpecs = defineRoutes({
  permissions: { method: 'get', path: '/permissions', response: listOf(permissionSchema, { filter_search_keys: z.array(z.string()) }), tag: 'roles', summary: 'The permissions a filter may grant, and the search keys of filters', permission: 'authenticated' },
  list: { method: 'get', path: '/roles', response: listOf(roleSchema), tag: 'roles', summary: 'List roles', permission: 'manage_users', query: listQuerySchema, search: ROLE_SEARCH },
  create: { method: 'post', path: '/roles', response: roleSchema, tag: 'roles', summary: 'Create a role', permission: 'manage_users', body: createRole, status: 201 },
  show: { method: 'get', path: '/roles/:id', response: roleSchema, tag: 'roles', summary: 'Show a role by id or name', permission: 'manage_users', params: { id: idOrName } },
  update: { method: 'put', path: '/roles/:id', response: roleSchema, tag: 'roles', summary: 'Change a role (built-in roles are locked)', permission: 'manage_users', params: { id: idOrName }, body: updateRole },
  delete: { method: 'delete', path: '/roles/:id', response: roleSchema, tag: 'roles', summary: 'Delete a role', permission: 'manage_users', params: { id: idOrName } },
  clone: { method: 'post', path: '/roles/:id/clone', response: roleSchema, tag: 'roles', summary: 'Copy a role under a new name', permission: 'manage_users', params: { id: idOrName }, body: cloneRole, status: 201 },
  roleFilters: { method: 'get', path: '/roles/:id/filters', response: listOf(filterSchema), tag: 'roles', summary: 'List a role\'s filters', permission: 'manage_users', params: { id: idOrName }, query: listQuerySchema, search: FILTER_SEARCH },
  listFilters: { method: 'get', path: '/filters', response: listOf(filterSchema), tag: 'filters', summary: 'List filters (role_id narrows to one role)', permission: 'manage_users', query: filtersQuery, search: FILTER_SEARCH },
  createFilter: { method: 'post', path: '/filters', response: filterSchema, tag: 'filters', summary: 'Grant permissions to a role, narrowed by a search', permission: 'manage_users', body: createFilter, status: 201 },
  showFilter: { method: 'get', path: '/filters/:id', response: filterSchema, tag: 'filters', summary: 'Show a filter', permission: 'manage_users', params: { id: filterId } },
  updateFilter: { method: 'put', path: '/filters/:id', response: filterSchema, tag: 'filters', summary: 'Change a filter', permission: 'manage_users', params: { id: filterId }, body: updateFilter },
  deleteFilter: { method: 'delete', path: '/filters/:id', response: filterSchema, tag: 'filters', summary: 'Delete a filter', permission: 'manage_users', params: { id: filterId } },
});

/**
 * `/api/v2/roles`, `/api/v2/filters` and `/api/v2/permissions` (manage_users), as Foreman's: a
 * filter grants permissions to a role, narrowed by a search over the keys in FILTER_SEARCH_KEYS.
 * Built-in roles are locked; `POST /roles/:id/clone` makes an editable copy.
 */
export function createRoleRoutes(users: UserManagementService): Router {
  const router = Router();
  const specs = roleRouteSpecs;

  mount(router, specs.permissions, (_req, res) => {
    const results = users.permissions();
    res.json({ total: results.length, subtotal: results.length, page: 1, per_page: results.length, search: null, sort: { by: 'id', order: 'asc' }, results, filter_search_keys: FILTER_SEARCH_KEYS });
  });

  mount(router, specs.list, async (req, res) => {
    const query = parseInput(specs.list.query, req.query, 'query');
    res.json(listEnvelope(query, await users.listRoles(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page }), { by: 'name', order: 'asc' }));
  });

  mount(router, specs.create, async (req, res) => {
    const body = parseInput(specs.create.body, req.body, 'body');
    const role = await users.createRole(currentUser(req), body.role);
    res.status(201).location(`/api/v2/roles/${role.id}`).json(role);
  });

  mount(router, specs.show, async (req, res) => {
    res.json(await users.getRole(currentUser(req), parseInput(specs.show.params.id, req.params.id, 'id')));
  });

  mount(router, specs.update, async (req, res) => {
    const body = parseInput(specs.update.body, req.body, 'body');
    res.json(await users.updateRole(currentUser(req), parseInput(specs.update.params.id, req.params.id, 'id'), body.role));
  });

  mount(router, specs.delete, async (req, res) => {
    res.json(await users.deleteRole(currentUser(req), parseInput(specs.delete.params.id, req.params.id, 'id')));
  });

  mount(router, specs.clone, async (req, res) => {
    const body = parseInput(specs.clone.body, req.body, 'body');
    const role = await users.cloneRole(currentUser(req), parseInput(specs.clone.params.id, req.params.id, 'id'), body.role);
    res.status(201).location(`/api/v2/roles/${role.id}`).json(role);
  });

  mount(router, specs.roleFilters, async (req, res) => {
    const query = parseInput(specs.roleFilters.query, req.query, 'query');
    const role = await users.getRole(currentUser(req), parseInput(specs.roleFilters.params.id, req.params.id, 'id'));
    res.json(listEnvelope(query, await users.listFilters(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page, roleId: role.id }), { by: 'id', order: 'asc' }));
  });

  mount(router, specs.listFilters, async (req, res) => {
    const query = parseInput(specs.listFilters.query, req.query, 'query');
    res.json(listEnvelope(query, await users.listFilters(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page, roleId: query.role_id }), { by: 'id', order: 'asc' }));
  });

  mount(router, specs.createFilter, async (req, res) => {
    const body = parseInput(specs.createFilter.body, req.body, 'body');
    const filter = await users.createFilter(currentUser(req), body.filter);
    res.status(201).location(`/api/v2/filters/${filter.id}`).json(filter);
  });

  mount(router, specs.showFilter, async (req, res) => {
    res.json(await users.getFilter(currentUser(req), parseInput(specs.showFilter.params.id, req.params.id, 'id')));
  });

  mount(router, specs.updateFilter, async (req, res) => {
    const body = parseInput(specs.updateFilter.body, req.body, 'body');
    res.json(await users.updateFilter(currentUser(req), parseInput(specs.updateFilter.params.id, req.params.id, 'id'), body.filter));
  });

  mount(router, specs.deleteFilter, async (req, res) => {
    res.json(await users.deleteFilter(currentUser(req), parseInput(specs.deleteFilter.params.id, req.params.id, 'id')));
  });

  return router;
}
