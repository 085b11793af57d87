import { Router } from 'express';
import { z } from 'zod';
import type { UserManagementService } from '../../auth/user-management.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';

const idOrLogin = z.string().min(1, 'is required').max(100, 'must be at most 100 characters');
const tokenId = z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive');
const ids = (what: string) => z.array(z.number({ invalid_type_error: `must be ${what} ids` }).int('must be whole numbers').positive('must be positive')).max(1000, 'must list at most 1000');
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

/**
 * `/api/v2/current_user`, `/api/v2/users` (manage_users; anyone may read and edit parts of their own
 * account) and `/api/v2/users/:user_id/personal_access_tokens` (one's own, or anyone's with
 * manage_users), with Foreman's wrappers (`{"user": {...}}`) and field names.
 */
export function createUserRoutes(users: UserManagementService): Router {
  const router = Router();

  router.get('/current_user', async (req, res) => {
    res.json(await users.currentUser(currentUser(req)));
  });

  router.get('/users', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    res.json(listEnvelope(query, await users.listUsers(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page }), { by: 'login', order: 'asc' }));
  });

  router.post('/users', async (req, res) => {
    const body = parseInput(createUser, req.body, 'body');
    const created = await users.createUser(currentUser(req), body.user);
    res.status(201).location(`/api/v2/users/${created.id}`).json(created);
  });

  router.get('/users/:id', async (req, res) => {
    res.json(await users.getUser(currentUser(req), parseInput(idOrLogin, req.params.id, 'id')));
  });

  router.put('/users/:id', async (req, res) => {
    const body = parseInput(updateUser, req.body, 'body');
    res.json(await users.updateUser(currentUser(req), parseInput(idOrLogin, req.params.id, 'id'), body.user));
  });

  router.delete('/users/:id', async (req, res) => {
    res.json(await users.deleteUser(currentUser(req), parseInput(idOrLogin, req.params.id, 'id')));
  });

  router.get('/users/:user_id/personal_access_tokens', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    res.json(listEnvelope(query, await users.listTokens(currentUser(req), parseInput(idOrLogin, req.params.user_id, 'user_id')), { by: 'id', order: 'asc' }));
  });

  router.post('/users/:user_id/personal_access_tokens', async (req, res) => {
    const body = parseInput(createToken, req.body, 'body');
    const created = await users.createToken(currentUser(req), parseInput(idOrLogin, req.params.user_id, 'user_id'), body.personal_access_token);
    res.status(201).json(created);
  });

  router.get('/users/:user_id/personal_access_tokens/:id', async (req, res) => {
    res.json(await users.getToken(currentUser(req), parseInput(idOrLogin, req.params.user_id, 'user_id'), parseInput(tokenId, req.params.id, 'id')));
  });

  router.delete('/users/:user_id/personal_access_tokens/:id', async (req, res) => {
    res.json(await users.revokeToken(currentUser(req), parseInput(idOrLogin, req.params.user_id, 'user_id'), parseInput(tokenId, req.params.id, 'id')));
  });

  return router;
}
