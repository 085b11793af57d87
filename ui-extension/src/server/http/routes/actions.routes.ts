import { Router } from 'express';
import { z } from 'zod';
import type { JobInvocationService } from '../../jobs/job-invocation.service';
import { ACTION_SEARCH } from '../../jobs/job-search';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';
import { listOf, remoteActionSchema } from '../response-schemas';

const actionsQuery = listQuerySchema.extend({ namespace: z.string().max(100).optional(), action: z.string().max(100).optional() });

export const actionRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/remote_execution/actions', response: listOf(remoteActionSchema), tag: 'actions', summary: 'List stored remote actions with how often they ran (search: namespace, action, arguments, id; bare words match all three)', permission: 'view_jobs', query: actionsQuery, search: ACTION_SEARCH },
});

/** `GET /api/v2/remote_execution/actions`: stored remote actions with how often they ran. */
export function createActionRoutes(jobs: JobInvocationService): Router {
  const router = Router();
  mount(router, actionRouteSpecs.list, async (req, res) => {
    const query = parseInput(actionRouteSpecs.list.query, req.query, 'query');
    const page = await jobs.actions(currentUser(req), { page: query.page, perPage: query.per_page, namespace: query.namespace, action: query.action, search: query.search });
    res.json(listEnvelope(query, page, { by: 'id', order: 'desc' }));
  });
  return router;
}
