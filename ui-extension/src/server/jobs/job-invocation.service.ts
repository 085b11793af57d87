import { randomUUID } from 'node:crypto';
import type {
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
import { AppError } from '../errors';
import type { CurrentUser } from '../http/request-context';
import type { Logger } from '../logger';
import { REMOTE_EXECUTION_CAPABILITY, type CatalogAction } from '../namespaces/namespace.service';
import { canonicalJson, remoteActionHash } from './canonical-arguments';
import { createJobDispatcher, type JobProxyClient, type SmartProxyRef } from './job-dispatcher';
import type { JobHostEntity } from './job-host.entity';
import type { JobInvocationEntity } from './job-invocation.entity';
import { countsOf, type JobInvocationRepository, type NewJobHost } from './job-invocation.repository';
import { factNamesOfSearch, parseJobSearch, type JobSearchTerm } from './job-search';
import { createJobWaiters } from './job-waiters';
import { createHostSlots } from './host-slots';
import { emptyCounts, progressOf } from './host-states';
import { shapeOutput } from './output-shaping';
import type { RemoteActionEntity } from './remote-action.entity';

/** A host as the inventory resolves a targeting (inventory/host.repository.ts `findTargets`). */
export interface TargetHost {
  id: number;
  name: string;
  smart_proxy_id: number | null;
  hostgroup_id: number | null;
}

export interface JobInventory {
  findTargets(filter: { search?: string; hostIds?: number[]; hostgroupId?: number }): Promise<TargetHost[]>;
}

/** Validates and normalises arguments against the action's DDL; throws AppError 422 naming input and rule. */
export type ValidateArguments = (action: DdlAction__Output, args: Record<string, unknown>) => Record<string, unknown>;

export interface JobServiceDeps {
  repo: JobInvocationRepository;
  inventory: JobInventory;
  smartProxies: { findByIds(ids: number[]): Promise<SmartProxyRef[]> };
  proxies: JobProxyClient;
  catalog: { findAction(namespace: string, action: string): Promise<CatalogAction> };
  validateArguments: ValidateArguments;
  clock: () => Date;
  logger: Logger;
  config: {
    global_concurrency: number;
    default_timeout_s: number;
    retention_days: number;
    result_batch_size: number;
    long_poll_max_s: number;
  };
  /** This instance in job leases; a restarted instance with the same id resumes its jobs at once. */
  instanceId?: string;
  flushMs?: number;
  leaseMs?: number;
  graceMs?: number;
  /** How often a waiting long poll re-reads the job, to see writes made by another instance. */
  recheckMs?: number;
  retentionIntervalMs?: number;
}

export interface JobListParams {
  search: string;
  from?: Date;
  to?: Date;
  page: number;
  perPage: number;
  hostId?: number;
  hostgroupId?: number;
  factName?: string;
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
    graceMs: deps.graceMs ?? 30_000,
  });
  let retentionTimer: NodeJS.Timeout | undefined;

  /**
   * The one place authorization will go (issue 8: CASL rules by namespace and hostgroup). Until then
   * every authenticated user may do everything.
   */
  function authorize(_user: CurrentUser, _verb: 'create' | 'view' | 'cancel', _subject: { namespace?: string; jobId?: number }): void {
    // TODO(#8): check the user's abilities here and throw PERMISSION_DENIED.
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
      total_hosts: job.totalHosts,
      remote_action_id: job.remoteActionId,
      parent_id: job.parentId,
      namespace: action.namespace,
      action: action.action,
      arguments: JSON.parse(action.arguments) as Record<string, unknown>,
      targeting: storedTargeting(job),
      description: job.description,
      owner: job.owner,
      concurrency_level: job.concurrencyLevel,
      batch_size: job.batchSize,
      timeout: job.timeoutS,
      aggregates: job.aggregates ? JSON.parse(job.aggregates) : null,
      created_at: job.createdAt.toISOString(),
      started_at: iso(job.startedAt),
      finished_at: iso(job.finishedAt),
      updated_at: job.updatedAt.toISOString(),
    };
  }

  function toJobHost(row: JobHostEntity, ddl: DdlAction__Output): JobHost {
    const data = row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null;
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
    };
  }

  /** Groups target hosts by proxy; hosts that cannot run are skipped with the reason. */
  async function planHosts(targets: TargetHost[]): Promise<{ hosts: NewJobHost[]; proxyIds: number[]; counts: HostCounts }> {
    const proxyIds = [...new Set(targets.map((t) => t.smart_proxy_id).filter((id): id is number => id !== null))];
    const proxies = new Map((await deps.smartProxies.findByIds(proxyIds)).map((p) => [p.id, p]));
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

  async function resolveTargets(targeting: Targeting): Promise<TargetHost[]> {
    if (targeting.host_ids) return deps.inventory.findTargets({ hostIds: targeting.host_ids });
    if (targeting.hostgroup_id !== undefined) return deps.inventory.findTargets({ hostgroupId: targeting.hostgroup_id });
    return deps.inventory.findTargets({ search: targeting.search ?? '' });
  }

  async function storeAndDispatch(input: {
    user: CurrentUser;
    action: { id: number; entity?: RemoteActionEntity };
    ddl: DdlAction__Output;
    targeting: Targeting;
    parentId: number | null;
    description: string;
    concurrencyLevel: number | null;
    batchSize: number | null;
    timeoutS: number;
  }): Promise<Job> {
    const targets = await resolveTargets(input.targeting);
    const plan = await planHosts(targets);
    const now = clock();
    const factNames = factNamesOfSearch(input.targeting.search);
    const jobId = await repo.createJob({
      remoteActionId: input.action.id,
      parentId: input.parentId,
      owner: input.user.login,
      description: input.description,
      targetingSearch: input.targeting.search ?? null,
      targetingHostIds: input.targeting.host_ids ?? null,
      targetingHostgroupId: input.targeting.hostgroup_id ?? null,
      factNames,
      concurrencyLevel: input.concurrencyLevel,
      batchSize: input.batchSize,
      timeoutS: input.timeoutS,
      ddl: JSON.stringify(input.ddl),
      counts: plan.counts,
      smartProxyIds: plan.proxyIds,
      hosts: plan.hosts,
      leaseOwner: instanceId,
      leaseExpiresAt: new Date(now.getTime() + leaseMs),
      now,
    });
    logger.info({ jobId, hosts: plan.hosts.length, skipped: plan.counts.skipped, proxies: plan.proxyIds.length }, 'job created');
    const { job, action } = await loadJob(jobId);
    dispatcher.dispatch(jobId);
    return toJob(job, action);
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
    authorize,

    async create(user: CurrentUser, body: CreateJobRequest['job']): Promise<Job> {
      authorize(user, 'create', { namespace: body.namespace });
      const catalog = await deps.catalog.findAction(body.namespace, body.action);
      const args = deps.validateArguments(catalog.action, body.arguments ?? {});
      const canonical = canonicalJson(args);
      const stored = await repo.findOrCreateRemoteAction({ namespace: body.namespace, action: body.action, arguments: canonical, hash: remoteActionHash(body.namespace, body.action, args), now: clock() });
      return storeAndDispatch({
        user,
        action: { id: stored.id, entity: stored },
        ddl: catalog.action,
        targeting: body.targeting,
        parentId: null,
        description: body.description ?? `${body.namespace} ${body.action}`,
        concurrencyLevel: body.concurrency_level ?? null,
        batchSize: body.batch_size ?? null,
        timeoutS: body.timeout ?? (catalog.timeout || deps.config.default_timeout_s),
      });
    },

    /** The job; with `wait`, held until its version passes `since` (or it is final, or time runs out). */
    async get(user: CurrentUser, id: number, poll: { since?: number; wait?: number; signal?: AbortSignal } = {}): Promise<JobStatus> {
      authorize(user, 'view', { jobId: id });
      if (poll.wait && poll.wait > 0) await waitFor(id, (row) => row.version > (poll.since ?? 0), poll.wait, poll.signal);
      const { job, action } = await loadJob(id);
      const [succeeded, failed] = await Promise.all([repo.hostNames(id, ['succeeded'], MAX_NAMES), repo.hostNames(id, FAILED_STATES, MAX_NAMES)]);
      return { ...toJob(job, action), succeeded_hosts: succeeded, failed_hosts: failed };
    },

    async hosts(user: CurrentUser, id: number, query: { states?: HostState[]; search?: string; page: number; perPage: number }): Promise<{ total: number; subtotal: number; results: JobHost[] }> {
      authorize(user, 'view', { jobId: id });
      const { job } = await loadJob(id);
      const ddl = JSON.parse(job.ddl) as DdlAction__Output;
      const page = await repo.listHosts(id, query);
      return { total: page.total, subtotal: page.subtotal, results: page.results.map((r) => toJobHost(r, ddl)) };
    },

    /** Per-host events after a cursor; with `wait`, held until there is one. */
    async events(user: CurrentUser, id: number, query: { after: number; wait?: number; limit?: number; signal?: AbortSignal }): Promise<JobEventsPage> {
      authorize(user, 'view', { jobId: id });
      if (query.wait && query.wait > 0) await waitFor(id, (row) => row.lastEventSeq > query.after, query.wait, query.signal);
      const { job } = await loadJob(id);
      const ddl = JSON.parse(job.ddl) as DdlAction__Output;
      const rows = await repo.eventsAfter(id, query.after, Math.min(query.limit ?? MAX_EVENTS, MAX_EVENTS));
      const events: JobEvent[] = rows.map((r) => ({ ...toJobHost(r, ddl), sequence: r.eventSeq }));
      return { job_id: id, job_state: job.state, last_sequence: events.length > 0 ? events[events.length - 1].sequence : query.after, events };
    },

    async list(user: CurrentUser, params: JobListParams): Promise<{ total: number; subtotal: number; results: Job[] }> {
      authorize(user, 'view', {});
      const terms = parseJobSearch(params.search);
      const hostgroupIds = new Map<JobSearchTerm, number[]>();
      for (const t of terms.filter((x) => x.field === 'hostgroup' || x.field === 'hostgroup_id')) {
        const id = Number(t.value);
        if (!Number.isInteger(id)) throw new AppError('INVALID_ARGUMENT', `search: ${t.field} takes a hostgroup id, got '${t.value}'`, { details: { fields: [{ field: 'search', rule: `${t.field} is a number` }] } });
        hostgroupIds.set(t, await hostgroupSubtree(id));
      }
      const scope = params.hostgroupId !== undefined ? await hostgroupSubtree(params.hostgroupId) : undefined;
      const page = await repo.listJobs({ terms, hostgroupIds, from: params.from, to: params.to, hostId: params.hostId, scopeHostgroupIds: scope, factName: params.factName, page: params.page, perPage: params.perPage });
      return { total: page.total, subtotal: page.subtotal, results: page.results.map((r) => toJob(r.job, r.action)) };
    },

    async actions(user: CurrentUser, query: { page: number; perPage: number; namespace?: string; action?: string }): Promise<{ total: number; results: RemoteAction[] }> {
      authorize(user, 'view', {});
      const page = await repo.listActions(query.page, query.perPage, { namespace: query.namespace, action: query.action });
      return {
        total: page.total,
        results: page.results.map((r) => ({
          id: r.action.id,
          namespace: r.action.namespace,
          action: r.action.action,
          arguments: JSON.parse(r.action.arguments) as Record<string, unknown>,
          run_count: r.runCount,
          last_run_at: iso(r.lastRunAt),
          created_at: r.action.createdAt.toISOString(),
        })),
      };
    },

    /** A new job with the same remote action (and DDL) as its parent, on a new targeting. */
    async replay(user: CurrentUser, id: number, body: ReplayJobRequest): Promise<Job> {
      const { job, action } = await loadJob(id);
      authorize(user, 'create', { namespace: action.namespace });
      let targeting: Targeting;
      if (body.targeting) targeting = body.targeting;
      else {
        if (job.hostsPurgedAt) throw new AppError('FAILED_PRECONDITION', `job ${id} is older than the retention period; its hosts were purged, so replay it with a targeting`);
        const ids = await repo.hostIds(id, body.hosts === 'all' || !body.hosts ? 'all' : REPLAY_STATES[body.hosts]);
        targeting = { host_ids: ids };
      }
      return storeAndDispatch({
        user,
        action: { id: action.id, entity: action },
        ddl: JSON.parse(job.ddl) as DdlAction__Output,
        targeting,
        parentId: job.id,
        description: body.description ?? job.description,
        concurrencyLevel: job.concurrencyLevel,
        batchSize: job.batchSize,
        timeoutS: job.timeoutS,
      });
    },

    /** Nothing new is sent; running hosts are cancelled on the proxy; the rest end cancelled. */
    async cancel(user: CurrentUser, id: number): Promise<Job> {
      authorize(user, 'cancel', { jobId: id });
      const { job } = await loadJob(id);
      if (FINAL_JOB_STATES.includes(job.state)) throw new AppError('FAILED_PRECONDITION', `job ${id} is already ${job.state}`);
      await repo.updateJob(id, { cancelRequested: true }, clock());
      waiters.notify(id);
      // The instance running the job cancels at once; another one sees the flag on its next tick.
      await dispatcher.cancel(id);
      const after = await loadJob(id);
      return toJob(after.job, after.action);
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

  /** A hostgroup and its descendants, as the hostgroups of the hosts the inventory resolves for it. */
  async function hostgroupSubtree(id: number): Promise<number[]> {
    const hosts = await deps.inventory.findTargets({ hostgroupId: id });
    return [...new Set([id, ...hosts.map((h) => h.hostgroup_id).filter((x): x is number => x !== null)])];
  }
}

export type JobInvocationService = ReturnType<typeof createJobInvocationService>;

/** Without a validator no job may be created: unchecked arguments must never reach a proxy. */
export const unconfiguredValidator: ValidateArguments = () => {
  throw new AppError('FAILED_PRECONDITION', 'no argument validator is configured in this ui-extension');
};
