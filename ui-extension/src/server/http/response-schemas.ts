import { z } from 'zod';
import { HOST_STATES, JOB_STATES } from '@common/jobs';

/**
 * What the API answers on success, as zod schemas: the OpenAPI document shows them as each
 * operation's response (openapi.ts), and the authorization matrix test checks every success it
 * gets against its route's schema, with no field left undeclared. They follow the REST types in
 * src/common/ (HostDto, Job, Schedule, UserDto...), which the services return.
 */

// Functions, not shared instances: the converter writes a schema met twice as a $ref to its first
// place, which reads badly in the document.
const timestamp = () => z.string().datetime({ offset: true }).describe('ISO 8601 time');
const nullableTimestamp = () => timestamp().nullable();
const id = () => z.number().int();
const jsonObject = () => z.record(z.unknown());

/** A reference by id and name (a role, an organization). */
const namedRef = () => z.object({ id: id(), name: z.string() });

/** Foreman's list envelope around `results`. */
export function listOf<T extends z.ZodTypeAny>(item: T, extra: z.ZodRawShape = {}) {
  return z.object({
    total: z.number().int().describe('Items the caller may see, before the search'),
    subtotal: z.number().int().describe('Items matching the search'),
    page: z.number().int(),
    per_page: z.number().int(),
    search: z.string().nullable(),
    sort: z.object({ by: z.string().nullable(), order: z.enum(['asc', 'desc']).nullable() }),
    results: z.array(item),
    ...extra,
  });
}

export const hostSchema = z.object({
  id: id(), name: z.string(),
  hostgroup_id: id().nullable(), hostgroup_name: z.string().nullable(), hostgroup_title: z.string().nullable(),
  smart_proxy_id: id().nullable(), smart_proxy_name: z.string().nullable(),
  organization_id: id().nullable(), organization_name: z.string().nullable(),
  location_id: id().nullable(), location_name: z.string().nullable(),
  last_seen_at: nullableTimestamp(), missing_since: nullableTimestamp(), created_at: nullableTimestamp(), updated_at: nullableTimestamp(),
});

export const hostgroupSchema = z.object({
  id: id(), name: z.string(), title: z.string().describe('The full path, parent/child'), parent_id: id().nullable(), ancestry: z.string().nullable(),
  created_at: timestamp(), updated_at: timestamp(), hosts_count: z.number().int().describe('Hosts in this hostgroup and below it'),
});

export const completionSchema = z.object({ completed: z.string(), part: z.string(), label: z.string(), category: z.string() });

export const factSchema = z.object({ name: z.string().describe('Flattened as Foreman stores it, os::family'), value: z.string(), source: z.string().nullable().describe('Where the value came from (a proxy, PuppetDB, an import)') });
export const factNameSchema = z.object({ name: z.string() });
export const factValueSchema = z.object({ value: z.string(), count: z.number().int().describe('Hosts you may see with this value') });
export const taxonomySchema = z.object({ id: id(), name: z.string(), created_at: timestamp(), updated_at: timestamp() });

export const smartProxySchema = z.object({
  id: id(), name: z.string(), url: z.string(), features: z.array(z.string()), capabilities: z.array(z.string()), transport: z.string().nullable(),
  status: z.enum(['online', 'offline', 'unknown']).describe('Live status from the background checks'),
  last_seen_at: nullableTimestamp(), status_checked_at: nullableTimestamp(), status_reason: z.string().nullable(),
  demo: z.boolean(), version: z.string().nullable(), created_at: timestamp(), updated_at: timestamp(),
});

const hostCounts = () => z.object({ created: z.number().int(), updated: z.number().int(), reassigned: z.number().int(), unchanged: z.number().int(), facts_written: z.number().int(), facts_deleted: z.number().int(), facts_outranked: z.number().int() });

