import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { CurrentUser } from '../auth/current-user';
import type { Logger } from '../logger';

/** The authenticated caller, set by the auth middleware (defined in auth/current-user.ts). */
export type { CurrentUser } from '../auth/current-user';

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
    log: Logger;
    currentUser?: CurrentUser;
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Accepts X-Request-Id (or makes one), echoes it, and gives the request a child logger. */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header('x-request-id');
    req.requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = logger.child({ requestId: req.requestId });
    res.setHeader('X-Request-Id', req.requestId);
    next();
  };
}

/** The current user, or an UNAUTHENTICATED error for routes mounted behind authentication. */
export function currentUser(req: Request): CurrentUser {
  if (!req.currentUser) throw new Error('route reached without authentication middleware');
  return req.currentUser;
}
