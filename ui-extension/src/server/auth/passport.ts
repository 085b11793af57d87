import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import { AppError } from '../errors';
import type { CurrentUser } from './current-user';
import type { AuthService } from './auth.service';

/**
 * Passport strategies. HTTP Basic for the API (as Foreman's API), where the password may also be a
 * personal access token; every check goes through `auth.login`, which rate-limits and audits.
 * The web UI's session login calls the same `auth.login` with method `session`.
 */
export function createAuthenticator(auth: AuthService) {
  const authenticator = new passport.Passport();
  authenticator.use('basic', new BasicStrategy({ passReqToCallback: true }, (req: Request, login: string, password: string, done: (error: unknown, user?: CurrentUser | false) => void) => {
    auth.login(login, password, { source: req.ip, requestId: req.requestId, method: 'api' }).then(
      (user) => done(null, user),
      (error: unknown) => (error instanceof AppError && error.code === 'UNAUTHENTICATED' ? done(null, false) : done(error)),
    );
  }));

  /**
   * Requires a valid identity; answers 401 with Foreman's error body otherwise, 429 when the login
   * is rate-limited. A caller already identified by an earlier middleware (the web UI's session)
   * passes through.
   */
  function requireUser(req: Request, res: Response, next: NextFunction): void {
    if (req.currentUser) return next();
    authenticator.authenticate('basic', { session: false }, (error: unknown, user: CurrentUser | false) => {
      if (error) return next(error);
      if (!user) {
        // No WWW-Authenticate challenge: browsers would pop up a native dialog over the web UI.
        return next(new AppError('UNAUTHENTICATED', 'authentication required: send HTTP Basic credentials (login and password or personal access token)'));
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

  return { initialize: () => authenticator.initialize(), requireUser, optionalUser };
}
