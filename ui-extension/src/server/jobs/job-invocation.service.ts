import { randomUUID } from 'node:crypto';
import type { JobPreview } from '@common/job-preview';
import type {
  AggregateResult,
  CreateJobRequest,
  HostCounts,
  HostState,
  Job,
  JobEvent,
  JobEventsPage,
  JobHost,
  JobStatus,
  RemoteAction,
  ReplayJobRequest,
  StoredTargeting,
  Targeting,
} from '@common/jobs';
import { FINAL_JOB_STATES } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { parseExact } from '@protos/json-numbers';
import { actionScope, coversAction, hostScope, requirePermission, type CurrentUser, type HostScope } from '../auth/abilities';
import { jobScopeSql } from '../auth/scope-sql';
import { auditContext, type AuditEntry } from '../audit/audit.service';
import type { Tx } from '../db-transaction';
import { AppError, isAppError } from '../errors';
import type { Logger } from '../logger';
import { REMOTE_EXECUTION_CAPABILITY, type CatalogAction } from '../namespaces/namespace.service';
import { canonicalJson, remoteActionHash } from './canonical-arguments';
import { createJobDispatcher, type JobMetrics, type JobProxyClient, type SmartProxyRef } from './job-dispatcher';
import type { ProxyHealthView } from './proxy-breaker';
import type { JobHostEntity } from './job-host.entity';
import type { JobInvocationEntity } from './job-invocation.entity';
import { countsOf, type JobInvocationRepository, type NewJob, type NewJobHost } from './job-invocation.repository';
import { ACTION_SEARCH, factNamesOfSearch, JOB_HOST_SEARCH, jobSearchDefinition } from './job-search';
import { historyScope, type HistoryOf, type HistorySubjects } from './job-history';
import { compileSearch } from '../search/compiler';
import { createJobWaiters } from './job-waiters';
import { createHostSlots } from './host-slots';
import { emptyCounts, progressOf } from './host-states';
import { shapeOutput, withDisplayNames } from './output-shaping';
import type { RemoteActionEntity } from './remote-action.entity';
import { maskedInputs, splitSensitiveArguments } from './sensitive-arguments';
import { emptyTargetingError, previewOfPlan } from './job-preview';
import { parseStoredPolicy, progressOfRollout } from './rollout-policy';

/** A host as the inventory resolves a targeting (inventory/host.repository.ts `findTargets`). */
export interface TargetHost {
  id: number;
  name: string;
  smart_proxy_id: number | null;
  hostgroup_id: number | null;
}

export interface JobInventory {
  /** Hosts of a targeting (relative dates against `now`); with `scope`, only hosts inside it match. */
  findTargets(filter: { search?: string; hostIds?: number[]; hostgroupId?: number }, now?: Date, scope?: HostScope): Promise<TargetHost[]>;
  /** Hosts by name (case-insensitive), for certnames a PuppetDB query returned. */
  findByNames?(names: string[]): Promise<Array<{ id: number }>>;
}

/** Validates and normalises arguments against the action's DDL; throws AppError 422 naming input and rule. */
export type ValidateArguments = (action: DdlAction__Output, args: Record<string, unknown>) => Record<string, unknown>;

export interface JobServiceDeps {
  repo: JobInvocationRepository;
  inventory: JobInventory;
  smartProxies: { findByIds(ids: number[]): Promise<SmartProxyRef[]> };
  proxies: JobProxyClient;
  /** With `viewer`, an unknown namespace's error names only the smart proxies the viewer may see. */
  catalog: { findAction(namespace: string, action: string, viewer?: CurrentUser): Promise<CatalogAction> };
  validateArguments: ValidateArguments;
  /** Job creation, replay and cancel are audited (audit/audit.service.ts). */
  audit: { record(entry: AuditEntry, tx?: Tx): Promise<void> };
  /** Resolves `pql` targeting; without it such a job is refused (PuppetDB is not configured). */
  puppetdb?: { certnames(pql: string): Promise<string[]> };
  clock: () => Date;
  logger: Logger;
  config: {
    global_concurrency: number;
    default_timeout_s: number;
    retention_days: number;
    result_batch_size: number;
    long_poll_max_s: number;
    /** Most hosts one job may target (jobs.max_hosts_per_job). */
    max_hosts_per_job: number;
    /** Facts whose values are recorded with each job (jobs.recorded_facts), for `facts.<name>` in job searches. */
    recorded_facts?: readonly string[];
    /** Seconds past a job's deadline before a proxy still not done is given up (jobs.deadline_grace_s; 30 when absent). */
    deadline_grace_s?: number;
    /** Seconds results of a given-up proxy are still fetched as late results (jobs.late_results_window_s; 900 when absent). */
    late_results_window_s?: number;
  };
  /** This instance in job leases; a restarted instance with the same id resumes its jobs at once. */
  instanceId?: string;
  flushMs?: number;
  leaseMs?: number;
  graceMs?: number;
  /** How often a waiting long poll re-reads the job, to see writes made by another instance. */
  recheckMs?: number;
  retentionIntervalMs?: number;
  /** Host results, proxy stream latency and errors for /metrics (metrics/metrics.ts). */
  metrics?: JobMetrics;
  /**
   * The background proxy monitor's view (proxies/proxy-monitor.ts): a proxy it knows is down gets
   * one attempt per job instead of the whole re-attach window.
   */
  proxyHealth?: ProxyHealthView;
  /** Hosts, hostgroups, proxies and facts a history is asked for, by id or name (job-history.ts). */
  subjects?: HistorySubjects;
}

/** A validated, stored remote action ready to be scheduled. */
export interface PreparedAction {
  remoteActionId: number;
  namespace: string;
  action: string;
  arguments: Record<string, unknown>;
  /** JSON of the action's DDL, stored with the schedule and every job it makes. */
  ddl: string;
  timeoutS: number;
}

/** What a schedule stores about the jobs it makes. */
export interface ScheduledJobInput {
  scheduleId: number;
  /** The schedule's owner, who owns its jobs. */
  ownerId: number;
  scheduledAt: Date;
  remoteActionId: number;
  namespace: string;
  action: string;
  ddl: string;
  targeting: Targeting;
  description: string;
  concurrencyLevel: number | null;
  batchSize: number | null;
  /** The schedule's rollout policy (JSON), copied to every job it makes. */
  rolloutPolicy?: string | null;
  timeoutS: number;
}

