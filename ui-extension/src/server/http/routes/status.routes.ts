import { Router } from 'express';
import type { StatusService } from '../../status/status.service';

/** Open like a health check: versions and reachability; the proxies only to a caller who may see them. */
export function createStatusRoutes(status: StatusService): Router {
  const router = Router();
  router.get('/status', async (req, res) => {
    const body = await status.status(req.currentUser);
    res.status(body.database.reachable ? 200 : 503).json(body);
  });
  return router;
}
