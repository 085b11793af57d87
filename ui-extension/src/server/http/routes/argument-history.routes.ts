import { Router } from 'express';
import { z } from 'zod';
import type { ArgumentHistory } from '../../jobs/argument-history';
import { ACTION_SEARCH } from '../../jobs/job-search';
import { sendExactJson } from '../exact-json';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';
import { argumentHistorySchema, listOf } from '../response-schemas';

const historyQuery = listQuerySchema.extend({
  namespace: z.string({ required_error: 'is required' }).min(1, 'is required').max(100, 'must be at most 100 characters'),
  action: z.string({ required_error: 'is required' }).min(1, 'is required').max(100, 'must be at most 100 characters'),
});

export const argumentHistoryRouteSpecs = defineRoutes({
  argumentHistory: { method: 'get', path: '/remote_execution/argument_history', response: listOf(argumentHistorySchema), tag: 'actions', summary: 'The distinct arguments earlier jobs of a namespace/action ran with, newest run first, of jobs the caller may see (search: arguments, id)', permission: 'view_jobs', query: historyQuery, search: ACTION_SEARCH },
});

/** `GET /api/v2/remote_execution/argument_history?namespace=&action=`: arguments to reload. */
export function createArgumentHistoryRoutes(history: ArgumentHistory): Router {
  const router = Router();
  mount(router, argumentHistoryRouteSpecs.argumentHistory, async (req, res) => {
    const query = parseInput(argumentHistoryRouteSpecs.argumentHistory.query, req.query, 'query');
    const page = await history.list(currentUser(req), { namespace: query.namespace, action: query.action, search: query.search, page: query.page, perPage: query.per_page });
    sendExactJson(res, listEnvelope(query, page, { by: 'last_job_id', order: 'desc' }));
  });
  return router;
}
