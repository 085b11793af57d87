import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { HOST_STATES, PUPPET_RUN_OUTCOME_FILTERS, type HostState, type PuppetRunOutcomeFilter } from '@common/jobs';
import type { HistoryOf } from '../../jobs/job-history';
import type { JobInvocationService } from '../../jobs/job-invocation.service';
import { JOB_HOST_SEARCH, JOB_SEARCH } from '../../jobs/job-search';
import { withPuppetRun } from '../../jobs/puppet-run-outcome';
import type { ScheduleService } from '../../scheduler/schedule.service';
import { exactBodyField, sendExactJson } from '../exact-json';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { decimalId, listEnvelope, listQuerySchema, parseInput } from '../validate';
import { recurrenceSchema, schedulingSchema, targetingTypeSchema } from './schedule.schemas';
import { rolloutSchema } from './rollout.schema';
import { jobEventsSchema, jobHostSchema, jobPreviewSchema, jobSchema, listOf } from '../response-schemas';

const id = decimalId;
const seconds = z.coerce.number({ invalid_type_error: 'must be a number' }).min(0, 'must be at least 0').max(3600, 'must be at most 3600');

/** Exported for the routes that create jobs of their own (puppet-run.routes.ts). */
export const targetingSchema = z
  .object({
    search: z.string().max(10000, 'must be at most 10000 characters').optional(),
    host_ids: z.array(z.number().int('must be whole numbers').positive('must be positive')).min(1, 'must name at least one host').max(100000, 'must be at most 100000 hosts').optional(),
    hostgroup_id: z.number().int('must be a whole number').positive('must be positive').optional(),
    pql: z.string().min(1, 'must not be empty').max(10000, 'must be at most 10000 characters').optional(),
  })
  .strict()
  .refine((t) => [t.search, t.host_ids, t.hostgroup_id, t.pql].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of search, host_ids, hostgroup_id, pql' });

const createSchema = z.object({
  job: z.object({
    namespace: z.string().min(1, 'is required').max(100),
    action: z.string().min(1, 'is required').max(100),
    arguments: z.record(z.unknown()).optional(),
    targeting: targetingSchema,
    description: z.string().max(255, 'must be at most 255 characters').optional(),
    concurrency_level: z.number().int('must be a whole number').positive('must be positive').optional(),
    batch_size: z.number().int('must be a whole number').positive('must be positive').optional(),
    timeout: z.number().int('must be a whole number').positive('must be positive').max(86400, 'must be at most 86400').optional(),
    rollout: rolloutSchema.optional(),
    scheduling: schedulingSchema.optional(),
    recurrence: recurrenceSchema.optional(),
    targeting_type: targetingTypeSchema.optional(),
  }),
});

const replaySchema = z
  .object({
    targeting: targetingSchema.optional(),
    hosts: z.enum(['failed', 'failed_and_not_run', 'all']).optional(),
    description: z.string().max(255).optional(),
  })
  .refine((b) => (b.targeting === undefined) !== (b.hosts === undefined), { message: 'give either targeting or hosts' });

const previewQuery = listQuerySchema.pick({ page: true, per_page: true });
// A version or an event sequence past 2^53 is no integer either side can hold exactly.
const counter = () => z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0').max(Number.MAX_SAFE_INTEGER, 'is too large');
const statusQuery = z.object({ wait: seconds.optional(), since: counter().optional() });
const eventsQuery = z.object({ after: counter().default(0), wait: seconds.optional(), limit: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional() });
/** `outcome=failed,changed`: a job's hosts whose Puppet run had one of these outcomes (job-search.ts). Exported for the hosts export. */
export const outcomeListSchema = z.string().optional().transform((s, ctx) => {
  if (!s) return undefined;
  const outcomes = s.split(',').map((x) => x.trim()).filter(Boolean);
  if (outcomes.some((x) => !PUPPET_RUN_OUTCOME_FILTERS.includes(x as PuppetRunOutcomeFilter))) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be among ${PUPPET_RUN_OUTCOME_FILTERS.join(', ')}` });
  return outcomes as PuppetRunOutcomeFilter[];
});
const hostsQuery = listQuerySchema.extend({
  outcome: outcomeListSchema,
  state: z.string().optional().transform((s, ctx) => {
    if (!s) return undefined;
    const states = s.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = states.filter((x) => !HOST_STATES.includes(x as HostState));
    if (bad.length > 0) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be among ${HOST_STATES.join(', ')}` });
    return states as HostState[];
  }),
});
// `from`/`to` bound the time a job ran or will run: started_at, else its scheduled time, else its creation.
const historyQuery = listQuerySchema.extend({
  from: z.coerce.date({ invalid_type_error: 'must be an ISO 8601 date' }).optional(),
  to: z.coerce.date({ invalid_type_error: 'must be an ISO 8601 date' }).optional(),
});
const factHistoryQuery = historyQuery.extend({
  value: z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters').optional(),
});

