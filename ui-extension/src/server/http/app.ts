import express, { type Express } from 'express';
import { createAuthenticator } from '../auth/passport';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { Services } from '../services';
import { errorHandler } from './error-handler';
import { requestContext } from './request-context';
import { createAuthenticatedRoutes } from './routes/index';
import { createStatusRoutes } from './routes/status.routes';

export interface AppOptions {
  services: Services;
  logger: Logger;
  trustProxy?: boolean;
  exposeStack?: boolean;
  /** Folder of the built web UI; served at / when present. */
  webRoot?: string;
}

/** The express app. Middleware order matters: context, parsing, auth, routes, 404, errors. */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(requestContext(options.logger.child({ component: 'http' })));
  app.use(express.json({ limit: '5mb' }));
  const auth = createAuthenticator(options.services.auth);
  app.use(auth.initialize());

  app.use('/api/v2', auth.optionalUser, createStatusRoutes(options.services.status));
  app.use('/api/v2', auth.requireUser, createAuthenticatedRoutes(options.services));
  app.use('/api', (req, _res, next) => next(new AppError('NOT_FOUND', `no API route for ${req.method} ${req.originalUrl}`)));
  if (options.webRoot) app.use(express.static(options.webRoot));

  app.use(errorHandler({ exposeStack: options.exposeStack ?? false }));
  return app;
}