export const refreshReportSchema = hostCounts().extend({
  smart_proxy_id: id(), smart_proxy_name: z.string(), nodes: z.number().int(), missing: z.number().int(),
  features: z.array(z.string()), capabilities: z.array(z.string()),
  proxy_changes: z.record(z.tuple([z.unknown(), z.unknown()])).describe('Each changed field of the proxy: [before, after]'),
});

export const importReportSchema = z.object({
  organizations: z.object({ created: z.number().int() }), locations: z.object({ created: z.number().int() }), hostgroups: z.object({ created: z.number().int() }),
  smart_proxies: z.object({ created_or_updated: z.number().int() }), hosts: hostCounts(),
});

export const puppetDbSyncSchema = hostCounts().extend({
  puppetdb: z.string().describe('The PuppetDB asked'), nodes: z.number().int().describe('Nodes it answered'),
  smart_proxies_assigned: z.number().int().describe('Hosts created with the smart proxy of their Puppet master'),
  created_without_smart_proxy: z.number().int().describe('Hosts created whose Puppet master matches no smart proxy'),
  hosts_without_smart_proxy: z.array(z.object({ name: z.string(), puppet_master: z.string().nullable() })).describe('The first 100 of those, with the master they named'),
});

const count = () => z.number().int();
export const foremanSyncSchema = z.object({
  foreman: z.string().describe('The Foreman asked'),
  hosts: z.object({ created: count(), updated: count(), removed: count().describe('Hosts this sync brought that Foreman no longer lists; deleted with their facts'), unchanged: count() }),
  hostgroups: z.object({ created: count(), updated: count().describe('Hostgroups we had that Foreman also has: linked to Foreman from now on'), removed: count(), kept: count().describe('Gone from Foreman but kept: a hostgroup from another source is still below it') }),
  facts: z.object({ written: count(), deleted: count(), outranked: count().describe('Reported with another value than the inventory file holds: that value stays') }),
  smart_proxies: z.object({ matched: z.array(z.string()).describe('Foreman smart proxies registered here by the same name'), unknown: z.array(z.string()).describe('Foreman smart proxies not registered here: their hosts keep the proxy they have') }),
  changes: z.array(z.object({ type: z.enum(['host', 'hostgroup', 'organization', 'location']), name: z.string(), change: z.enum(['created', 'updated', 'removed']) })).describe('Each change by name, at most 500'),
  changes_omitted: count().describe('Changes past the first 500'),
});

const storedTargeting = () => z.object({ search: z.string().nullable(), host_ids: z.array(id()).nullable(), hostgroup_id: id().nullable(), pql: z.string().nullable(), fact_names: z.array(z.string()) });

const countOrPercent = () => z.union([z.number().int(), z.string().regex(/^\d+%$/)]);
/** A rollout policy as given (docs/API.md, "Rollout policy"). */
const rolloutPolicy = () => z.object({
  batch_size: countOrPercent().optional(), pause_s: z.number().int().optional(),
  canary: z.object({ hosts: z.number().int(), then: z.enum(['wait', 'continue']) }).optional(), max_failures: countOrPercent().optional(),
});

