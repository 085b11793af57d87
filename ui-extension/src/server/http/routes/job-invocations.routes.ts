import { Router, type Request } from 'express';
import { z } from 'zod';
import { FINAL_HOST_STATES, type HostState, type Job, type JobHost, type JobState } from '@common/jobs';
import { AppError } from '../../errors';
import type { JobInvocationService } from '../../jobs/job-invocation.service';
import { JOB_HOST_SEARCH, JOB_SEARCH } from '../../jobs/job-search';
import type { JobTemplateService } from '../../templates/job-template.service';
import type { ScheduleService } from '../../scheduler/schedule.service';
import { exactBodyField, sendExactJson } from '../exact-json';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { decimalId, listEnvelope, listQuerySchema, parseInput } from '../validate';
import { jobInvocationHostOutputSchema, jobInvocationHostSchema, jobInvocationSchema, listOf } from '../response-schemas';
import { schedulingSchema, targetingTypeSchema } from './schedule.schemas';

/**
 * Foreman REX's API names for our jobs (foreman_remote_execution app/controllers/api/v2/
 * job_invocations_controller.rb; shared/research/foreman-rex.md §2.1), so scripts written for
 * Foreman (foreman-ansible-modules' job_invocation, hammer-style clients) can be pointed here:
 * `job_invocations` for jobs, `inputs` for arguments, `search_query` for targeting,
 * `execution_timeout_interval` for timeout, `concurrency_control.concurrency_level`,
 * `job_template_id` for a job template, `rerun` with `failed_only`, and a host's output as
 * Foreman's `{complete, refresh, output: [{output_type, output, timestamp}]}`. Each alias checks
 * the same permission as the route it stands for and answers through the same service call.
 */
const id = decimalId;
const idOrName = z.string().min(1, 'is required').max(255, 'must be at most 255 characters');
const positive = z.number().int('must be a whole number').positive('must be positive');

const createBody = z.object({
  job_invocation: z.object({
    job_template_id: z.union([positive, z.string().min(1).max(100)]).optional(),
    namespace: z.string().min(1, 'is required').max(100).optional(),
    action: z.string().min(1, 'is required').max(100).optional(),
    inputs: z.record(z.unknown()).optional(),
    search_query: z.string().min(1, 'must not be empty').max(10000, 'must be at most 10000 characters').optional(),
    host_ids: z.array(positive).min(1, 'must name at least one host').max(100000, 'must be at most 100000 hosts').optional(),
    targeting_type: targetingTypeSchema.optional(),
    description_format: z.string().max(255, 'must be at most 255 characters').optional(),
    execution_timeout_interval: positive.max(86400, 'must be at most 86400').optional(),
    concurrency_control: z.object({ concurrency_level: positive.optional() }).strict().optional(),
    scheduling: schedulingSchema.optional(),
    recurrence: z.object({
      cron_line: z.string().max(255, 'must be at most 255 characters').optional(),
      time_zone: z.string().max(64, 'must be at most 64 characters').optional(),
      max_iteration: positive.optional(),
      end_time: z.string().max(40).optional(),
    }).strict().optional(),
  }).strict()
    .refine((j) => (j.job_template_id === undefined) !== (j.namespace === undefined && j.action === undefined), { message: 'give either job_template_id or namespace and action', path: ['job_template_id'] })
    .refine((j) => j.job_template_id !== undefined || (j.namespace !== undefined && j.action !== undefined), { message: 'namespace and action come together', path: ['action'] })
    .refine((j) => (j.search_query === undefined) !== (j.host_ids === undefined), { message: 'give exactly one of search_query, host_ids', path: ['search_query'] }),
}).strict();
const rerunBody = z.object({ failed_only: z.boolean({ invalid_type_error: 'must be true or false' }).optional() }).strict();
const outputQuery = z.object({ since: z.coerce.number({ invalid_type_error: 'must be a Unix time in seconds' }).min(0, 'must be at least 0').optional() });

