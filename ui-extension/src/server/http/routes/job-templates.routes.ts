import { Router } from 'express';
import { z } from 'zod';
import type { JobTemplateService } from '../../templates/job-template.service';
import { exactBodyField, sendExactJson } from '../exact-json';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { listEnvelope, parseInput, type ListQuery } from '../validate';
import { targetingSchema } from './jobs.routes';
import { jobSchema, jobTemplateSchema, listOf } from '../response-schemas';

const INPUT_TYPES = ['string', 'integer', 'float', 'number', 'boolean', 'list', 'hash', 'array'] as const;
const inputName = z.string().min(1, 'is required').max(100, 'must be at most 100 characters').regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a DDL input name (letters, digits, _)');
const templateInput = z.object({
  name: inputName,
  type: z.enum(INPUT_TYPES, { errorMap: () => ({ message: `must be among ${INPUT_TYPES.join(', ')}` }) }),
  description: z.string().max(255, 'must be at most 255 characters').optional(),
  required: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
  default: z.unknown().optional(),
}).strict();
const positive = z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive');
const templateBody = z.object({
  job_template: z.object({
    name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters').regex(/\D/, 'must not be digits only (digits name a template by id)'),
    description_format: z.string().max(255, 'must be at most 255 characters').optional(),
    namespace: z.string().min(1, 'is required').max(100),
    action: z.string().min(1, 'is required').max(100),
    arguments: z.record(z.unknown()).optional(),
    inputs: z.array(templateInput).max(100, 'must be at most 100 inputs').optional(),
    targeting: targetingSchema.optional(),
    batch_size: positive.optional(),
    concurrency_level: positive.optional(),
    timeout: positive.max(86400, 'must be at most 86400').optional(),
  }).strict(),
}).strict();
const runBody = z.object({
  inputs: z.record(z.unknown()).optional(),
  targeting: targetingSchema.optional(),
  description: z.string().max(255, 'must be at most 255 characters').optional(),
}).strict();
const idOrName = z.string().min(1, 'is required').max(100, 'must be at most 100 characters');

export const jobTemplateRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/job_templates', response: listOf(jobTemplateSchema), tag: 'job_templates', summary: 'Job templates: an action with fixed arguments and typed inputs, run by name', permission: 'view_jobs' },
  create: { method: 'post', path: '/job_templates', response: jobTemplateSchema, tag: 'job_templates', summary: 'Save a job template, checked against its action\'s DDL (administrators)', permission: 'admin', body: templateBody, status: 201 },
  show: { method: 'get', path: '/job_templates/:id', response: jobTemplateSchema, tag: 'job_templates', summary: 'A job template by id or name', permission: 'view_jobs', params: { id: idOrName } },
  update: { method: 'put', path: '/job_templates/:id', response: jobTemplateSchema, tag: 'job_templates', summary: 'Replace a job template, checked against the DDL again (administrators)', permission: 'admin', params: { id: idOrName }, body: templateBody },
  destroy: { method: 'delete', path: '/job_templates/:id', response: jobTemplateSchema, tag: 'job_templates', summary: 'Delete a job template (administrators)', permission: 'admin', params: { id: idOrName } },
  run: { method: 'post', path: '/job_templates/:id/run', response: jobSchema, tag: 'job_templates', summary: 'Run a job template by id or name with its inputs (422 naming a wrong one); the job is checked as any other', permission: 'create_jobs', params: { id: idOrName }, body: runBody, bodyOptional: true, status: 201 },
});

/** `/api/v2/job_templates`: saved actions run by name (issue #19). */
export function createJobTemplateRoutes(templates: JobTemplateService): Router {
  const router = Router();
  const s = jobTemplateRouteSpecs;
  /** The template with its arguments and defaults as the client wrote them (`5.0` stays a float). */
  const exactTemplate = (req: Parameters<typeof exactBodyField>[0], body: z.output<typeof templateBody>) => {
    const t = body.job_template;
    if (t.arguments !== undefined) t.arguments = exactBodyField(req, ['job_template', 'arguments']) as Record<string, unknown>;
    if (t.inputs !== undefined) {
      const exact = exactBodyField(req, ['job_template', 'inputs']) as Array<{ default?: unknown }>;
      t.inputs = t.inputs.map((i, n) => (i.default === undefined ? i : { ...i, default: exact[n].default }));
    }
    return t;
  };
  mount(router, s.list, async (req, res) => {
    const page = await templates.list(currentUser(req));
    const all: ListQuery = { search: '', page: 1, per_page: Math.max(page.total, 1) };
    sendExactJson(res, listEnvelope(all, page, { by: 'name', order: 'asc' }));
  });
  mount(router, s.create, async (req, res) => {
    const body = parseInput(s.create.body, req.body, 'body');
    const created = await templates.create(currentUser(req), exactTemplate(req, body));
    res.status(201).location(`/api/v2/job_templates/${created.id}`);
    sendExactJson(res, created);
  });
  mount(router, s.show, async (req, res) => {
    sendExactJson(res, await templates.get(currentUser(req), parseInput(s.show.params.id, req.params.id, 'id')));
  });
  mount(router, s.update, async (req, res) => {
    const id = parseInput(s.update.params.id, req.params.id, 'id');
    const body = parseInput(s.update.body, req.body, 'body');
    sendExactJson(res, await templates.update(currentUser(req), id, exactTemplate(req, body)));
  });
  mount(router, s.destroy, async (req, res) => {
    sendExactJson(res, await templates.remove(currentUser(req), parseInput(s.destroy.params.id, req.params.id, 'id')));
  });
  mount(router, s.run, async (req, res) => {
    const id = parseInput(s.run.params.id, req.params.id, 'id');
    const body = parseInput(s.run.body, req.body ?? {}, 'body');
    if (body.inputs !== undefined) body.inputs = exactBodyField(req, ['inputs']) as Record<string, unknown>;
    const job = await templates.run(currentUser(req), id, body);
    res.status(201).location(`/api/v2/remote_execution/jobs/${job.id}`);
    sendExactJson(res, job);
  });
  return router;
}
