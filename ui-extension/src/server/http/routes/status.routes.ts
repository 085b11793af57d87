import { Router } from 'express';
import type { StatusService } from '../../status/status.service';
import { defineRoutes, mount } from '../route-spec';

export const statusRouteSpecs = defineRoutes({
  status: { method: 'get', path: '/status', tag: 'status', summary: 'Versions and reachability of the database and (to a caller who may see them) the proxies', permission: 'public' },
});

/** Open like a health check: versions and reachability; the proxies only to a caller who may see them. */
export function createStatusRoutes(status: StatusService): Router {
  const router = Router();
  mount(router, statusRouteSpecs.status, async (req, res) => {
    const body = await status.status(req.currentUser);
    res.status(body.database.reachable ? 200 : 503).json(body);
  });
  return router;
}