export const jobSchema = z.object({
  id: id(), state: z.enum(JOB_STATES), version: z.number().int().describe('Grows with every change; `since` and `wait` long-poll on it'),
  progress: z.number().describe('Percent of hosts finished'), counts: z.object(Object.fromEntries(HOST_STATES.map((s) => [s, z.number().int()])) as Record<(typeof HOST_STATES)[number], z.ZodNumber>),
  late_results: z.number().int(), total_hosts: z.number().int(), remote_action_id: id(), parent_id: id().nullable(),
  namespace: z.string(), action: z.string(), arguments: jsonObject(), targeting: storedTargeting(), description: z.string(), owner: z.string(),
  concurrency_level: z.number().int().nullable(), batch_size: z.number().int().nullable(), timeout: z.number().int(),
  aggregates: z.array(z.object({ function: z.string(), output: z.string(), display_as: z.string().optional(), value: z.union([z.record(z.number()).nullable(), z.number().nullable()]).describe('Counts by value (summary), or one number (sum, average); null before any reply') })).nullable(),
  created_at: timestamp(), started_at: nullableTimestamp(), finished_at: nullableTimestamp(), deadline_at: nullableTimestamp(), updated_at: timestamp(),
  schedule_id: id().nullable(), scheduled_at: nullableTimestamp(),
  succeeded_hosts: z.array(z.string()).optional(), failed_hosts: z.array(z.string()).optional().describe('Hosts failed, without response or skipped (at most 1000)'),
  cancelled_hosts: z.array(z.string()).optional().describe('Hosts cancelled (at most 1000)'),
  rollout: rolloutPolicy().nullable().describe('The rollout policy as given; null: one batch'),
  rollout_progress: z.object({
    batch: z.number().int().describe('Batches sent so far; 0 before the first'), batches: z.number().int(), batch_hosts: z.number().int(),
    paused: z.boolean(), pause_reason: z.string().nullable(), next_batch_at: nullableTimestamp(),
    failures: z.number().int().describe('Hosts failed or not responding so far'), max_failures: z.number().int().nullable(), stopped_reason: z.string().nullable(),
  }).nullable().describe('Where the rollout stands; null without a policy'),
});

/** A job as Foreman REX's job invocation (routes/job-invocations.routes.ts); Foreman's names where ours differ. */
export const jobInvocationSchema = z.object({
  id: id(), description: z.string(), job_category: z.string().describe('Foreman\'s category: our namespace'), namespace: z.string(), action: z.string(),
  inputs: jsonObject().describe('The arguments'), status: z.enum(JOB_STATES).describe('Our job state'),
  status_label: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).describe('Foreman\'s execution status label'),
  succeeded: z.number().int(), failed: z.number().int().describe('Failed, not responding or skipped hosts'), pending: z.number().int().describe('Pending or running hosts'), cancelled: z.number().int(),
  total: z.number().int(), total_hosts: z.number().int(), search_query: z.string().nullable().describe('The targeting as a search; null for a PuppetDB query'),
  mode: z.enum(['immediate', 'future']), recurring_logic_id: id().nullable().describe('Its schedule'),
  start_at: timestamp(), started_at: nullableTimestamp(), ended_at: nullableTimestamp(),
  execution_timeout_interval: z.number().int(), concurrency_level: z.number().int().nullable(), parent_id: id().nullable().describe('The job it reruns'),
});

export const jobInvocationHostSchema = z.object({
  id: id().nullable().describe('Null for a PuppetDB node outside the inventory (skipped)'), name: z.string(), job_status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']), state: z.enum(HOST_STATES), reason: z.string().nullable(),
  smart_proxy_id: id().nullable(), started_at: nullableTimestamp(), finished_at: nullableTimestamp(),
});

/** One host's output as Foreman REX answers `job_invocations/:id/hosts/:host_id`. */
export const jobInvocationHostOutputSchema = z.object({
  id: id().nullable(), name: z.string(), job_status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']), state: z.enum(HOST_STATES),
  complete: z.boolean(), refresh: z.boolean().describe('Ask again: the host is not final yet'), delayed: z.boolean(), start_at: nullableTimestamp(),
  output: z.array(z.object({ output_type: z.enum(['stdout', 'stderr', 'debug']), output: z.string(), timestamp: z.number().describe('Unix time, seconds') })),
});

/** What a job (or replay) with the same body would run on now (`jobs/preview`); nothing stored. */
export const jobPreviewSchema = z.object({
  targeting: jsonObject(), total_hosts: z.number().int(), will_run: z.number().int(), skipped: z.number().int(),
  smart_proxies: z.array(z.object({ id: id(), name: z.string(), hosts: z.number().int() })),
  skipped_reasons: z.array(z.object({ reason: z.string(), hosts: z.number().int(), host_names: z.array(z.string()) })),
  hosts: listOf(z.object({ id: id().nullable(), name: z.string(), smart_proxy_id: id().nullable(), smart_proxy_name: z.string().nullable(), state: z.enum(['pending', 'skipped']), reason: z.string().nullable() })),
  summary: z.string(),
});

