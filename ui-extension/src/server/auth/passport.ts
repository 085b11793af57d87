import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import { AppError } from '../errors';
import type { CurrentUser } from '../http/request-context';
import type { AuthService } from './auth.service';

/**
 * Passport strategies. HTTP Basic for the API (as Foreman's API); the password may also be a
 * personal access token once tokens exist (issue 8). Sessions for the web UI come with the UI.
 */
export function createAuthenticator(auth: AuthService) {
  const authenticator = new passport.Passport();
  authenticator.use('basic', new BasicStrategy((login, password, done) => {
    auth.verifyPassword(login, password).then((user) => done(null, user ?? false), done);
  }));

  /** Requires a valid identity; answers 401 with Foreman's error body otherwise. */
  function requireUser(req: Request, res: Response, next: NextFunction): void {
    authenticator.authenticate('basic', { session: false }, (error: unknown, user: CurrentUser | false) => {
      if (error) return next(error);
      if (!user) {
        // No WWW-Authenticate challenge: browsers would pop up a native dialog over the web UI.
        return next(new AppError('UNAUTHENTICATED', 'authentication required: send HTTP Basic credentials (login and password or personal access token)'));
      }
      req.currentUser = user;
      next();
    })(req, res, next);
  }

  return { initialize: () => authenticator.initialize(), requireUser };
}
