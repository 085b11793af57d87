import { Router } from 'express';
import { z } from 'zod';
import type { SessionResponse } from '@common/session';
import { CSRF_HEADER } from '@common/session';
import { readCookie, SESSION_COOKIE, type Authenticator } from '../../auth/passport';
import type { SessionService } from '../../auth/session.service';
import { AppError } from '../../errors';
import { parseInput } from '../validate';

const loginSchema = z.object({
  login: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'is required').max(100, 'must be at most 100 characters'),
  password: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'is required').max(1024, 'must be at most 1024 characters'),
});

/**
 * The web UI's login: `POST /api/v2/session` {login, password} opens a session (cookie) and answers
 * the user and the CSRF token; `GET` answers the same for a valid cookie; `DELETE` logs out.
 * Mounted before the authentication middleware: these routes read the cookie themselves.
 */
export function createSessionRoutes(sessions: SessionService, auth: Authenticator): Router {
  const router = Router();

  router.post('/session', async (req, res) => {
    parseInput(loginSchema, req.body ?? {}, 'body');
    const user = await auth.checkLogin(req, res);
    const opened = await sessions.open(user, req.ip ?? null);
    auth.setSessionCookie(res, opened.token, opened.expiresAt);
    const body: SessionResponse = { user: { id: user.id, login: user.login, admin: user.admin }, csrf_token: opened.csrfToken };
    res.json(body);
  });

  router.get('/session', async (req, res) => {
    const token = readCookie(req, SESSION_COOKIE);
    const session = token === undefined ? null : await sessions.resolve(token);
    if (!session) throw new AppError('UNAUTHENTICATED', 'not logged in: no valid session cookie');
    const body: SessionResponse = { user: { id: session.user.id, login: session.user.login, admin: session.user.admin }, csrf_token: session.csrfToken };
    res.json(body);
  });

  router.delete('/session', async (req, res) => {
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