const factName = z.string().min(1, 'is required').max(255, 'must be at most 255 characters');
/** A host or smart proxy by id or name, a hostgroup by id or title: digits alone are an id. */
const idOrName = z.string().min(1, 'is required').max(255, 'must be at most 255 characters');

export const jobRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/remote_execution/jobs', response: listOf(jobSchema), tag: 'jobs', summary: 'Job history, newest first (search by namespace, action, arguments, targeting, user...; from/to: when it ran or will run)', permission: 'view_jobs', query: historyQuery, search: JOB_SEARCH },
  hostHistory: { method: 'get', path: '/hosts/:id/remote_execution/jobs', response: listOf(jobSchema), tag: 'jobs', summary: 'Jobs that ran on a host (by id or name)', permission: 'view_jobs', params: { id: idOrName }, query: historyQuery, search: JOB_SEARCH },
  hostgroupHistory: { method: 'get', path: '/hostgroups/:id/remote_execution/jobs', response: listOf(jobSchema), tag: 'jobs', summary: 'Jobs that targeted a hostgroup (by id or title) or ran on hosts in it or below it', permission: 'view_jobs', params: { id: idOrName }, query: historyQuery, search: JOB_SEARCH },
  smartProxyHistory: { method: 'get', path: '/smart_proxies/:id/remote_execution/jobs', response: listOf(jobSchema), tag: 'jobs', summary: 'Jobs with a stream to a smart proxy (by id or name)', permission: 'view_jobs', params: { id: idOrName }, query: historyQuery, search: JOB_SEARCH },
  factHistory: { method: 'get', path: '/fact_names/:name/remote_execution/jobs', response: listOf(jobSchema), tag: 'jobs', summary: 'Jobs whose targeting names a fact; with value=, jobs that ran on hosts whose fact had that value when the job ran (jobs.recorded_facts)', permission: 'view_jobs', params: { name: factName }, query: factHistoryQuery, search: JOB_SEARCH },
  create: { method: 'post', path: '/remote_execution/jobs', response: jobSchema, description: 'Foreman REX\'s job invocation: `job.namespace` and `job.action` name what to run, `job.arguments` its inputs (typed as written: `5.0` is no integer), `job.targeting` the hosts (a search, host ids, a hostgroup or a PuppetDB query). With `scheduling` or `recurrence` the answer is the schedule\'s first job, in state `scheduled`. Answers 201 with `Location: /api/v2/remote_execution/jobs/{id}`; follow it with `wait` or the events.', tag: 'jobs', summary: 'Run an action on the targeted hosts now, later (scheduling) or repeatedly (recurrence)', permission: 'create_jobs', body: createSchema, status: 201 },
  preview: { method: 'post', path: '/remote_execution/jobs/preview', response: jobPreviewSchema, tag: 'jobs', summary: 'What a job with this body would run on now, within your scope: hosts per smart proxy, skipped hosts with reasons, a page of host names; stores nothing', permission: 'create_jobs', body: createSchema, query: previewQuery },
  show: { method: 'get', path: '/remote_execution/jobs/:id', response: jobSchema, description: 'The job with its host counts by state, progress and aggregates. Long poll: with `since=<version>` and `wait=<seconds>` the answer comes as soon as the job\'s `version` passes `since`, or when `wait` runs out (then with the same version).', tag: 'jobs', summary: 'A job with its counts; wait=N long-polls until its version passes since', permission: 'view_jobs', params: { id }, query: statusQuery },
  hosts: { method: 'get', path: '/remote_execution/jobs/:id/hosts', response: listOf(jobHostSchema), tag: 'jobs', summary: 'A job\'s hosts with their states and outputs (search by name, state, proxy, hostgroup, statuscode, output, outcome...; outcome= filters a Puppet run job\'s hosts by run outcome)', permission: 'view_jobs', params: { id }, query: hostsQuery, search: JOB_HOST_SEARCH },
  events: { method: 'get', path: '/remote_execution/jobs/:id/events', response: jobEventsSchema, description: 'Each host\'s changes after sequence `after`, in order, with the job\'s state and `last_sequence`: ask again with `after=last_sequence` to follow a job without missing or repeating a host. With `wait=<seconds>` an empty answer waits for the next event.', tag: 'jobs', summary: 'A job\'s host events after a sequence number; wait=N long-polls', permission: 'view_jobs', params: { id }, query: eventsQuery },
  replay: { method: 'post', path: '/remote_execution/jobs/:id/replay', response: jobSchema, description: 'Foreman\'s rerun: the same action and arguments as a new job (its `parent_id` is this job), on `hosts=failed` (as Foreman\'s `failed_only`), `failed_and_not_run`, `all`, or on a new `targeting`. Answers 201 with the new job.', tag: 'jobs', summary: 'Run a job\'s action again, on new targeting or on its failed hosts', permission: 'create_jobs', params: { id }, body: replaySchema, bodyOptional: true, status: 201 },
  replayPreview: { method: 'post', path: '/remote_execution/jobs/:id/replay/preview', response: jobPreviewSchema, tag: 'jobs', summary: 'What a replay with this body would run on now, within your scope; stores nothing', permission: 'create_jobs', params: { id }, body: replaySchema, bodyOptional: true, query: previewQuery },
  cancel: { method: 'post', path: '/remote_execution/jobs/:id/cancel', response: jobSchema, description: 'Stops sending the job to more hosts and asks each proxy to cancel what it still waits for; hosts never asked end `cancelled`, hosts asked that stay silent end `no_response`, answers already in are kept. Answers the job with its state.', tag: 'jobs', summary: 'Cancel a running job', permission: 'cancel_jobs', params: { id } },
  pause: { method: 'post', path: '/remote_execution/jobs/:id/pause', response: jobSchema, tag: 'jobs', summary: 'Pause a job with a rollout policy: what was sent finishes, no new batch starts until resume', permission: 'cancel_jobs', params: { id } },
  resume: { method: 'post', path: '/remote_execution/jobs/:id/resume', response: jobSchema, tag: 'jobs', summary: 'Resume a paused job (or one waiting after its canary)', permission: 'cancel_jobs', params: { id } },
});