export interface JobListParams {
  search: string;
  /** The time a job ran or will run (started, else scheduled, else created) at or after this. */
  from?: Date;
  to?: Date;
  page: number;
  perPage: number;
  /** Whose history: a host, hostgroup, smart proxy or fact, by id or name (job-history.ts). */
  of?: HistoryOf;
}

const MAX_EVENTS = 1000;
const MAX_NAMES = 1000;
const FAILED_STATES: HostState[] = ['failed', 'no_response', 'cancelled'];
const REPLAY_STATES: Record<'failed' | 'failed_and_not_run', HostState[]> = {
  failed: ['failed', 'no_response'],
  failed_and_not_run: ['failed', 'no_response', 'skipped', 'cancelled', 'pending'],
};

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * Jobs: create (validate, store the remote action and the targeting, resolve hosts, write them
 * grouped by proxy), dispatch, status with long polling, host pages, the events feed, history,
 * replay, cancel and retention.
 */
export function createJobInvocationService(deps: JobServiceDeps) {
  const { repo, clock, logger } = deps;
  const waiters = createJobWaiters();
  const slots = createHostSlots(deps.config.global_concurrency);
  const instanceId = deps.instanceId ?? randomUUID();
  const leaseMs = deps.leaseMs ?? 15_000;
  const recheckMs = deps.recheckMs ?? 500;
  const dispatcher = createJobDispatcher({
    repo,
    proxies: deps.proxies,
    smartProxies: deps.smartProxies,
    slots,
    waiters,
    clock,
    logger,
    instanceId,
    resultBatchSize: deps.config.result_batch_size,
    flushMs: deps.flushMs ?? 50,
    leaseMs,
    graceMs: deps.graceMs ?? (deps.config.deadline_grace_s ?? 30) * 1000,
    lateResultsWindowMs: (deps.config.late_results_window_s ?? 900) * 1000,
    metrics: deps.metrics,
    health: deps.proxyHealth,
  });
  let retentionTimer: NodeJS.Timeout | undefined;

  /** One job's hosts are written in one transaction and streamed in one go: their number is capped. */
  function refuseOverHostLimit(hosts: number): void {
    const limit = deps.config.max_hosts_per_job;
    if (hosts <= limit) return;
    throw new AppError('INVALID_ARGUMENT', `targeting: matches ${hosts} hosts, more than the ${limit} one job may target (jobs.max_hosts_per_job); split the job or narrow the targeting`, {
      httpStatus: 422,
      details: { fields: [{ field: 'targeting', rule: `at most ${limit} hosts` }], limit, hosts },
    });
  }

  /**
   * The hosts a targeting names that the user may see (view_hosts), checked against what the user
   * may run (create_jobs for this agent and action, with its host conditions). Throws
   * PERMISSION_DENIED naming how many hosts are refused and why; resolves the hosts otherwise.
   * A targeting of which the user sees no host is refused with 422 (job-preview.ts), or, for a
   * preview (`allowEmpty`), answers no host. Replays, scheduled runs and previews come through here
   * too, with the owner's permissions of that moment.
   */
  async function authorizeRun(user: CurrentUser, namespace: string, action: string, targeting: Targeting, options: { allowEmpty?: boolean } = {}): Promise<TargetHost[]> {
    const what = `${namespace}.${action}`;
    requirePermission(user, 'create_jobs', `running ${what}`);
    if (!coversAction(user, 'create_jobs', namespace, action)) {
      throw new AppError('PERMISSION_DENIED', `access denied: none of your create_jobs filters allows ${what}`, { details: { missing_permissions: ['create_jobs'], namespace, action } });
    }
    if (targeting.host_ids) refuseOverHostLimit(new Set(targeting.host_ids).size);
    const targets = await resolveTargets(targeting, hostScope(user, 'view_hosts'));
    // No host exists or none is visible: one answer for both, so it reveals nothing (job-preview.ts).
    if (targets.length === 0) {
      if (options.allowEmpty) return targets;
      throw emptyTargetingError(targeting, what);
    }
    refuseOverHostLimit(targets.length);
    const unseen = targeting.host_ids ? new Set(targeting.host_ids).size - targets.length : 0;
    const runScope = hostScope(user, 'create_jobs', { namespace, action });
    let refused: TargetHost[] = [];
    if (!runScope.all && targets.length > 0) {
      const allowed = new Set((await deps.inventory.findTargets({ hostIds: targets.map((t) => t.id) }, clock(), runScope)).map((t) => t.id));
      refused = targets.filter((t) => !allowed.has(t.id));
    }
    if (unseen > 0 || refused.length > 0) {
      const total = targets.length + unseen;
      const reasons: string[] = [];
      if (refused.length > 0) {
        const names = refused.slice(0, 10).map((t) => t.name).join(', ');
        reasons.push(`${refused.length} ${refused.length === 1 ? 'is' : 'are'} outside the hostgroups, organizations and locations your create_jobs filters allow for ${what} (${names}${refused.length > 10 ? ', ...' : ''})`);
      }
      if (unseen > 0) reasons.push(`${unseen} ${unseen === 1 ? 'does' : 'do'} not exist or ${unseen === 1 ? 'is' : 'are'} not visible to you`);
      throw new AppError('PERMISSION_DENIED', `access denied: you may not run ${what} on ${refused.length + unseen} of ${total} target hosts: ${reasons.join('; ')}`, {
        details: { missing_permissions: ['create_jobs'], namespace, action, hosts_refused: refused.length + unseen, hosts_total: total, refused_hosts: refused.slice(0, 10).map((t) => t.name) },
      });
    }
    return targets;
  }

  /**
   * The job if the user may see it: view_jobs for its agent and action, and every host of it
   * inside what those filters reach (a job without host rows: the owner's, or unrestricted rules').
   * A job out of scope is NOT_FOUND, as if it did not exist.
   */
  async function loadVisibleJob(user: CurrentUser, id: number): Promise<{ job: JobInvocationEntity; action: RemoteActionEntity }> {
    requirePermission(user, 'view_jobs', 'showing jobs');
    const loaded = await loadJob(id);
    if (!(await reaches(user, 'view_jobs', id))) throw new AppError('NOT_FOUND', `job ${id} not found`);
    return loaded;
  }

  /** Whether the permission reaches the job: the very condition its listing applies (auth/scope-sql.ts jobScopeSql). */
  async function reaches(user: CurrentUser, permission: 'view_jobs' | 'cancel_jobs', jobId: number): Promise<boolean> {
    return repo.jobInScope(jobId, jobScopeSql(actionScope(user, permission), { job: 'job', action: 'ra' }, user.id));
  }

  async function auditJob(user: CurrentUser, verb: 'create' | 'replay' | 'cancel' | 'pause' | 'resume', job: { id: number; description: string }, changes: Record<string, unknown>, tx?: Tx): Promise<void> {
    await deps.audit.record({ user, action: verb, object: { type: 'JobInvocation', id: job.id, name: job.description }, changes, ...auditContext(user) }, tx);
  }

  /** Pause and resume need what cancel needs, on a queued or running job with a rollout policy. */
  async function controllableRollout(user: CurrentUser, id: number, doing: string): Promise<{ job: JobInvocationEntity; action: RemoteActionEntity }> {
    const { job, action } = await loadVisibleJob(user, id);
    requirePermission(user, 'cancel_jobs', `${doing} jobs`);
    if (!(await reaches(user, 'cancel_jobs', id))) {
      throw new AppError('PERMISSION_DENIED', `access denied: job ${id} has hosts outside what your cancel_jobs filters allow for ${action.namespace}.${action.action}`, { details: { missing_permissions: ['cancel_jobs'], namespace: action.namespace, action: action.action } });
    }
    if (!['queued', 'running'].includes(job.state)) throw new AppError('FAILED_PRECONDITION', `job ${id} is ${job.state}: only a queued or running job can be paused or resumed`);
    if (!job.rolloutPolicy) {
      throw new AppError('FAILED_PRECONDITION', `job ${id} has no rollout policy: its hosts went out as one batch, so there is no next batch to hold; cancel it instead`, { details: { field: 'rollout', rule: 'pause needs a rollout policy' } });
    }
    return { job, action };
  }

  async function loadJob(id: number): Promise<{ job: JobInvocationEntity; action: RemoteActionEntity }> {
    const job = await repo.findJob(id);
    if (!job) throw new AppError('NOT_FOUND', `job ${id} not found`);
    const action = await repo.findRemoteAction(job.remoteActionId);
    if (!action) throw new AppError('INTERNAL', `job ${id} refers to a missing remote action`);
    return { job, action };
  }

  function storedTargeting(job: JobInvocationEntity, factNames: string[] = factNamesOfSearch(job.targetingSearch)): StoredTargeting {
    return {
      search: job.targetingSearch,
      host_ids: job.targetingHostIds ? (JSON.parse(job.targetingHostIds) as number[]) : null,
      hostgroup_id: job.targetingHostgroupId,
      pql: job.targetingPql,
      fact_names: factNames,
    };
  }

  function toJob(job: JobInvocationEntity, action: RemoteActionEntity): Job {
    const counts = countsOf(job);
    return {
      id: job.id,
      state: job.state,
      version: job.version,
      progress: progressOf(counts),
      counts,
      late_results: job.countLate,
      total_hosts: job.totalHosts,
      remote_action_id: job.remoteActionId,
      parent_id: job.parentId,
      namespace: action.namespace,
      action: action.action,
      arguments: parseExact(action.arguments) as Record<string, unknown>,
      targeting: storedTargeting(job),
      description: job.description,
      owner: job.owner,
      concurrency_level: job.concurrencyLevel,
      batch_size: job.batchSize,
      timeout: job.timeoutS,
      rollout: parseStoredPolicy(job.rolloutPolicy),
      rollout_progress: progressOfRollout(job, counts),
      aggregates: job.aggregates ? withDisplayNames(parseExact(job.aggregates) as AggregateResult[], job.ddl) : null,
      created_at: job.createdAt.toISOString(),
      started_at: iso(job.startedAt),
      finished_at: iso(job.finishedAt),
      deadline_at: iso(job.deadlineAt),
      updated_at: job.updatedAt.toISOString(),
      schedule_id: job.scheduleId,
      scheduled_at: iso(job.scheduledAt),
    };
  }

  function toJobHost(row: JobHostEntity, ddl: DdlAction__Output): JobHost {
    // Exact numbers (issue 26): the routes write them back as the node sent them (http/exact-json.ts).
    const data = row.data ? (parseExact(row.data) as Record<string, unknown>) : null;
    return {
      host_id: row.hostId,
      host_name: row.hostName,
      smart_proxy_id: row.smartProxyId,
      state: row.state,
      reason: row.reason,
      statuscode: row.statuscode,
      statusmsg: row.statusmsg,
      data,
      output: shapeOutput(ddl, row.statuscode, data),
      started_at: iso(row.startedAt),
      finished_at: iso(row.finishedAt),
      late: row.lateAt !== null,
      late_at: iso(row.lateAt),
    };
  }

  /** Groups target hosts by proxy; hosts that cannot run are skipped with the reason. */
  async function planHosts(targets: TargetHost[]): Promise<{ hosts: NewJobHost[]; proxyIds: number[]; counts: HostCounts }> {
    const proxyIds = [...new Set(targets.map((t) => t.smart_proxy_id).filter((id): id is number => id !== null))];
    return planHostsWith(targets, new Map((await deps.smartProxies.findByIds(proxyIds)).map((p) => [p.id, p])));
  }

  function planHostsWith(targets: TargetHost[], proxies: Map<number, SmartProxyRef>): { hosts: NewJobHost[]; proxyIds: number[]; counts: HostCounts } {
    const now = clock();
    const counts = emptyCounts();
    const used = new Set<number>();
    const hosts = targets.map((t): NewJobHost => {
      const proxy = t.smart_proxy_id === null ? undefined : proxies.get(t.smart_proxy_id);
      let reason: string | null = null;
      if (t.smart_proxy_id === null) reason = 'host has no smart proxy';
      else if (!proxy) reason = `smart proxy ${t.smart_proxy_id} is not registered`;
      else if (!proxy.capabilities.includes(REMOTE_EXECUTION_CAPABILITY)) reason = `smart proxy ${proxy.name} has no ${REMOTE_EXECUTION_CAPABILITY} capability`;
      const state: HostState = reason ? 'skipped' : 'pending';
      counts[state] += 1;
      if (!reason) used.add(t.smart_proxy_id!);
      return { hostId: t.id, hostName: t.name, smartProxyId: t.smart_proxy_id, hostgroupId: t.hostgroup_id, state, reason, finishedAt: reason ? now : null };
    });
    return { hosts, proxyIds: [...used].sort((a, b) => a - b), counts };
  }

  async function resolveTargets(targeting: Targeting, scope: HostScope): Promise<TargetHost[]> {
    if (targeting.pql !== undefined) {
      if (!deps.puppetdb || !deps.inventory.findByNames) {
        throw new AppError('FAILED_PRECONDITION', 'pql targeting needs PuppetDB; set puppetdb.url (UI_EXTENSION_PUPPETDB_URL)', { details: { fields: [{ field: 'targeting.pql', rule: 'PuppetDB configured' }] } });
      }
      const certnames = await deps.puppetdb.certnames(targeting.pql);
      // Certnames are host names; those the inventory does not know cannot be reached and are left
      // out, and so are hosts outside the user's scope, as a search leaves them out.
      const ids = (await deps.inventory.findByNames(certnames)).map((h) => h.id);
      if (ids.length < certnames.length) logger.info({ certnames: certnames.length, known: ids.length }, 'pql matched hosts the inventory does not know');
      return ids.length > 0 ? deps.inventory.findTargets({ hostIds: ids }, clock(), scope) : [];
    }
    if (targeting.host_ids) return deps.inventory.findTargets({ hostIds: targeting.host_ids }, clock(), scope);
    if (targeting.hostgroup_id !== undefined) return deps.inventory.findTargets({ hostgroupId: targeting.hostgroup_id }, clock(), scope);
    return deps.inventory.findTargets({ search: targeting.search ?? '' }, clock(), scope);
  }

  /** Whether the user may see a stored remote action: it ran in a job the user may see (as the actions listing shows it). */
  function actionVisible(user: CurrentUser, remoteActionId: number): Promise<boolean> {
    return repo.remoteActionInScope(remoteActionId, jobScopeSql(actionScope(user, 'view_jobs'), { job: 'job', action: 'ra' }, user.id));
  }

  /** create_jobs for this agent and action, before any host is looked at. */
  function requireCreate(user: CurrentUser, namespace: string, action: string): void {
    requirePermission(user, 'create_jobs', `running ${namespace}.${action}`);
    if (!coversAction(user, 'create_jobs', namespace, action)) {
      throw new AppError('PERMISSION_DENIED', `access denied: none of your create_jobs filters allows ${namespace}.${action}`, { details: { missing_permissions: ['create_jobs'], namespace, action } });
    }
  }

  function jobFields(owner: string, input: ScheduledJobInput) {
    return {
      remoteActionId: input.remoteActionId,
      parentId: null,
      owner,
      ownerId: input.ownerId,
      description: input.description,
      targetingSearch: input.targeting.search ?? null,
      targetingHostIds: input.targeting.host_ids ?? null,
      targetingHostgroupId: input.targeting.hostgroup_id ?? null,
      targetingPql: input.targeting.pql ?? null,
      concurrencyLevel: input.concurrencyLevel,
      batchSize: input.batchSize,
      rolloutPolicy: input.rolloutPolicy ?? null,
      timeoutS: input.timeoutS,
      ddl: input.ddl,
      scheduleId: input.scheduleId,
      scheduledAt: input.scheduledAt,
    };
  }

  async function createScheduledJobs(tx: Tx, items: Array<{ owner: string; input: ScheduledJobInput }>): Promise<number[]> {
    const now = clock();
    return repo.createScheduledJobs(tx, items.map(({ owner, input }) => ({
      ...jobFields(owner, input),
      counts: emptyCounts(),
      smartProxyIds: [],
      hosts: [],
      factNames: [],
      leaseOwner: null,
      leaseExpiresAt: null,
      now,
      state: 'scheduled' as const,
    })));
  }

  async function storeAndDispatch(input: {
    user: CurrentUser;
    action: { id: number; entity?: RemoteActionEntity };
    ddl: DdlAction__Output;
    targeting: Targeting;
    /** The targeting's hosts, already resolved and authorized (authorizeRun). */
    targets: TargetHost[];
    parentId: number | null;
    description: string;
    concurrencyLevel: number | null;
    batchSize: number | null;
    rolloutPolicy: string | null;
    timeoutS: number;
    /** Sensitive argument values, held in memory only (sensitive-arguments.ts). */
    secrets?: Record<string, unknown>;
    /** The audit entry, written in the job's own transaction: no job without its entry, nor the reverse. */
    audit: { verb: 'create' | 'replay'; changes: (totalHosts: number) => Record<string, unknown> };
  }): Promise<Job> {
    const plan = await planHosts(input.targets);
    const now = clock();
    const factNames = factNamesOfSearch(input.targeting.search);
    const jobId = await repo.transaction(async (tx) => {
      const id = await repo.createJob({
        remoteActionId: input.action.id,
        parentId: input.parentId,
        owner: input.user.login,
        ownerId: input.user.id,
        description: input.description,
        targetingSearch: input.targeting.search ?? null,
        targetingHostIds: input.targeting.host_ids ?? null,
        targetingHostgroupId: input.targeting.hostgroup_id ?? null,
        targetingPql: input.targeting.pql ?? null,
        factNames,
        concurrencyLevel: input.concurrencyLevel,
        batchSize: input.batchSize,
        rolloutPolicy: input.rolloutPolicy,
        timeoutS: input.timeoutS,
        ddl: JSON.stringify(input.ddl),
        counts: plan.counts,
        smartProxyIds: plan.proxyIds,
        hosts: plan.hosts,
        leaseOwner: instanceId,
        leaseExpiresAt: new Date(now.getTime() + leaseMs),
        now,
      }, tx);
      await auditJob(input.user, input.audit.verb, { id, description: input.description }, input.audit.changes(plan.hosts.length), tx);
      return id;
    });
    logger.info({ jobId, hosts: plan.hosts.length, skipped: plan.counts.skipped, proxies: plan.proxyIds.length }, 'job created');
    const { job, action } = await loadJob(jobId);
    dispatcher.dispatch(jobId, input.secrets);
    return toJob(job, action);
  }

  /** A later run takes its arguments from storage, and sensitive values are never stored (sensitive-arguments.ts). */
  function refuseSensitiveForLater(sensitiveInputs: string[]): void {
    if (sensitiveInputs.length === 0) return;
    const input = sensitiveInputs[0];
    throw new AppError('INVALID_ARGUMENT', `arguments.${input}: a sensitive input cannot be scheduled, because its value is never stored; run the job now instead`, { httpStatus: 422, details: { input, rule: 'sensitive inputs run only now' } });
  }

  /** The job to replay, its action and the targeting the replay runs on (its parent's hosts unless one is given). */
  async function replayTargeting(user: CurrentUser, id: number, body: ReplayJobRequest): Promise<{ job: JobInvocationEntity; action: RemoteActionEntity; targeting: Targeting }> {
    const { job, action } = await loadVisibleJob(user, id);
    const masked = maskedInputs(JSON.parse(job.ddl) as DdlAction__Output, JSON.parse(action.arguments) as Record<string, unknown>);
    if (masked.length > 0) {
      throw new AppError('FAILED_PRECONDITION', `job ${id} has sensitive arguments (${masked.join(', ')}), which are never stored; create a new job and give them again`, { details: { fields: masked.map((field) => ({ field, rule: 'sensitive, not stored' })) } });
    }
    if (body.targeting) return { job, action, targeting: body.targeting };
    if (job.hostsPurgedAt) throw new AppError('FAILED_PRECONDITION', `job ${id} is older than the retention period; its hosts were purged, so replay it with a targeting`);
    const ids = await repo.hostIds(id, body.hosts === 'all' || !body.hosts ? 'all' : REPLAY_STATES[body.hosts]);
    return { job, action, targeting: { host_ids: ids } };
  }

  async function waitFor(jobId: number, changed: (row: { version: number; lastEventSeq: number; state: string }) => boolean, waitS: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + Math.min(waitS, deps.config.long_poll_max_s) * 1000;
    for (;;) {
      const row = await repo.jobVersion(jobId);
      if (!row) throw new AppError('NOT_FOUND', `job ${jobId} not found`);
      if (changed(row) || FINAL_JOB_STATES.includes(row.state)) return;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return;
      // Woken at once by this instance's writer; the re-check interval catches other instances' writes.
      await waiters.wait(jobId, Math.min(recheckMs, left), signal);
    }
  }

  return {
    authorizeRun,

    /**
     * Every host a targeting names, resolved in full (not through anyone's view), for the checks
     * that must refuse an out-of-scope host instead of leaving it out (scheduler/schedule-access.ts).
     * Host ids that name no host are counted in `unknown`.
     */
    async resolveInFull(targeting: Targeting): Promise<{ hosts: TargetHost[]; unknown: number }> {
      const hosts = await resolveTargets(targeting, { all: true });
      return { hosts, unknown: targeting.host_ids ? new Set(targeting.host_ids).size - hosts.length : 0 };
    },

    /** The ids among `ids` of hosts inside `scope`. */
    async hostIdsInside(ids: number[], scope: HostScope): Promise<Set<number>> {
      if (scope.all) return new Set(ids);
      if (ids.length === 0) return new Set();
      return new Set((await deps.inventory.findTargets({ hostIds: ids }, clock(), scope)).map((t) => t.id));
    },

    actionVisible,

    async create(user: CurrentUser, body: Omit<CreateJobRequest['job'], 'scheduling' | 'recurrence' | 'targeting_type'>): Promise<Job> {
      requirePermission(user, 'create_jobs', `running ${body.namespace}.${body.action}`);
      if (!coversAction(user, 'create_jobs', body.namespace, body.action)) {
        throw new AppError('PERMISSION_DENIED', `access denied: none of your create_jobs filters allows ${body.namespace}.${body.action}`, { details: { missing_permissions: ['create_jobs'], namespace: body.namespace, action: body.action } });
      }
      const catalog = await deps.catalog.findAction(body.namespace, body.action, user);
      const validated = deps.validateArguments(catalog.action, body.arguments ?? {});
      const { stored: args, secrets } = splitSensitiveArguments(catalog.action, validated);
      const targets = await authorizeRun(user, body.namespace, body.action, body.targeting);
      const canonical = canonicalJson(args);
      const stored = await repo.findOrCreateRemoteAction({ namespace: body.namespace, action: body.action, arguments: canonical, hash: remoteActionHash(body.namespace, body.action, args), now: clock() });
      const job = await storeAndDispatch({
        user,
        action: { id: stored.id, entity: stored },
        ddl: catalog.action,
        targeting: body.targeting,
        targets,
        parentId: null,
        description: body.description ?? `${body.namespace} ${body.action}`,
        concurrencyLevel: body.concurrency_level ?? null,
        batchSize: body.batch_size ?? null,
        rolloutPolicy: body.rollout ? JSON.stringify(body.rollout) : null,
        timeoutS: body.timeout ?? (catalog.timeout || deps.config.default_timeout_s),
        secrets,
        audit: { verb: 'create', changes: (totalHosts) => ({ namespace: body.namespace, action: body.action, arguments: args, targeting: body.targeting, total_hosts: totalHosts }) },
      });
      return job;
    },

    /**
     * The first half of `create` for a job that runs later: checks the user may run the action,
     * validates the arguments against the DDL and stores the remote action.
     */
    async prepareAction(user: CurrentUser, body: { namespace: string; action: string; arguments?: Record<string, unknown> }): Promise<PreparedAction> {
      requireCreate(user, body.namespace, body.action);
      const catalog = await deps.catalog.findAction(body.namespace, body.action, user);
      const args = deps.validateArguments(catalog.action, body.arguments ?? {});
      refuseSensitiveForLater(Object.keys(splitSensitiveArguments(catalog.action, args).secrets));
      const stored = await repo.findOrCreateRemoteAction({ namespace: body.namespace, action: body.action, arguments: canonicalJson(args), hash: remoteActionHash(body.namespace, body.action, args), now: clock() });
      return { remoteActionId: stored.id, namespace: stored.namespace, action: stored.action, arguments: args, ddl: JSON.stringify(catalog.action), timeoutS: catalog.timeout || deps.config.default_timeout_s };
    },

    /**
     * A stored remote action (from history) ready to be scheduled. Its DDL comes from the proxies,
     * or, when none can answer, from the newest job that ran it (as a replay would use).
     */
    async prepareStoredAction(user: CurrentUser, remoteActionId: number): Promise<PreparedAction> {
      requirePermission(user, 'create_jobs', 'scheduling a stored action');
      const stored = await repo.findRemoteAction(remoteActionId);
      // An action the user may not see (its arguments may be secret) is as missing as an unknown one.
      if (!stored || !(await actionVisible(user, remoteActionId))) throw new AppError('NOT_FOUND', `remote action ${remoteActionId} not found`);
      requireCreate(user, stored.namespace, stored.action);
      let ddl: string;
      let timeoutS = deps.config.default_timeout_s;
      try {
        const catalog = await deps.catalog.findAction(stored.namespace, stored.action);
        ddl = JSON.stringify(catalog.action);
        timeoutS = catalog.timeout || timeoutS;
      } catch (error) {
        const fallback = await repo.latestDdlOfAction(stored.id);
        if (!fallback) throw error;
        ddl = fallback;
      }
      const args = JSON.parse(stored.arguments) as Record<string, unknown>;
      refuseSensitiveForLater(maskedInputs(JSON.parse(ddl) as DdlAction__Output, args));
      return { remoteActionId: stored.id, namespace: stored.namespace, action: stored.action, arguments: args, ddl, timeoutS };
    },

    /** Stores the `scheduled` jobs that stand for schedules' next occurrences, inside `tx`; ids in order. */
    createScheduledJobs,

    async createScheduledJob(tx: Tx, owner: string, input: ScheduledJobInput): Promise<number> {
      return (await createScheduledJobs(tx, [{ owner, input }]))[0];
    },

    /** Re-times or re-targets a job still `scheduled`; false when it no longer is. */
    async updateScheduledJob(tx: Tx, jobId: number, owner: string, input: ScheduledJobInput): Promise<boolean> {
      const f = jobFields(owner, input);
      return repo.updateScheduledJob(tx, jobId, {
        description: f.description,
        targetingSearch: f.targetingSearch,
        targetingHostIds: f.targetingHostIds ? JSON.stringify(f.targetingHostIds) : null,
        targetingHostgroupId: f.targetingHostgroupId,
        targetingPql: f.targetingPql,
        concurrencyLevel: f.concurrencyLevel,
        batchSize: f.batchSize,
        rolloutPolicy: f.rolloutPolicy,
        timeoutS: f.timeoutS,
        scheduledAt: input.scheduledAt,
      }, clock());
    },

    /** Moves jobs still `scheduled` to their schedules' new next occurrence. */
    retimeScheduledJobs: (tx: Tx, jobs: Array<{ jobId: number; at: Date }>) => repo.retimeScheduledJobs(tx, jobs, clock()),

    /** Cancels jobs still `scheduled` (their schedule was deleted, disabled or ran out). */
    cancelScheduledJobs: (tx: Tx, ids: number[]) => repo.cancelScheduledJobs(tx, ids, clock()),

    /** The states of some jobs, held until `tx` ends, so a cancel cannot slip in before a launch. */
    lockJobStates: (tx: Tx, ids: number[]) => repo.lockJobStates(tx, ids),

    /**
     * Launches occurrences inside the scheduler's transaction: checks what each owner may do now,
     * resolves each targeting now, writes the hosts and queues the jobs (the pending `scheduled` job,
     * which the caller holds through `lockJobStates`, or a new one when there is none). Work is shared
     * across the batch: one query per distinct search or hostgroup, one for all host ids, one for the
     * proxies, a few statements for all writes. Each item answers its job id or the AppError that
     * refused it (PERMISSION_DENIED when the owner may no longer run it); call `dispatch` for each id
     * once the transaction committed.
     */
    async launchScheduled(tx: Tx, items: Array<{ owner: CurrentUser; pendingJobId: number | null; input: ScheduledJobInput }>): Promise<Array<{ jobId: number } | { error: AppError }>> {
      const outcome: Array<{ jobId: number } | { error: AppError } | undefined> = new Array(items.length);
      // The owner's permissions of this moment, through the same check as a job made by hand; items
      // asking the same (owner, action, targeting) share one resolution.
      const shared = new Map<string, Promise<TargetHost[]>>();
      const resolved = await Promise.all(items.map(async (item, i) => {
        const key = JSON.stringify([item.owner.id, item.input.namespace, item.input.action, item.input.targeting]);
        let p = shared.get(key);
        if (!p) shared.set(key, (p = authorizeRun(item.owner, item.input.namespace, item.input.action, item.input.targeting)));
        try {
          return await p;
        } catch (error) {
          if (!isAppError(error)) throw error;
          outcome[i] = { error };
          return null;
        }
      }));
      const proxyIds = [...new Set(resolved.flatMap((targets) => (targets ?? []).map((t) => t.smart_proxy_id).filter((id): id is number => id !== null)))];
      const proxies = new Map((await deps.smartProxies.findByIds(proxyIds)).map((p) => [p.id, p]));
      const now = clock();
      const launches: Array<{ jobId: number; job: NewJob }> = [];
      for (const [i, item] of items.entries()) {
        const targets = resolved[i];
        if (!targets) continue;
        const plan = planHostsWith(targets, proxies);
        const job: NewJob = {
          ...jobFields(item.owner.login, item.input),
          counts: plan.counts,
          smartProxyIds: plan.proxyIds,
          hosts: plan.hosts,
          factNames: factNamesOfSearch(item.input.targeting.search),
          leaseOwner: instanceId,
          leaseExpiresAt: new Date(now.getTime() + leaseMs),
          now,
        };
        if (item.pendingJobId !== null) {
          launches.push({ jobId: item.pendingJobId, job });
          outcome[i] = { jobId: item.pendingJobId };
        } else {
          outcome[i] = { jobId: await repo.createJob(job, tx) };
        }
      }
      await repo.launchScheduledJobs(tx, launches);
      return outcome as Array<{ jobId: number } | { error: AppError }>;
    },

    /** Starts dispatching a queued job (after the transaction that queued it committed). */
    dispatch(jobId: number): void {
      logger.info({ jobId }, 'scheduled job queued');
      dispatcher.dispatch(jobId);
    },

    /** The job; with `wait`, held until its version passes `since` (or it is final, or time runs out). */
    async get(user: CurrentUser, id: number, poll: { since?: number; wait?: number; signal?: AbortSignal } = {}): Promise<JobStatus> {
      await loadVisibleJob(user, id);
      if (poll.wait && poll.wait > 0) await waitFor(id, (row) => row.version > (poll.since ?? 0), poll.wait, poll.signal);
      const { job, action } = await loadJob(id);
      const [succeeded, failed] = await Promise.all([repo.hostNames(id, ['succeeded'], MAX_NAMES), repo.hostNames(id, FAILED_STATES, MAX_NAMES)]);
      return { ...toJob(job, action), succeeded_hosts: succeeded, failed_hosts: failed };
    },

    async hosts(user: CurrentUser, id: number, query: { states?: HostState[]; search?: string; page: number; perPage: number }): Promise<{ total: number; subtotal: number; results: JobHost[] }> {
      const { job } = await loadVisibleJob(user, id);
      const ddl = JSON.parse(job.ddl) as DdlAction__Output;
      const search = query.search && query.search.trim() !== '' ? compileSearch(query.search, JOB_HOST_SEARCH, { dialect: dialect(), now: clock() }) : undefined;
      const page = await repo.listHosts(id, { states: query.states, search, page: query.page, perPage: query.perPage });
      return { total: page.total, subtotal: page.subtotal, results: page.results.map((r) => toJobHost(r, ddl)) };
    },

    /** Per-host events after a cursor; with `wait`, held until there is one. */
    async events(user: CurrentUser, id: number, query: { after: number; wait?: number; limit?: number; signal?: AbortSignal }): Promise<JobEventsPage> {
      await loadVisibleJob(user, id);
      if (query.wait && query.wait > 0) await waitFor(id, (row) => row.lastEventSeq > query.after, query.wait, query.signal);
      const { job } = await loadJob(id);
      const ddl = JSON.parse(job.ddl) as DdlAction__Output;
      const rows = await repo.eventsAfter(id, query.after, Math.min(query.limit ?? MAX_EVENTS, MAX_EVENTS));
      const events: JobEvent[] = rows.map((r) => ({ ...toJobHost(r, ddl), sequence: r.eventSeq }));
      return { job_id: id, job_state: job.state, last_sequence: events.length > 0 ? events[events.length - 1].sequence : query.after, events };
    },

    async list(user: CurrentUser, params: JobListParams): Promise<{ total: number; subtotal: number; results: Job[] }> {
      requirePermission(user, 'view_jobs', 'listing jobs');
      const visibility = jobScopeSql(actionScope(user, 'view_jobs'), { job: 'job', action: 'ra' }, user.id);
      const options = { dialect: dialect(), now: clock() };
      const definition = jobSearchDefinition(deps.config.recorded_facts ?? []);
      const search = params.search.trim() !== '' ? compileSearch(params.search, definition, options) : undefined;
      const history = params.of ? await historyScope(user, params.of, { definition, options, subjects: deps.subjects }) : undefined;
      const page = await repo.listJobs({ search, scope: history?.scope, from: params.from, to: params.to, page: params.page, perPage: params.perPage, visibility });
      // Nothing of that name to see and no job of it visible: the same 404 as for a name that does not exist.
      if (history && !history.visible && page.total === 0) throw new AppError('NOT_FOUND', history.notFound);
      return { total: page.total, subtotal: page.subtotal, results: page.results.map((r) => toJob(r.job, r.action)) };
    },

    /** Stored remote actions with at least one job the user may see; counts cover only those jobs. */
    async actions(user: CurrentUser, query: { page: number; perPage: number; namespace?: string; action?: string; search?: string }): Promise<{ total: number; subtotal: number; results: RemoteAction[] }> {
      requirePermission(user, 'view_jobs', 'listing remote actions');
      const visibility = jobScopeSql(actionScope(user, 'view_jobs'), { job: 'job', action: 'ra' }, user.id);
      const search = query.search && query.search.trim() !== '' ? compileSearch(query.search, ACTION_SEARCH, { dialect: dialect(), now: clock() }) : undefined;
      const page = await repo.listActions(query.page, query.perPage, { namespace: query.namespace, action: query.action, search }, visibility);
      return {
        total: page.total,
        subtotal: page.subtotal,
        results: page.results.map((r) => ({
          id: r.action.id,
          namespace: r.action.namespace,
          action: r.action.action,
          arguments: parseExact(r.action.arguments) as Record<string, unknown>,
          run_count: r.runCount,
          last_run_at: iso(r.lastRunAt),
          created_at: r.action.createdAt.toISOString(),
        })),
      };
    },

    /** What `create` with this body would run on, checked as `create` checks it, storing nothing (job-preview.ts). */
    async preview(user: CurrentUser, body: Pick<CreateJobRequest['job'], 'namespace' | 'action' | 'arguments' | 'targeting'>, page: { page: number; perPage: number }): Promise<JobPreview> {
      requireCreate(user, body.namespace, body.action);
      deps.validateArguments((await deps.catalog.findAction(body.namespace, body.action, user)).action, body.arguments ?? {});
      const targets = await authorizeRun(user, body.namespace, body.action, body.targeting, { allowEmpty: true });
      return previewOfPlan(deps.smartProxies, body.targeting, (await planHosts(targets)).hosts, page);
    },

    /** What `replay` with this body would run on, storing nothing. */
    async previewReplay(user: CurrentUser, id: number, body: ReplayJobRequest, page: { page: number; perPage: number }): Promise<JobPreview> {
      const { action, targeting } = await replayTargeting(user, id, body);
      const targets = await authorizeRun(user, action.namespace, action.action, targeting, { allowEmpty: true });
      return previewOfPlan(deps.smartProxies, targeting, (await planHosts(targets)).hosts, page);
    },

    /** A new job with the same remote action (and DDL) as its parent, on a new targeting. */
    async replay(user: CurrentUser, id: number, body: ReplayJobRequest): Promise<Job> {
      const { job, action, targeting } = await replayTargeting(user, id, body);
      const targets = await authorizeRun(user, action.namespace, action.action, targeting);
      const replayed = await storeAndDispatch({
        user,
        action: { id: action.id, entity: action },
        ddl: JSON.parse(job.ddl) as DdlAction__Output,
        targeting,
        targets,
        parentId: job.id,
        description: body.description ?? job.description,
        concurrencyLevel: job.concurrencyLevel,
        batchSize: job.batchSize,
        rolloutPolicy: job.rolloutPolicy,
        timeoutS: job.timeoutS,
        audit: { verb: 'replay', changes: (totalHosts) => ({ replay_of: job.id, namespace: action.namespace, action: action.action, targeting: body.targeting ?? { hosts: body.hosts ?? 'all' }, total_hosts: totalHosts }) },
      });
      return replayed;
    },

    /**
     * A rollout sends no new batch until resumed; what was sent finishes and is recorded. The pause
     * is stored in the job row: every instance, and a restarted one, keeps it.
     */
    async pause(user: CurrentUser, id: number): Promise<Job> {
      const { job, action } = await controllableRollout(user, id, 'pausing');
      if (!job.paused) {
        const paused = await repo.updateJob(id, { paused: true, pauseReason: `paused by ${user.login}` }, clock(), ['queued', 'running']);
        if (!paused) throw new AppError('FAILED_PRECONDITION', `job ${id} ended before it could be paused`);
        waiters.notify(id);
      }
      const after = toJob((await loadJob(id)).job, action);
      await auditJob(user, 'pause', after, { paused_before: job.paused });
      return after;
    },

    /** A paused rollout (or one waiting after its canary) goes on with its next batch. */
    async resume(user: CurrentUser, id: number): Promise<Job> {
      const { job, action } = await controllableRollout(user, id, 'resuming');
      if (!job.paused) throw new AppError('FAILED_PRECONDITION', `job ${id} is not paused`);
      await repo.updateJob(id, { paused: false, pauseReason: null }, clock(), ['queued', 'running']);
      waiters.notify(id);
      // The instance running the job looks at once; another one sees it on its next look at the row.
      dispatcher.wake(id);
      const after = toJob((await loadJob(id)).job, action);
      await auditJob(user, 'resume', after, { pause_reason: job.pauseReason });
      return after;
    },

    /** Nothing new is sent; running hosts are cancelled on the proxy; the rest end cancelled. */
    async cancel(user: CurrentUser, id: number): Promise<Job> {
      const { job, action } = await loadVisibleJob(user, id);
      requirePermission(user, 'cancel_jobs', 'cancelling jobs');
      if (!(await reaches(user, 'cancel_jobs', id))) {
        throw new AppError('PERMISSION_DENIED', `access denied: job ${id} has hosts outside what your cancel_jobs filters allow for ${action.namespace}.${action.action}`, { details: { missing_permissions: ['cancel_jobs'], namespace: action.namespace, action: action.action } });
      }
      if (FINAL_JOB_STATES.includes(job.state)) throw new AppError('FAILED_PRECONDITION', `job ${id} is already ${job.state}`);
      // A scheduled job has nothing running: it ends here, and its schedule records the occurrence cancelled.
      if (job.state === 'scheduled' && (await repo.updateJob(id, { state: 'cancelled', cancelRequested: true, finishedAt: clock() }, clock(), ['scheduled']))) {
        waiters.notify(id);
        const after = await loadJob(id);
        const cancelled = toJob(after.job, after.action);
        await auditJob(user, 'cancel', cancelled, { state_before: job.state });
        return cancelled;
      }
      await repo.updateJob(id, { cancelRequested: true }, clock());
      waiters.notify(id);
      // The instance running the job cancels at once; another one sees the flag on its next tick.
      await dispatcher.cancel(id);
      const after = await loadJob(id);
      const cancelled = toJob(after.job, after.action);
      await auditJob(user, 'cancel', cancelled, { state_before: job.state });
      return cancelled;
    },

    purgeOldHosts,

    /** Supervision (leases, take-over after a restart, deadlines) and the daily retention purge. */
    start(): void {
      dispatcher.startSupervisor();
      if (!retentionTimer) {
        retentionTimer = setInterval(() => void purgeOldHosts().catch((error: unknown) => logger.warn({ err: error }, 'retention purge failed')), deps.retentionIntervalMs ?? 3_600_000);
        retentionTimer.unref();
      }
    },

    /** Stops dispatching without finishing anything (another instance or a restart resumes). */
    async stop(): Promise<void> {
      if (retentionTimer) clearInterval(retentionTimer);
      retentionTimer = undefined;
      await dispatcher.stop();
    },

    /** Resolves when this instance stops dispatching the job (tests, graceful shutdown). */
    whenDispatched: (id: number) => dispatcher.whenDone(id),
    waiters,
    slots,
  };

  /** Deletes host rows of jobs finished more than `retention_days` ago; job summaries stay. */
  async function purgeOldHosts(): Promise<{ jobs: number; hosts: number }> {
    const now = clock();
    const cutoff = new Date(now.getTime() - deps.config.retention_days * 86_400_000);
    const result = await repo.purgeHostsFinishedBefore(cutoff, now);
    if (result.jobs > 0) logger.info(result, 'purged host results past retention');
    return result;
  }

  /** The SQL dialect searches compile to, that of the job tables. */
  function dialect(): 'mysql' | 'sqlite' {
    return repo.isMysql ? 'mysql' : 'sqlite';
  }
}

export type JobInvocationService = ReturnType<typeof createJobInvocationService>;

/** Without a validator no job may be created: unchecked arguments must never reach a proxy. */
export const unconfiguredValidator: ValidateArguments = () => {
  throw new AppError('FAILED_PRECONDITION', 'no argument validator is configured in this ui-extension');
};
