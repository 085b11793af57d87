import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../../errors';
import type { ServerMetrics } from '../../metrics/metrics';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * GET /metrics in the Prometheus text format, outside /api/v2 where scrapers look for it. It has its
 * own credential, a static bearer token (what Prometheus' `authorization` block sends), not a user
 * login: a scraper is no user, and a failed scrape must never count as a failed login. Without a
 * token it is open, as exporters usually are; it carries counts and proxy names, never job data.
 */
export function createMetricsRoutes(metrics: ServerMetrics, options: { bearerToken: string }): Router {
  const router = Router();
  const expected = options.bearerToken ? digest(options.bearerToken) : undefined;
  router.get('/metrics', async (req: Request, res: Response, next: NextFunction) => {
    if (expected) {
      const match = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
      // Comparing digests keeps the comparison constant-time whatever the length sent.
      if (!match || !timingSafeEqual(digest(match[1]), expected)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        next(new AppError('UNAUTHENTICATED', 'GET /metrics needs "Authorization: Bearer <metrics.bearer_token>"'));
        return;
      }
    }
    const { contentType, body } = await metrics.render();
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(body);
  });
  return router;
}

/**
 * Times every request for rex_http_request_duration_seconds. The route label is the matched
 * pattern (/api/v2/remote_execution/jobs/:id), never the raw path, so ids cannot explode the
 * number of series; anything no route matched is "unmatched".
 */
export function requestTiming(metrics: ServerMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpRequest(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