/** Aborts when the client goes away, so a long poll stops waiting for nobody. */
function closeSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** `/api/v2/remote_execution/jobs...` and the per-object histories. */
export function createJobRoutes(jobs: JobInvocationService, schedules: ScheduleService): Router {
  const router = Router();
  const specs = jobRouteSpecs;

  async function history(req: Request, res: Response, of?: HistoryOf): Promise<void> {
    const query = parseInput(specs.list.query, req.query, 'query');
    const page = await jobs.list(currentUser(req), { search: query.search, from: query.from, to: query.to, page: query.page, perPage: query.per_page, of });
    sendExactJson(res, listEnvelope(query, page, { by: 'id', order: 'desc' }));
  }

  mount(router, specs.list, (req, res) => history(req, res));
  mount(router, specs.hostHistory, (req, res) => history(req, res, { host: parseInput(specs.hostHistory.params.id, req.params.id, 'id') }));
  mount(router, specs.hostgroupHistory, (req, res) => history(req, res, { hostgroup: parseInput(specs.hostgroupHistory.params.id, req.params.id, 'id') }));
  mount(router, specs.smartProxyHistory, (req, res) => history(req, res, { smartProxy: parseInput(specs.smartProxyHistory.params.id, req.params.id, 'id') }));
  mount(router, specs.factHistory, (req, res) => {
    const { value } = parseInput(specs.factHistory.query, req.query, 'query');
    return history(req, res, { fact: parseInput(specs.factHistory.params.name, req.params.name, 'name'), value });
  });

  mount(router, specs.create, async (req, res) => {
    const body = parseInput(specs.create.body, req.body, 'body');
    // Typed inputs as written: `5.0` is no integer, `2` no float (docs/USAGE.md "Input types").
    if (body.job.arguments !== undefined) body.job.arguments = exactBodyField(req, ['job', 'arguments']) as Record<string, unknown>;
    // A future run or a recurring one: the answer is the schedule's first job, state `scheduled`.
    const job = body.job.scheduling || body.job.recurrence ? await schedules.createFromJobRequest(currentUser(req), body.job) : await jobs.create(currentUser(req), body.job);
    res.status(201).location(`/api/v2/remote_execution/jobs/${job.id}`);
    sendExactJson(res, job);
  });

  // Before `show`, which would not match a POST anyway; the body is the one `create` takes.
  mount(router, specs.preview, async (req, res) => {
    const body = parseInput(specs.preview.body, req.body, 'body');
    const query = parseInput(specs.preview.query, req.query, 'query');
    if (body.job.arguments !== undefined) body.job.arguments = exactBodyField(req, ['job', 'arguments']) as Record<string, unknown>;
    sendExactJson(res, await jobs.preview(currentUser(req), body.job, { page: query.page, perPage: query.per_page }));
  });

  mount(router, specs.show, async (req, res) => {
    const jobId = parseInput(specs.show.params.id, req.params.id, 'id');
    const query = parseInput(specs.show.query, req.query, 'query');
    sendExactJson(res, await jobs.get(currentUser(req), jobId, { wait: query.wait, since: query.since, signal: closeSignal(res) }));
  });

  mount(router, specs.hosts, async (req, res) => {
    const jobId = parseInput(specs.hosts.params.id, req.params.id, 'id');
    const query = parseInput(specs.hosts.query, req.query, 'query');
    const page = await jobs.hosts(currentUser(req), jobId, { states: query.state, outcomes: query.outcome, search: query.search || undefined, page: query.page, perPage: query.per_page });
    sendExactJson(res, listEnvelope(query, { ...page, results: page.results.map(withPuppetRun) }, { by: 'host_name', order: 'asc' }));
  });

  mount(router, specs.events, async (req, res) => {
    const jobId = parseInput(specs.events.params.id, req.params.id, 'id');
    const query = parseInput(specs.events.query, req.query, 'query');
    sendExactJson(res, await jobs.events(currentUser(req), jobId, { after: query.after, wait: query.wait, limit: query.limit, signal: closeSignal(res) }));
  });

  mount(router, specs.replay, async (req, res) => {
    const jobId = parseInput(specs.replay.params.id, req.params.id, 'id');
    const body = parseInput(specs.replay.body, req.body ?? {}, 'body');
    const job = await jobs.replay(currentUser(req), jobId, body);
    res.status(201).location(`/api/v2/remote_execution/jobs/${job.id}`);
    sendExactJson(res, job);
  });

  mount(router, specs.replayPreview, async (req, res) => {
    const jobId = parseInput(specs.replayPreview.params.id, req.params.id, 'id');
    const body = parseInput(specs.replayPreview.body, req.body ?? {}, 'body');
    const query = parseInput(specs.replayPreview.query, req.query, 'query');
    sendExactJson(res, await jobs.previewReplay(currentUser(req), jobId, body, { page: query.page, perPage: query.per_page }));
  });

  mount(router, specs.cancel, async (req, res) => {
    const jobId = parseInput(specs.cancel.params.id, req.params.id, 'id');
    sendExactJson(res, await jobs.cancel(currentUser(req), jobId));
  });

  mount(router, specs.pause, async (req, res) => {
    const jobId = parseInput(specs.pause.params.id, req.params.id, 'id');
    sendExactJson(res, await jobs.pause(currentUser(req), jobId));
  });

  mount(router, specs.resume, async (req, res) => {
    const jobId = parseInput(specs.resume.params.id, req.params.id, 'id');
    sendExactJson(res, await jobs.resume(currentUser(req), jobId));
  });

  return router;
}
