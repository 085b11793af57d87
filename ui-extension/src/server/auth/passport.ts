import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import { Strategy as LocalStrategy } from 'passport-local';
import { CSRF_HEADER } from '@common/session';
import { AppError } from '../errors';
import type { CurrentUser } from './current-user';
import type { AuthService } from './auth.service';
import type { ResolvedSession, SessionService } from './session.service';

/** The session cookie's name. Its value is a random token; the server keeps only its SHA-256. */
export const SESSION_COOKIE = 'rex_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie from the Cookie header (express 5 parses none by itself). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface AuthenticatorOptions {
  /**
   * Mark the cookie Secure on every response. Without it the cookie is Secure whenever the request
   * came over TLS or from a trusted proxy saying so (X-Forwarded-Proto: https): `req.secure`.
   */
  secureCookie: boolean;
}

/**
 * Passport strategies. HTTP Basic for the API (as Foreman's API), where the password may also be a
 * personal access token; every check goes through `auth.login`, which rate-limits and audits.
 * The web UI logs in with passport-local, which calls the same `auth.login` with method `session`
 * (passwords only), and then carries a session cookie (HttpOnly, SameSite=Lax); every
 * cookie-authenticated request that changes something must also carry the session's CSRF token in
 * X-CSRF-Token.
 */
export function createAuthenticator(auth: AuthService, sessions: SessionService, options: AuthenticatorOptions = { secureCookie: false }) {
  const authenticator = new passport.Passport();
  type Done = (error: unknown, user?: CurrentUser | false) => void;
  /** Wrong credentials are "no user"; a rate limit (RESOURCE_EXHAUSTED) or a fault passes through. */
  const verify = (method: 'api' | 'session') => (req: Request, login: string, password: string, done: Done) => {
    auth.login(login, password, { source: req.ip, requestId: req.requestId, method }).then(
      (user) => done(null, user),
      (error: unknown) => (error instanceof AppError && error.code === 'UNAUTHENTICATED' ? done(null, false) : done(error)),
    );
  };
  authenticator.use('basic', new BasicStrategy({ passReqToCallback: true }, verify('api')));
  authenticator.use('local', new LocalStrategy({ usernameField: 'login', passwordField: 'password', session: false, passReqToCallback: true }, verify('session')));

  function unsafeWithoutCsrf(req: Request, session: ResolvedSession): boolean {
    return !SAFE_METHODS.has(req.method) && !sessions.csrfMatches(session, req.header(CSRF_HEADER));
  }

  /**
   * Identifies a caller by the session cookie, with the full current user (roles and filters
   * loaded, so permission checks work as for HTTP Basic). Runs before `requireUser`; a request with
   * an Authorization header or without the cookie passes on untouched. A stale cookie answers 401, a
   * change without the CSRF header 403.
   */
  function sessionUser(req: Request, _res: Response, next: NextFunction): void {
    if (req.currentUser || req.headers.authorization) return next();
    const token = readCookie(req, SESSION_COOKIE);
    if (token === undefined) return next();
    (async () => {
      const session = await sessions.resolve(token);
      if (!session) throw new AppError('UNAUTHENTICATED', 'the session has expired or was logged out; log in again');
      if (unsafeWithoutCsrf(req, session)) {
        throw new AppError('PERMISSION_DENIED', `${CSRF_HEADER}: a request with the session cookie that changes something must carry the session's CSRF token in this header`);
      }
      req.currentUser = { ...session.user, source: req.ip, requestId: req.requestId, sessionId: session.id };
    })().then(() => next(), next);
  }

  /**
   * Requires a valid identity; answers 401 with Foreman's error body otherwise, 429 when the login
   * is rate-limited. A caller already identified by the session cookie passes through.
   */
  function requireUser(req: Request, res: Response, next: NextFunction): void {
    if (req.currentUser) return next();
    authenticator.authenticate('basic', { session: false }, (error: unknown, user: CurrentUser | false) => {
      if (error) return next(error);
      if (!user) {
        // No WWW-Authenticate challenge: browsers would pop up a native dialog over the web UI.
        return next(new AppError('UNAUTHENTICATED', 'authentication required: send HTTP Basic credentials (login and password or personal access token) or log in'));
      }
      req.currentUser = { ...user, source: req.ip, requestId: req.requestId };
      next();
    })(req, res, next);
  }

  /** Identifies the caller when credentials are sent (wrong ones still answer 401); anonymous otherwise. */
  function optionalUser(req: Request, res: Response, next: NextFunction): void {
    if (req.currentUser || !req.headers.authorization) return next();
    requireUser(req, res, next);
  }

  /**
   * Checks login and password from the JSON body with passport-local (through `auth.login`): the
   * user with their permissions, or UNAUTHENTICATED (401), or RESOURCE_EXHAUSTED (429) when too many
   * logins failed recently.
   */
  function checkLogin(req: Request, res: Response): Promise<CurrentUser> {
    return new Promise((resolve, reject) => {
      authenticator.authenticate('local', { session: false }, (error: unknown, user: CurrentUser | false) => {
        if (error) return reject(error);
        if (!user) return reject(new AppError('UNAUTHENTICATED', 'login or password is wrong'));
        resolve(user);
      })(req, res, reject);
    });
  }

  // A cookie sent over HTTPS must never travel in clear text afterwards, whatever the configuration.
  const secure = (res: Response) => options.secureCookie || res.req.secure;

  function setSessionCookie(res: Response, token: string, expiresAt: Date): void {
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: secure(res), path: '/', expires: expiresAt });
  }

  function clearSessionCookie(res: Response): void {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secure(res), path: '/' });
  }

  return { initialize: () => authenticator.initialize(), sessionUser, requireUser, optionalUser, checkLogin, setSessionCookie, clearSessionCookie, unsafeWithoutCsrf };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