export const jobHostSchema = z.object({
  host_id: id().nullable(), host_name: z.string(), smart_proxy_id: id().nullable(), state: z.enum(HOST_STATES), reason: z.string().nullable(),
  statuscode: z.number().int().nullable(), statusmsg: z.string().nullable(), data: jsonObject().nullable(),
  output: z.array(z.object({ name: z.string(), display_as: z.string(), value: z.unknown() })), started_at: nullableTimestamp(), finished_at: nullableTimestamp(),
  late: z.boolean(), late_at: nullableTimestamp(),
  puppet_run: z.object({
    outcome: z.enum(['changed', 'unchanged', 'failed', 'noop_pending']), changed_resources: z.number().int(), failed_resources: z.number().int(),
    out_of_sync_resources: z.number().int(), total_resources: z.number().int(), run_time: z.number().describe('Seconds'), config_version: z.string(),
    environment: z.string().nullable(), noop: z.boolean(),
    failed_resource_titles: z.array(z.string()).describe('Resources whose events failed (`Service[app]`), from the run\'s log; at most 50'),
    changed_resource_titles: z.array(z.string()).describe('Resources the run changed, from the run\'s log; at most 50'),
  }).nullable().optional().describe('puppet#runonce jobs: what the host\'s Puppet run did, from its last_run_summary; null when no run finished (the reason says why)'),
  puppetdb_report: z.object({
    hash: z.string().nullable().describe('The report\'s hash in PuppetDB; null when none was found'),
    url: z.string().nullable().describe('A PuppetDB query (/pdb/query/v4/reports) that answers this report'),
    summary: z.object({
      status: z.string().nullable(), noop: z.boolean().nullable(), noop_pending: z.boolean().nullable(), corrective_change: z.boolean().nullable(),
      changed_resources: z.number().int().nullable(), failed_resources: z.number().int().nullable(), out_of_sync_resources: z.number().int().nullable(), total_resources: z.number().int().nullable(),
      run_time: z.number().nullable().describe('Seconds (the time.total metric)'), configuration_version: z.string(), environment: z.string().nullable(),
      start_time: z.string(), end_time: z.string(), transaction_uuid: z.string().nullable(), producer: z.string().nullable(),
    }).nullable().describe('What PuppetDB holds of the report: status, noop, counts from its metrics'),
    reason: z.string().nullable().describe('Why there is no report (not in PuppetDB within puppetdb.report_wait_s, PuppetDB unreachable)'),
    fetched_at: timestamp(),
  }).nullable().optional().describe('puppet#runonce jobs with PuppetDB configured: the run\'s report in PuppetDB, looked up after the host\'s result; null until then'),
});

export const jobEventsSchema = z.object({ job_id: id(), job_state: z.enum(JOB_STATES), last_sequence: z.number().int(), events: z.array(jobHostSchema.extend({ sequence: z.number().int() })) });

/** One distinct set of arguments an action ran with (`argument_history`). */
export const argumentHistorySchema = z.object({
  remote_action_id: id(), arguments: jsonObject(), masked: z.array(z.string()).describe('Sensitive inputs stored as the mask: give them again'),
  run_count: z.number().int(), last_job_id: id(), last_run_at: timestamp(),
});

/** A job template: an action with fixed arguments and typed inputs, run by name. */
export const jobTemplateSchema = z.object({
  id: id(), name: z.string(), description_format: z.string(), namespace: z.string(), action: z.string(), arguments: jsonObject(),
  inputs: z.array(z.object({ name: z.string(), type: z.string(), description: z.string().optional(), required: z.boolean().optional(), default: z.unknown().optional() })),
  targeting: jsonObject().nullable(), batch_size: z.number().int().nullable(), concurrency_level: z.number().int().nullable(), timeout: z.number().int().nullable(),
  created_at: timestamp(), updated_at: timestamp(),
});

