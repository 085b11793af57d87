import { Router } from 'express';
import type { StatusService } from '../../status/status.service';

/** Unauthenticated, like a health check: it reveals versions and reachability, nothing else. */
export function createStatusRoutes(status: StatusService): Router {
  const router = Router();
  router.get('/status', async (_req, res) => {
    const body = await status.status();
    res.status(body.database.reachable ? 200 : 503).json(body);
  });
  return router;
}
