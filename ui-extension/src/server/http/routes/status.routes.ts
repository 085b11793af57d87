import { Router } from 'express';
import type { StatusService } from '../../status/status.service';
import { defineRoutes, mount } from '../route-spec';
import { statusSchema } from '../response-schemas';

export const statusRouteSpecs = defineRoutes({
  status: { method: 'get', path: '/status', response: statusSchema, tag: 'status', summary: 'Versions, the database (reachable, writable) and, to a caller who may see them, the proxies\' live status', permission: 'public' },
});

/**
 * Open like a health check: versions and the background checks' view; the proxies only to a caller
 * who may see them. 503 whenever /readyz is (the database does not answer or does not take writes).
 */
export function createStatusRoutes(status: StatusService): Router {
  const router = Router();
  mount(router, statusRouteSpecs.status, async (req, res) => {
    const body = await status.status(req.currentUser);
    res.setHeader('Cache-Control', 'no-store');
    res.status(status.ready() ? 200 : 503).json(body);
  });
  return router;
}

/**
 * `GET /healthz` (and its older name `/livez`) and `GET /readyz` for load balancers and
 * orchestrators, outside /api/v2 where they look for them (as /metrics): no login, no body parsing,
 * no database or proxy call in the request. /healthz says the process answers (restart it when it
 * does not); /readyz says whether to send it
 * traffic: 503 while the database does not answer or writes fail (a full disk), 200 again once a
 * write succeeds. A dead proxy does not make an instance unready: every instance would be.
 */
export function createHealthRoutes(status: StatusService): Router {
  const router = Router();
  router.get(['/healthz', '/livez'], (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'alive' });
  });
  router.get('/readyz', (_req, res) => {
    const body = status.readiness();
    res.setHeader('Cache-Control', 'no-store');
    res.status(body.status === 'ready' ? 200 : 503).json(body);
  });
  return router;
}