/** A webhook: its secret is never sent back. */
export const webhookSchema = z.object({
  id: id(), name: z.string(), url: z.string(), events: z.array(z.string()), enabled: z.boolean(), secret_set: z.boolean(), created_at: timestamp(), updated_at: timestamp(),
});

export const webhookDeliverySchema = z.object({
  id: id(), delivery_id: z.string(), event: z.string(), job_id: id().nullable(), schedule_run_id: id().nullable(), state: z.enum(['pending', 'delivered', 'failed']), attempts: z.number().int(),
  last_status_code: z.number().int().nullable(), last_error: z.string().nullable(), last_attempt_at: nullableTimestamp(), next_attempt_at: nullableTimestamp(),
  delivered_at: nullableTimestamp(), created_at: timestamp(),
});

export const remoteActionSchema = z.object({ id: id(), namespace: z.string(), action: z.string(), arguments: jsonObject(), run_count: z.number().int(), last_run_at: nullableTimestamp(), created_at: timestamp() });

export const namespaceSchema = z.object({
  name: z.string(), description: z.string(), version: z.string(), timeout: z.number(), smart_proxy_ids: z.array(id()),
  actions: z.array(z.object({ name: z.string(), description: z.string(), display: z.string(), inputs: z.array(jsonObject()), outputs: z.array(jsonObject()), aggregates: z.array(jsonObject()) })),
});

const scheduleRun = () => z.object({ at: timestamp(), state: z.string(), job_id: id().nullable(), reason: z.string().nullable(), recorded_at: timestamp() });

export const scheduleSchema = z.object({
  id: id(), enabled: z.boolean(), namespace: z.string(), action: z.string(), arguments: jsonObject(), remote_action_id: id(), targeting: storedTargeting(),
  targeting_type: z.enum(['dynamic_query', 'static_query']), static_host_ids: z.array(id()).nullable(), start_at: timestamp(), start_before: nullableTimestamp(),
  cron_line: z.string().nullable(), time_zone: z.string().nullable(), max_iterations: z.number().int().nullable(), end_time: nullableTimestamp(),
  iterations: z.number().int(), next_run_at: nullableTimestamp(), last_run_at: nullableTimestamp(), next_job_id: id().nullable(), owner: z.string(), description: z.string(),
  concurrency_level: z.number().int().nullable(), batch_size: z.number().int().nullable(), rollout: rolloutPolicy().nullable(), timeout: z.number().int(), created_at: timestamp(), updated_at: timestamp(),
  runs: z.array(scheduleRun()).optional().describe('Its recorded runs (one schedule only)'),
});

export const scheduleDefinitionSchema = scheduleSchema.extend({
  state: z.enum(['active', 'disabled', 'finished']), upcoming: z.array(timestamp()), last_run: scheduleRun().nullable(),
});

export const scheduleOccurrenceSchema = z.object({ at: timestamp(), schedule_id: id(), schedule: scheduleSchema });

export const userSchema = z.object({
  id: id(), login: z.string(), firstname: z.string().nullable(), lastname: z.string().nullable(), mail: z.string().nullable(), admin: z.boolean(), disabled: z.boolean(),
  roles: z.array(namedRef()), organizations: z.array(namedRef()), locations: z.array(namedRef()), created_at: timestamp(), updated_at: timestamp(),
});

export const currentUserSchema = userSchema.extend({ permissions: z.array(z.string()) });

export const roleSchema = z.object({
  id: id(), name: z.string(), description: z.string().nullable(), builtin: z.boolean(), locked: z.boolean(), cloned_from_id: id().nullable(),
  filters: z.array(z.object({ id: id(), search: z.string().nullable(), permissions: z.array(z.string()) })), users_count: z.number().int(), created_at: timestamp(), updated_at: timestamp(),
});

