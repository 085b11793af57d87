import { Router } from 'express';
import { z } from 'zod';
import type { ScheduleService } from '../../scheduler/schedule.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';
import { targetingSchema } from './jobs.routes';
import { recurrenceSchema, schedulingSchema, targetingTypeSchema } from './schedule.schemas';

const id = z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive');
const instant = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-03-29T00:00:00Z' }).transform((s) => new Date(s));

const jobOptions = {
  targeting_type: targetingTypeSchema.optional(),
  scheduling: schedulingSchema.optional(),
  recurrence: recurrenceSchema.optional(),
  description: z.string().max(255, 'must be at most 255 characters').optional(),
  concurrency_level: z.number().int('must be a whole number').positive('must be positive').optional(),
  batch_size: z.number().int('must be a whole number').positive('must be positive').optional(),
  timeout: z.number().int('must be a whole number').positive('must be positive').max(86400, 'must be at most 86400').optional(),
};
const scheduleActionSchema = z.object({ targeting: targetingSchema, ...jobOptions }).strict();
const updateSchema = z.object({ targeting: targetingSchema.optional(), ...jobOptions }).strict();
// A calendar wants every occurrence of its range at once: one page holds up to 1000.
const occurrencesQuery = listQuerySchema.extend({
  from: instant.optional(),
  to: instant.optional(),
  per_page: listQuerySchema.shape.per_page.removeDefault().default(1000),
});

/** `/api/v2/remote_execution/schedules...` and scheduling a stored action from history. */
export function createScheduleRoutes(schedules: ScheduleService): Router {
  const router = Router();

  router.post('/remote_execution/actions/:id/schedule', async (req, res) => {
    const actionId = parseInput(id, req.params.id, 'id');
    const body = parseInput(scheduleActionSchema, req.body ?? {}, 'body');
    const schedule = await schedules.scheduleAction(currentUser(req), actionId, body);
    res.status(201).location(`/api/v2/remote_execution/schedules/${schedule.id}`).json(schedule);
  });

  router.get('/remote_execution/schedules', async (req, res) => {
    const query = parseInput(occurrencesQuery, req.query, 'query');
    const { results } = await schedules.occurrences(currentUser(req), { from: query.from, to: query.to });
    const page = results.slice((query.page - 1) * query.per_page, query.page * query.per_page);
    res.json(listEnvelope(query, { total: results.length, subtotal: results.length, results: page }, { by: 'at', order: 'asc' }));
  });

  router.get('/remote_execution/schedules/:id', async (req, res) => {
    res.json(await schedules.get(currentUser(req), parseInput(id, req.params.id, 'id')));
  });

  router.put('/remote_execution/schedules/:id', async (req, res) => {
    const scheduleId = parseInput(id, req.params.id, 'id');
    const body = parseInput(updateSchema, req.body ?? {}, 'body');
    res.json(await schedules.update(currentUser(req), scheduleId, body));
  });

  router.post('/remote_execution/schedules/:id/enable', async (req, res) => {
    res.json(await schedules.enable(currentUser(req), parseInput(id, req.params.id, 'id')));
  });

  router.post('/remote_execution/schedules/:id/disable', async (req, res) => {
    res.json(await schedules.disable(currentUser(req), parseInput(id, req.params.id, 'id')));
  });

  router.delete('/remote_execution/schedules/:id', async (req, res) => {
    res.json(await schedules.remove(currentUser(req), parseInput(id, req.params.id, 'id')));
  });

  return router;
}