export const jobInvocationRouteSpecs = defineRoutes({
  invocationList: { method: 'get', path: '/job_invocations', response: listOf(jobInvocationSchema), tag: 'jobs', summary: 'Foreman REX alias of GET /remote_execution/jobs: job history as job invocations', permission: 'view_jobs', query: listQuerySchema, search: JOB_SEARCH },
  invocationCreate: { method: 'post', path: '/job_invocations', response: jobInvocationSchema, tag: 'jobs', summary: 'Foreman REX alias of POST /remote_execution/jobs (or of a job template\'s run with job_template_id)', description: 'Body `{job_invocation: {...}}` with Foreman\'s names: `job_template_id` (a job template by id or name) or `namespace` and `action`; `inputs`; `search_query` or `host_ids`; `description_format`, `execution_timeout_interval`, `concurrency_control.concurrency_level`, `scheduling`, `recurrence` (`cron_line`, `max_iteration`, `end_time`, `time_zone`), `targeting_type`. Answers 201 with the job invocation.', permission: 'create_jobs', body: createBody, status: 201 },
  invocationShow: { method: 'get', path: '/job_invocations/:id', response: jobInvocationSchema, tag: 'jobs', summary: 'Foreman REX alias of GET /remote_execution/jobs/:id', permission: 'view_jobs', params: { id } },
  invocationHosts: { method: 'get', path: '/job_invocations/:id/hosts', response: listOf(jobInvocationHostSchema), tag: 'jobs', summary: 'Foreman REX alias of GET /remote_execution/jobs/:id/hosts: each host with its job_status', permission: 'view_jobs', params: { id }, query: listQuerySchema, search: JOB_HOST_SEARCH },
  invocationHostOutput: { method: 'get', path: '/job_invocations/:id/hosts/:host_id', response: jobInvocationHostOutputSchema, tag: 'jobs', summary: 'One host\'s output in a job, as Foreman REX answers it (complete, refresh, output lines); since= skips what was seen', permission: 'view_jobs', params: { id, host_id: idOrName }, query: outputQuery },
  invocationRerun: { method: 'post', path: '/job_invocations/:id/rerun', response: jobInvocationSchema, tag: 'jobs', summary: 'Foreman REX alias of POST /remote_execution/jobs/:id/replay: all hosts, or with failed_only the failed ones', permission: 'create_jobs', params: { id }, body: rerunBody, bodyOptional: true, status: 201 },
});