export const permissionSchema = z.object({ id: id(), name: z.string(), resource_type: z.string(), description: z.string() });

export const filterSchema = z.object({
  id: id(), search: z.string().nullable(), unlimited: z.boolean(), role: namedRef(), permissions: z.array(z.object({ id: id(), name: z.string(), resource_type: z.string() })), created_at: timestamp(), updated_at: timestamp(),
});

export const tokenSchema = z.object({
  id: id(), user_id: id(), name: z.string(), expires_at: nullableTimestamp(), last_used_at: nullableTimestamp(), active: z.boolean(), revoked: z.boolean(), created_at: timestamp(), updated_at: timestamp(),
  token_value: z.string().optional().describe('The secret: in the answer to its creation only'),
});

export const auditSchema = z.object({
  id: id(), created_at: timestamp(), user_id: id().nullable(), user_name: z.string().nullable(), action: z.string(), auditable_type: z.string(), auditable_id: id().nullable(),
  auditable_name: z.string().nullable(), audited_changes: jsonObject().nullable(), remote_address: z.string().nullable(), request_uuid: z.string().nullable(),
});

export const sessionSchema = z.object({ user: z.object({ id: id(), login: z.string(), admin: z.boolean() }), csrf_token: z.string().describe('Send it back in X-CSRF-Token on every write') });

export const statusSchema = z.object({
  result: z.enum(['ok', 'degraded']), version: z.string(),
  database: z.object({ kind: z.enum(['sqlite', 'mysql']), reachable: z.boolean(), writable: z.boolean(), error: z.string().optional(), latency_ms: z.number().optional(), checked_at: nullableTimestamp(), writes_failing_since: timestamp().optional() }),
  smart_proxies: z.array(z.object({ id: id(), name: z.string(), url: z.string(), reachable: z.boolean(), status: z.enum(['online', 'offline', 'unknown']), last_contact_at: nullableTimestamp(), checked_at: nullableTimestamp(), error: z.string().optional() })).optional()
    .describe('Only to a caller with view_smart_proxies, and only the proxies in its scope'),
});

export const openApiSchema = z.object({ openapi: z.string(), info: jsonObject(), paths: jsonObject() }).passthrough();

/**
 * The answers the document names (`components.schemas`): every operation's response refers to
 * these by name wherever it holds one, so Swagger UI and client generators show one `Job`, not
 * forty copies.
 */
export const NAMED_RESPONSE_SCHEMAS: Record<string, z.ZodTypeAny> = {
  Host: hostSchema, Hostgroup: hostgroupSchema, Fact: factSchema, FactName: factNameSchema, FactValue: factValueSchema, Taxonomy: taxonomySchema, SearchCompletion: completionSchema,
  SmartProxy: smartProxySchema, SmartProxyRefreshReport: refreshReportSchema, InventoryImportReport: importReportSchema, PuppetDbSyncReport: puppetDbSyncSchema, ForemanSyncReport: foremanSyncSchema, JobInvocation: jobInvocationSchema, JobInvocationHost: jobInvocationHostSchema, JobInvocationHostOutput: jobInvocationHostOutputSchema,
  Job: jobSchema, JobPreview: jobPreviewSchema, ArgumentHistoryEntry: argumentHistorySchema, JobTemplate: jobTemplateSchema, Webhook: webhookSchema, WebhookDelivery: webhookDeliverySchema, JobHost: jobHostSchema, JobEventsPage: jobEventsSchema, RemoteAction: remoteActionSchema, Namespace: namespaceSchema,
  Schedule: scheduleSchema, ScheduleDefinition: scheduleDefinitionSchema, ScheduleOccurrence: scheduleOccurrenceSchema,
  User: userSchema, CurrentUser: currentUserSchema, Role: roleSchema, Permission: permissionSchema, Filter: filterSchema, PersonalAccessToken: tokenSchema,
  Audit: auditSchema, Session: sessionSchema, Status: statusSchema, OpenApiDocument: openApiSchema,
};
