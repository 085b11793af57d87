import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import express, { type Express } from 'express';
import { isClientRoute } from '@common/client-routes';
import { createAuthenticator } from '../auth/passport';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { Services } from '../services';
import { refuseDeepJson } from './body-limits';
import { errorHandler } from './error-handler';
import { keepRawBody } from './exact-json';
import { requestContext } from './request-context';
import { securityHeaders } from './security-headers';
import { createApiDocRoutes } from './routes/apidoc.routes';
import { createAuthenticatedRoutes } from './routes/index';
import { createMetricsRoutes, requestTiming } from './routes/metrics.routes';
import { createOpenApiRoutes } from './routes/openapi.routes';
import { createSessionRoutes } from './routes/session.routes';
import { createHealthRoutes, createStatusRoutes } from './routes/status.routes';

export interface AppOptions {
  services: Services;
  logger: Logger;
  /**
   * Reverse proxies whose X-Forwarded-For/-Proto count (http.trust_proxy): addresses, CIDRs or
   * express's range names. `true` trusts anyone, for tests only: config.ts refuses it.
   */
  trustProxy?: readonly string[] | boolean;
  exposeStack?: boolean;
  /** Folder of the built web UI; served at / when present. */
  webRoot?: string;
  /** Mark the session cookie Secure on every response (it is anyway over TLS or a trusted proxy's https). */
  secureCookies?: boolean;
  /** GET /metrics (config metrics.*); on and open when not given. */
  metrics?: { enabled: boolean; bearer_token: string };
}

/** The express app. Middleware order matters: context, parsing, auth, routes, 404, errors. */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // Only the listed proxies' X-Forwarded-For decides req.ip (the login throttle's address) and
  // X-Forwarded-Proto req.secure (the Secure cookie, HSTS).
  const trustProxy = options.trustProxy ?? false;
  app.set('trust proxy', typeof trustProxy === 'boolean' ? trustProxy : [...trustProxy]);
  app.use(requestContext(options.logger.child({ component: 'http' })));
  app.use(securityHeaders());
  const metricsConfig = options.metrics ?? { enabled: true, bearer_token: '' };
  if (metricsConfig.enabled) {
    app.use(requestTiming(options.services.metrics));
    // Before body parsing and user authentication: a scrape needs neither.
    app.use(createMetricsRoutes(options.services.metrics, { bearerToken: metricsConfig.bearer_token }));
  }
  // Load balancer checks: before body parsing and authentication, which they need neither of.
  app.use(createHealthRoutes(options.services.status));
  // The browsable API documentation (Swagger UI on /api/v2/openapi.json): open, as the document is.
  app.use(createApiDocRoutes());
  // refuseDeepJson: a body nested past the limit is refused before it is parsed (body-limits.ts);
  // keepRawBody: job arguments are read again with exact numbers (exact-json.ts).
  app.use(express.json({
    limit: '5mb',
    verify: (req, res, body) => {
      refuseDeepJson(req, res, body);
      keepRawBody(req, res, body);
    },
  }));
  const auth = createAuthenticator(options.services.auth, options.services.sessions, { secureCookie: options.secureCookies ?? false });
  app.use(auth.initialize());

  // The session routes read the cookie themselves (a stale cookie must not block a new login);
  // everything after them is identified by the cookie first, then by HTTP Basic.
  app.use('/api/v2', createSessionRoutes(options.services.sessions, auth), auth.sessionUser);
  app.use('/api/v2', auth.optionalUser, createStatusRoutes(options.services.status), createOpenApiRoutes());
  app.use('/api/v2', auth.requireUser, createAuthenticatedRoutes(options.services));
  app.use('/api', (req, _res, next) => next(new AppError('NOT_FOUND', `no API route for ${req.method} ${req.originalUrl}`)));
  if (options.webRoot) {
    const root = options.webRoot;
    // Vite names built assets by content hash, so they may be cached for good; index.html may not.
    // A missing one falls through to the JSON 404.
    app.use('/assets', express.static(path.join(root, 'assets'), { immutable: true, maxAge: '365d' }));
    app.use(express.static(root, { index: false }));
    // A client-side route of the single page (/hosts/7, /jobs/12) gets the page; nothing else does
    // (common/client-routes.ts): a probe for /.env or /wp-login.php gets the JSON 404 below.
    app.use((req, res, next) => {
      if ((req.method !== 'GET' && req.method !== 'HEAD') || !isClientRoute(req.path)) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(root, 'index.html'), (error) => error && next(error));
    });
  }

  // Whatever is neither a route, a file of the web UI nor one of its pages: a JSON 404, never HTML.
  app.use((req, _res, next) => next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler({ exposeStack: options.exposeStack ?? false, denials: options.services.denials }));
  return app;
}

/**
 * Requests node's HTTP parser refuses before express sees them (request line and headers over
 * 16 KiB, e.g. a search pasted into the URL; malformed HTTP) get the API's JSON error body too,
 * instead of node's bare status line. Call on the server `app.listen` returns.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const message = status === 431 ? 'request: the request line and headers exceed the 16 KiB limit; send a shorter URL (a long search belongs in fewer terms)' : 'request: is not valid HTTP';
    const body = JSON.stringify({ error: { code: 'INVALID_ARGUMENT', message, requestId: randomUUID() } });
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
