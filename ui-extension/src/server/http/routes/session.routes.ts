import { Router } from 'express';
import { z } from 'zod';
import type { SessionResponse } from '@common/session';
import { CSRF_HEADER } from '@common/session';
import { readCookie, SESSION_COOKIE, type Authenticator } from '../../auth/passport';
import type { SessionService } from '../../auth/session.service';
import { AppError } from '../../errors';
import { defineRoutes, mount } from '../route-spec';
import { parseInput } from '../validate';
import { sessionSchema } from '../response-schemas';

const loginSchema = z.object({
  login: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'is required').max(100, 'must be at most 100 characters'),
  password: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'is required').max(1024, 'must be at most 1024 characters'),
});

export const sessionRouteSpecs = defineRoutes({
  login: { method: 'post', path: '/session', response: sessionSchema, tag: 'session', summary: 'Log in (the web UI): opens a cookie session and answers the CSRF token', permission: 'public', body: loginSchema },
  show: { method: 'get', path: '/session', response: sessionSchema, tag: 'session', summary: 'The session of the cookie, with its CSRF token', permission: 'session' },
  logout: { method: 'delete', path: '/session', response: null, tag: 'session', summary: 'Log out (needs the CSRF token header)', permission: 'session', status: 204 },
});

/**
 * The web UI's login: `POST /api/v2/session` {login, password} opens a session (cookie) and answers
 * the user and the CSRF token; `GET` answers the same for a valid cookie; `DELETE` logs out.
 * Mounted before the authentication middleware: these routes read the cookie themselves.
 */
export function createSessionRoutes(sessions: SessionService, auth: Authenticator): Router {
  const router = Router();

  mount(router, sessionRouteSpecs.login, async (req, res) => {
    parseInput(sessionRouteSpecs.login.body, req.body ?? {}, 'body');
    const user = await auth.checkLogin(req, res);
    const opened = await sessions.open(user, req.ip ?? null);
    auth.setSessionCookie(res, opened.token, opened.expiresAt);
    const body: SessionResponse = { user: { id: user.id, login: user.login, admin: user.admin }, csrf_token: opened.csrfToken };
    res.json(body);
  });

  mount(router, sessionRouteSpecs.show, async (req, res) => {
    const token = readCookie(req, SESSION_COOKIE);
    const session = token === undefined ? null : await sessions.resolve(token);
    if (!session) throw new AppError('UNAUTHENTICATED', 'not logged in: no valid session cookie');
    const body: SessionResponse = { user: { id: session.user.id, login: session.user.login, admin: session.user.admin }, csrf_token: session.csrfToken };
    res.json(body);
  });

  mount(router, sessionRouteSpecs.logout, async (req, res) => {
    const token = readCookie(req, SESSION_COOKIE);
    const session = token === undefined ? null : await sessions.resolve(token);
    if (!session || token === undefined) throw new AppError('UNAUTHENTICATED', 'not logged in: no valid session cookie');
    if (auth.unsafeWithoutCsrf(req, session)) throw new AppError('PERMISSION_DENIED', `${CSRF_HEADER}: logging out needs the session's CSRF token in this header`);
    await sessions.close(token);
    auth.clearSessionCookie(res);
    res.status(204).end();
  });

  return router;
}
