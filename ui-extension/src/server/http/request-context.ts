import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { CurrentUser } from '../auth/current-user';
import { createAccessLog, type Logger } from '../logger';

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

/** Past this, an access line's URL is cut (a search can be long; the line stays one line). */
const MAX_LOGGED_URL = 2048;

/**
 * Accepts X-Request-Id (or makes one), echoes it, gives the request a child logger that binds it
 * (`req.log`), and writes the access log: one line per request when its response ends, e.g.
 * `{"level":"info","time":"...","component":"http","requestId":"...","method":"GET","url":"/api/v2/hosts",
 * "status":200,"responseTime":12,"bytes":512,"ip":"10.0.0.5","user":"admin","msg":"GET /api/v2/hosts 200"}`.
 */
export function requestContext(logger: Logger) {
  const accessLog = createAccessLog<Request, Response>(logger, {
    requestId: (req) => {
      const incoming = req.header('x-request-id');
      return incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    fields: (req, res, responseTime) => ({
      method: req.method,
      url: loggedUrl(req),
      status: res.statusCode,
      responseTime,
      ...(res.getHeader('content-length') !== undefined ? { bytes: Number(res.getHeader('content-length')) } : {}),
      ip: req.ip,
      ...(req.currentUser ? { user: req.currentUser.login } : {}),
      ...(res.writableFinished ? {} : { aborted: true }),
    }),
    message: (req, res) => `${req.method} ${loggedUrl(req)} ${res.statusCode}`,
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    accessLog(req, res);
    req.requestId = String(req.id);
    res.setHeader('X-Request-Id', req.requestId);
    next();
  };
}

function loggedUrl(req: Request): string {
  const url = req.originalUrl || req.url;
  return url.length > MAX_LOGGED_URL ? `${url.slice(0, MAX_LOGGED_URL)}...` : url;
}

/** The current user, or an UNAUTHENTICATED error for routes mounted behind authentication. */
export function currentUser(req: Request): CurrentUser {
  if (!req.currentUser) throw new Error('route reached without authentication middleware');
  return req.currentUser;
}