/** Foreman's execution status labels (HostStatus::ExecutionStatus): no `scheduled`, no `no_response`. */
type Label = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
const JOB_LABELS: Record<JobState, Label> = { scheduled: 'queued', queued: 'queued', running: 'running', succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled' };
const HOST_LABELS: Record<HostState, Label> = { pending: 'queued', running: 'running', succeeded: 'succeeded', failed: 'failed', no_response: 'failed', skipped: 'failed', cancelled: 'cancelled' };

/** The search Foreman would store for our targeting (hostgroup and host ids as Foreman writes them); null for PQL. */
function searchQuery(t: Job['targeting']): string | null {
  if (t.search !== null) return t.search;
  if (t.host_ids) return `id ^ (${t.host_ids.join(', ')})`;
  if (t.hostgroup_id !== null) return `hostgroup_id = ${t.hostgroup_id}`;
  return null;
}

export function toJobInvocation(job: Job): z.infer<typeof jobInvocationSchema> {
  const c = job.counts;
  return {
    id: job.id,
    description: job.description,
    job_category: job.namespace,
    namespace: job.namespace,
    action: job.action,
    inputs: job.arguments,
    status: job.state,
    status_label: JOB_LABELS[job.state],
    succeeded: c.succeeded,
    failed: c.failed + c.no_response + c.skipped,
    pending: c.pending + c.running,
    cancelled: c.cancelled,
    total: job.total_hosts,
    total_hosts: job.total_hosts,
    search_query: searchQuery(job.targeting),
    mode: job.schedule_id === null ? 'immediate' : 'future',
    recurring_logic_id: job.schedule_id,
    start_at: job.scheduled_at ?? job.created_at,
    started_at: job.started_at,
    ended_at: job.finished_at,
    execution_timeout_interval: job.timeout,
    concurrency_level: job.concurrency_level,
    parent_id: job.parent_id,
  };
}

const toHost = (h: JobHost): z.infer<typeof jobInvocationHostSchema> => ({
  id: h.host_id, name: h.host_name, job_status: HOST_LABELS[h.state], state: h.state, reason: h.reason, smart_proxy_id: h.smart_proxy_id, started_at: h.started_at, finished_at: h.finished_at,
});

/** One host's result as Foreman's output lines: shaped outputs on stdout, the reason on stderr, the exit status as debug. */
function toOutput(h: JobHost, since: number | undefined): z.infer<typeof jobInvocationHostOutputSchema> {
  const complete = FINAL_HOST_STATES.includes(h.state);
  const at = h.finished_at ? Date.parse(h.finished_at) / 1000 : null;
  const lines: Array<{ output_type: 'stdout' | 'stderr' | 'debug'; output: string; timestamp: number }> = [];
  if (at !== null && (since === undefined || at > since)) {
    for (const o of h.output) lines.push({ output_type: 'stdout', output: `${o.display_as}: ${typeof o.value === 'string' ? o.value : JSON.stringify(o.value)}\n`, timestamp: at });
    if (h.reason) lines.push({ output_type: 'stderr', output: `${h.reason}\n`, timestamp: at });
    if (h.statuscode !== null) lines.push({ output_type: 'debug', output: `Exit status: ${h.statuscode}\n`, timestamp: at });
  }
  return { id: h.host_id, name: h.host_name, job_status: HOST_LABELS[h.state], state: h.state, complete, refresh: !complete, delayed: h.state === 'pending', start_at: h.started_at, output: lines };
}

/** `/api/v2/job_invocations...`: Foreman REX's names over the jobs service. */
export function createJobInvocationRoutes(jobs: JobInvocationService, schedules: ScheduleService, templates: JobTemplateService): Router {
  const router = Router();
  const specs = jobInvocationRouteSpecs;

  mount(router, specs.invocationList, async (req, res) => {
    const query = parseInput(specs.invocationList.query, req.query, 'query');
    const page = await jobs.list(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page });
    sendExactJson(res, listEnvelope(query, { ...page, results: page.results.map(toJobInvocation) }, { by: 'id', order: 'desc' }));
  });

  mount(router, specs.invocationCreate, async (req, res) => {
    const { job_invocation: j } = parseInput(specs.invocationCreate.body, req.body, 'body');
    const inputs = j.inputs === undefined ? undefined : (exactBodyField(req, ['job_invocation', 'inputs']) as Record<string, unknown>);
    const targeting = j.search_query !== undefined ? { search: j.search_query } : { host_ids: j.host_ids as number[] };
    let job: Job;
    if (j.job_template_id !== undefined) {
      const unsupported = (['execution_timeout_interval', 'concurrency_control', 'scheduling', 'recurrence', 'targeting_type'] as const).filter((k) => j[k] !== undefined);
      if (unsupported.length > 0) {
        throw new AppError('INVALID_ARGUMENT', `job_invocation.${unsupported[0]}: not taken with job_template_id (the template sets it); leave it out or give namespace and action`, { httpStatus: 422, details: { fields: unsupported.map((k) => ({ field: `job_invocation.${k}`, rule: 'not taken with job_template_id' })) } });
      }
      job = await templates.run(currentUser(req), String(j.job_template_id), { inputs, targeting, description: j.description_format });
    } else {
      const body = {
        namespace: j.namespace as string,
        action: j.action as string,
        arguments: inputs,
        targeting,
        description: j.description_format,
        timeout: j.execution_timeout_interval,
        concurrency_level: j.concurrency_control?.concurrency_level,
        scheduling: j.scheduling,
        recurrence: j.recurrence && { cron_line: j.recurrence.cron_line, time_zone: j.recurrence.time_zone, max_iterations: j.recurrence.max_iteration, end_time: j.recurrence.end_time },
        targeting_type: j.targeting_type,
      };
      job = body.scheduling || body.recurrence ? await schedules.createFromJobRequest(currentUser(req), body) : await jobs.create(currentUser(req), body);
    }
    res.status(201).location(`/api/v2/job_invocations/${job.id}`);
    sendExactJson(res, toJobInvocation(job));
  });

  mount(router, specs.invocationShow, async (req, res) => {
    const jobId = parseInput(specs.invocationShow.params.id, req.params.id, 'id');
    sendExactJson(res, toJobInvocation(await jobs.get(currentUser(req), jobId, {})));
  });

  mount(router, specs.invocationHosts, async (req, res) => {
    const jobId = parseInput(specs.invocationHosts.params.id, req.params.id, 'id');
    const query = parseInput(specs.invocationHosts.query, req.query, 'query');
    const page = await jobs.hosts(currentUser(req), jobId, { search: query.search || undefined, page: query.page, perPage: query.per_page });
    sendExactJson(res, listEnvelope(query, { ...page, results: page.results.map(toHost) }, { by: 'host_name', order: 'asc' }));
  });

  mount(router, specs.invocationHostOutput, async (req: Request, res) => {
    const jobId = parseInput(specs.invocationHostOutput.params.id, req.params.id, 'id');
    const host = parseInput(specs.invocationHostOutput.params.host_id, req.params.host_id, 'host_id');
    const { since } = parseInput(specs.invocationHostOutput.query, req.query, 'query');
    // A host by id, or by name as Foreman's hosts controller finds one; only within the caller's view of the job.
    const search = /^\d+$/.test(host) ? `host_id = ${host}` : `name = "${host.replace(/["\\]/g, '')}"`;
    const page = await jobs.hosts(currentUser(req), jobId, { search, page: 1, perPage: 1 });
    if (page.results.length === 0) throw new AppError('NOT_FOUND', `host ${host} is not a host of job invocation ${jobId}`);
    sendExactJson(res, toOutput(page.results[0], since));
  });

  mount(router, specs.invocationRerun, async (req, res) => {
    const jobId = parseInput(specs.invocationRerun.params.id, req.params.id, 'id');
    const body = parseInput(specs.invocationRerun.body, req.body ?? {}, 'body');
    const job = await jobs.replay(currentUser(req), jobId, { hosts: body.failed_only ? 'failed' : 'all' });
    res.status(201).location(`/api/v2/job_invocations/${job.id}`);
    sendExactJson(res, toJobInvocation(job));
  });

  return router;
}
