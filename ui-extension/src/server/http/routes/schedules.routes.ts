import { Router } from 'express';
import { z } from 'zod';
import type { ScheduleService } from '../../scheduler/schedule.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { decimalId, listEnvelope, listQuerySchema, parseInput } from '../validate';
import { targetingSchema } from './jobs.routes';
import { recurrenceSchema, schedulingSchema, targetingTypeSchema } from './schedule.schemas';
import { rolloutSchema } from './rollout.schema';
import { listOf, scheduleDefinitionSchema, scheduleOccurrenceSchema, scheduleSchema } from '../response-schemas';

const id = decimalId;
const instant = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-03-29T00:00:00Z' }).transform((s) => new Date(s));

const jobOptions = {
  targeting_type: targetingTypeSchema.optional(),
  scheduling: schedulingSchema.optional(),
  recurrence: recurrenceSchema.optional(),
  description: z.string().max(255, 'must be at most 255 characters').optional(),
  concurrency_level: z.number().int('must be a whole number').positive('must be positive').optional(),
  batch_size: z.number().int('must be a whole number').positive('must be positive').optional(),
  timeout: z.number().int('must be a whole number').positive('must be positive').max(86400, 'must be at most 86400').optional(),
  rollout: rolloutSchema.optional(),
};
const scheduleActionSchema = z.object({ targeting: targetingSchema, ...jobOptions }).strict();
const updateSchema = z.object({ targeting: targetingSchema.optional(), ...jobOptions }).strict();
// A calendar wants every occurrence of its range at once: one page holds up to 1000. Occurrences
// are computed, not stored rows: they are narrowed by from and to, and a `search` is refused.
const occurrencesQuery = listQuerySchema.omit({ search: true }).extend({
  from: instant.optional(),
  to: instant.optional(),
  per_page: listQuerySchema.shape.per_page.removeDefault().default(1000),
});

// Definitions are read in full and narrowed by the access check before paging: no search.
const definitionsQuery = listQuerySchema.omit({ search: true });

export const scheduleRouteSpecs = defineRoutes({
  scheduleAction: { method: 'post', path: '/remote_execution/actions/:id/schedule', response: scheduleSchema, tag: 'schedules', summary: 'Schedule a stored remote action (from history) on a targeting', permission: 'manage_schedules', params: { id }, body: scheduleActionSchema, status: 201 },
  list: { method: 'get', path: '/remote_execution/schedules', response: listOf(scheduleOccurrenceSchema), tag: 'schedules', summary: 'Upcoming occurrences of the schedules between from and to', permission: 'view_jobs', query: occurrencesQuery },
  definitions: { method: 'get', path: '/remote_execution/schedule_definitions', response: listOf(scheduleDefinitionSchema), tag: 'schedules', summary: 'The schedules themselves (Foreman\'s recurring logics), enabled or not, soonest next run first: state, next occurrences, last run', permission: 'view_jobs', query: definitionsQuery },
  show: { method: 'get', path: '/remote_execution/schedules/:id', response: scheduleSchema, tag: 'schedules', summary: 'Show a schedule', permission: 'view_jobs', params: { id } },
  update: { method: 'put', path: '/remote_execution/schedules/:id', response: scheduleSchema, tag: 'schedules', summary: 'Change a schedule\'s timing, targeting or options (every host of its targeting in scope; another user\'s needs manage_others_schedules)', permission: 'manage_schedules', params: { id }, body: updateSchema, bodyOptional: true },
  enable: { method: 'post', path: '/remote_execution/schedules/:id/enable', response: scheduleSchema, tag: 'schedules', summary: 'Enable a schedule', permission: 'manage_schedules', params: { id } },
  disable: { method: 'post', path: '/remote_execution/schedules/:id/disable', response: scheduleSchema, tag: 'schedules', summary: 'Disable a schedule (its future runs do not start)', permission: 'manage_schedules', params: { id } },
  delete: { method: 'delete', path: '/remote_execution/schedules/:id', response: scheduleSchema, tag: 'schedules', summary: 'Delete a schedule', permission: 'manage_schedules', params: { id } },
});

/** `/api/v2/remote_execution/schedules...` and scheduling a stored action from history. */
export function createScheduleRoutes(schedules: ScheduleService): Router {
  const router = Router();
  const specs = scheduleRouteSpecs;

  mount(router, specs.scheduleAction, async (req, res) => {
    const actionId = parseInput(specs.scheduleAction.params.id, req.params.id, 'id');
    const body = parseInput(specs.scheduleAction.body, req.body ?? {}, 'body');
    const schedule = await schedules.scheduleAction(currentUser(req), actionId, body);
    res.status(201).location(`/api/v2/remote_execution/schedules/${schedule.id}`).json(schedule);
  });

  mount(router, specs.list, async (req, res) => {
    const query = { ...parseInput(specs.list.query, req.query, 'query'), search: '' };
    const { results } = await schedules.occurrences(currentUser(req), { from: query.from, to: query.to });
    const page = results.slice((query.page - 1) * query.per_page, query.page * query.per_page);
    res.json(listEnvelope(query, { total: results.length, subtotal: results.length, results: page }, { by: 'at', order: 'asc' }));
  });

  mount(router, specs.definitions, async (req, res) => {
    const query = { ...parseInput(specs.definitions.query, req.query, 'query'), search: '' };
    const page = await schedules.definitions(currentUser(req), { page: query.page, perPage: query.per_page });
    res.json(listEnvelope(query, page, { by: 'next_run_at', order: 'asc' }));
  });

  mount(router, specs.show, async (req, res) => {
    res.json(await schedules.get(currentUser(req), parseInput(specs.show.params.id, req.params.id, 'id')));
  });

  mount(router, specs.update, async (req, res) => {
    const scheduleId = parseInput(specs.update.params.id, req.params.id, 'id');
    const body = parseInput(specs.update.body, req.body ?? {}, 'body');
    res.json(await schedules.update(currentUser(req), scheduleId, body));
  });

  mount(router, specs.enable, async (req, res) => {
    res.json(await schedules.enable(currentUser(req), parseInput(specs.enable.params.id, req.params.id, 'id')));
  });

  mount(router, specs.disable, async (req, res) => {
    res.json(await schedules.disable(currentUser(req), parseInput(specs.disable.params.id, req.params.id, 'id')));
  });

  mount(router, specs.delete, async (req, res) => {
    res.json(await schedules.remove(currentUser(req), parseInput(specs.delete.params.id, req.params.id, 'id')));
  });

  return router;
}
