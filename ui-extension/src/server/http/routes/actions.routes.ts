import { Router } from 'express';
import { z } from 'zod';
import type { JobInvocationService } from '../../jobs/job-invocation.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';

const actionsQuery = listQuerySchema.extend({ namespace: z.string().max(100).optional(), action: z.string().max(100).optional() });

/** `GET /api/v2/remote_execution/actions`: stored remote actions with how often they ran. */
export function createActionRoutes(jobs: JobInvocationService): Router {
  const router = Router();
  router.get('/remote_execution/actions', async (req, res) => {
    const query = parseInput(actionsQuery, req.query, 'query');
    const page = await jobs.actions(currentUser(req), { page: query.page, perPage: query.per_page, namespace: query.namespace, action: query.action });
    res.json(listEnvelope(query, { total: page.total, subtotal: page.total, results: page.results }, { by: 'id', order: 'desc' }));
  });
  return router;
}
