import { Router } from 'express';
import { z } from 'zod';
import type { UserManagementService } from '../../auth/user-management.service';
import { USER_SEARCH } from '../../auth/user.repository';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { decimalId, listEnvelope, listQuerySchema, parseInput } from '../validate';
import { currentUserSchema, listOf, tokenSchema, userSchema } from '../response-schemas';

const idOrLogin = z.string().min(1, 'is required').max(100, 'must be at most 100 characters');
const tokenId = decimalId;
const ids = (what: string) => z.array(z.number({ invalid_type_error: `must be ${what} ids` }).int('must be whole numbers').positive('must be positive')).max(1000, 'must list at most 1000');
// A user holds a handful of tokens: paged here, not searched (a `search` is refused, route-spec.ts).
const tokensQuery = listQuerySchema.omit({ search: true });
const optionalText = (max: number) => z.string().max(max, `must be at most ${max} characters`).nullable().optional();

const userFields = {
  login: z.string().min(1, 'is required').max(100, 'must be at most 100 characters').regex(/^[\w.@+-]+$/, 'may only hold letters, digits and . @ + - _'),
  password: z.string().min(8, 'must be at least 8 characters').max(200, 'must be at most 200 characters'),
  current_password: z.string().max(200).optional(),
  admin: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
  mail: z.string().email('must be an e-mail address').max(255).nullable().optional(),
  firstname: optionalText(100),
  lastname: optionalText(100),
  disabled: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
  role_ids: ids('role').optional(),
  organization_ids: ids('organization').optional(),
  location_ids: ids('location').optional(),
};

const createUser = z.object({ user: z.object(userFields).strict() });
const updateUser = z.object({ user: z.object(userFields).partial().strict().refine((u) => Object.keys(u).length > 0, { message: 'must change at least one field' }) });
const createToken = z.object({
  personal_access_token: z.object({
    name: z.string().min(1, 'is required').max(100, 'must be at most 100 characters'),
    expires_at: z.coerce.date({ invalid_type_error: 'must be an ISO 8601 date' }).nullable().optional(),
  }).strict(),
});

export const userRouteSpecs = defineRoutes({
  currentUser: { method: 'get', path: '/current_user', response: currentUserSchema, tag: 'users', summary: 'The calling user with roles and permissions', permission: 'authenticated' },
  list: { method: 'get', path: '/users', response: listOf(userSchema), tag: 'users', summary: 'List users', permission: 'manage_users', query: listQuerySchema, search: USER_SEARCH },
  create: { method: 'post', path: '/users', response: userSchema, tag: 'users', summary: 'Create a user', permission: 'manage_users', body: createUser, status: 201 },
  show: { method: 'get', path: '/users/:id', response: userSchema, tag: 'users', summary: 'Show a user by id or login', permission: 'manage_users', params: { id: idOrLogin } },
  update: { method: 'put', path: '/users/:id', response: userSchema, tag: 'users', summary: 'Change a user (anyone may change parts of their own account; with manage_users, a user whose every permission the caller holds, granting only what it holds)', permission: 'manage_users', params: { id: idOrLogin }, body: updateUser },
  delete: { method: 'delete', path: '/users/:id', response: userSchema, tag: 'users', summary: 'Delete a user', permission: 'manage_users', params: { id: idOrLogin } },
  listTokens: { method: 'get', path: '/users/:user_id/personal_access_tokens', response: listOf(tokenSchema), tag: 'tokens', summary: 'List a user\'s personal access tokens (one\'s own; with manage_users, those of a user whose every permission the caller holds, never an administrator\'s)', permission: 'authenticated', params: { user_id: idOrLogin }, query: tokensQuery },
  createToken: { method: 'post', path: '/users/:user_id/personal_access_tokens', response: tokenSchema, tag: 'tokens', summary: 'Create a personal access token; its secret is in this answer only', permission: 'authenticated', params: { user_id: idOrLogin }, body: createToken, status: 201 },
  showToken: { method: 'get', path: '/users/:user_id/personal_access_tokens/:id', response: tokenSchema, tag: 'tokens', summary: 'Show a personal access token (never its secret)', permission: 'authenticated', params: { user_id: idOrLogin, id: tokenId } },
  revokeToken: { method: 'delete', path: '/users/:user_id/personal_access_tokens/:id', response: tokenSchema, tag: 'tokens', summary: 'Revoke a personal access token', permission: 'authenticated', params: { user_id: idOrLogin, id: tokenId } },
});

/**
 * `/api/v2/current_user`, `/api/v2/users` (manage_users; anyone may read and edit parts of their own
 * account) and `/api/v2/users/:user_id/personal_access_tokens` (one's own, or anyone's with
 * manage_users), with Foreman's wrappers (`{"user": {...}}`) and field names.
 */
export function createUserRoutes(users: UserManagementService): Router {
  const router = Router();
  const specs = userRouteSpecs;

  mount(router, specs.currentUser, async (req, res) => {
    res.json(await users.currentUser(currentUser(req)));
  });

  mount(router, specs.list, async (req, res) => {
    const query = parseInput(specs.list.query, req.query, 'query');
    res.json(listEnvelope(query, await users.listUsers(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page }), { by: 'login', order: 'asc' }));
  });

  mount(router, specs.create, async (req, res) => {
    const body = parseInput(specs.create.body, req.body, 'body');
    const created = await users.createUser(currentUser(req), body.user);
    res.status(201).location(`/api/v2/users/${created.id}`).json(created);
  });

  mount(router, specs.show, async (req, res) => {
    res.json(await users.getUser(currentUser(req), parseInput(specs.show.params.id, req.params.id, 'id')));
  });

  mount(router, specs.update, async (req, res) => {
    const body = parseInput(specs.update.body, req.body, 'body');
    res.json(await users.updateUser(currentUser(req), parseInput(specs.update.params.id, req.params.id, 'id'), body.user));
  });

  mount(router, specs.delete, async (req, res) => {
    res.json(await users.deleteUser(currentUser(req), parseInput(specs.delete.params.id, req.params.id, 'id')));
  });

  mount(router, specs.listTokens, async (req, res) => {
    const query = { ...parseInput(specs.listTokens.query, req.query, 'query'), search: '' };
    const all = await users.listTokens(currentUser(req), parseInput(specs.listTokens.params.user_id, req.params.user_id, 'user_id'));
    const results = all.results.slice((query.page - 1) * query.per_page, query.page * query.per_page);
    res.json(listEnvelope(query, { ...all, results }, { by: 'id', order: 'asc' }));
  });

  mount(router, specs.createToken, async (req, res) => {
    const body = parseInput(specs.createToken.body, req.body, 'body');
    const created = await users.createToken(currentUser(req), parseInput(specs.createToken.params.user_id, req.params.user_id, 'user_id'), body.personal_access_token);
    res.status(201).json(created);
  });

  mount(router, specs.showToken, async (req, res) => {
    res.json(await users.getToken(currentUser(req), parseInput(specs.showToken.params.user_id, req.params.user_id, 'user_id'), parseInput(specs.showToken.params.id, req.params.id, 'id')));
  });

  mount(router, specs.revokeToken, async (req, res) => {
    res.json(await users.revokeToken(currentUser(req), parseInput(specs.revokeToken.params.user_id, req.params.user_id, 'user_id'), parseInput(specs.revokeToken.params.id, req.params.id, 'id')));
  });

  return router;
}
