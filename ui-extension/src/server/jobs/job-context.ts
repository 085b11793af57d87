import { randomUUID } from 'node:crypto';
import type { Targeting } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { actionScope, requirePermission, type CurrentUser, type HostScope } from '../auth/abilities';
import { jobScopeSql } from '../auth/scope-sql';
import { auditContext, type AuditEntry } from '../audit/audit.service';
import type { Tx } from '../db-transaction';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { CatalogAction } from '../namespaces/namespace.service';
import { createHostSlots } from './host-slots';
import { createJobDispatcher, type JobMetrics, type JobProxyClient, type SmartProxyRef } from './job-dispatcher';
import type { HistoryOf, HistorySubjects } from './job-history';
import type { JobInvocationEntity } from './job-invocation.entity';
import type { JobInvocationRepository } from './job-invocation.repository';
import { createJobTargets } from './job-targets';
import { createJobWaiters } from './job-waiters';
import { lateResultsTold } from './late-results';
import type { ProxyHealthView } from './proxy-breaker';
import { createPuppetRunReports, type PuppetRunReportsDeps } from './puppet-run-reports';
import type { RemoteActionEntity } from './remote-action.entity';

/** A host as the inventory resolves a targeting (inventory/host.repository.ts `findTargets`). */
export interface TargetHost {
  id: number;
  name: string;
  smart_proxy_id: number | null;
  hostgroup_id: number | null;
}

/**
 * A targeting resolved: the inventory hosts the user may run on, and the certnames a PQL targeting
 * returned that the inventory does not know. Those are recorded in the job as skipped, "not in the
 * inventory", so PuppetDB's answer is never dropped without a word; they run nowhere, so a targeting
 * with no host but them is still empty (job-preview.ts).
 */
export interface RunTargets {
  hosts: TargetHost[];
  notInInventory: string[];
}

export interface JobInventory {
  /** Hosts of a targeting (relative dates against `now`); with `scope`, only hosts inside it match. */
  findTargets(filter: { search?: string; hostIds?: number[]; hostgroupId?: number }, now?: Date, scope?: HostScope): Promise<TargetHost[]>;
  /** Hosts by name (case-insensitive), for certnames a PuppetDB query returned. */
  findByNames?(names: string[]): Promise<Array<{ id: number; name: string }>>;
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
  /** PuppetDB and how to look up Puppet run reports in it (puppet-run-reports.ts); none: no lookups. */
  puppetRunReports?: Pick<PuppetRunReportsDeps, 'puppetdb' | 'waitMs' | 'concurrency' | 'retryMs'>;
  /**
   * A schedule's pending job was cancelled (committed): its occurrence ends now rather than at its
   * time (scheduler/fire-due-schedules.ts settleCancelledJob). Late-bound: the scheduler is built on jobs.
   */
  onScheduledJobCancelled?: (jobId: number, scheduleId: number) => Promise<void>;
}

/**
 * A validated remote action ready to be scheduled: a stored one (`remoteActionId`), or a new one
 * (`remoteActionId` null) that `storeRemoteAction` writes just before the schedule's transaction, once
 * every check passed, so a refused request stores nothing.
 */
export interface PreparedAction {
  remoteActionId: number | null;
  /** Canonical JSON of the arguments and their hash, as the remote_actions row stores them. */
  storedArguments: string;
  hash: string;
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

export type AuditVerb = 'create' | 'replay' | 'cancel' | 'pause' | 'resume';

/**
 * What every job use case shares: the dependencies, the dispatcher with its waiters and host
 * slots, the lease this instance takes, loading a job (and checking the user may see it), the
 * audit entry, and the targeting checks (job-targets.ts).
 */
export function createJobContext(deps: JobServiceDeps) {
  const { repo, clock, logger } = deps;
  const waiters = createJobWaiters();
  const slots = createHostSlots(deps.config.global_concurrency);
  const instanceId = deps.instanceId ?? randomUUID();
  const leaseMs = deps.leaseMs ?? 15_000;
  const recheckMs = deps.recheckMs ?? 500;
  const reports = deps.puppetRunReports
    ? createPuppetRunReports({ ...deps.puppetRunReports, store: repo, clock, logger: logger.child({ component: 'puppet-reports' }), onStored: (jobId) => waiters.notify(jobId) })
    : undefined;
  const dispatcher = createJobDispatcher({
    repo: reports ? lateResultsTold(repo, (jobId, rowIds) => void reports.lateResultsStored(jobId, rowIds)) : repo,
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
    resultsSinkFor: reports?.forJob,
  });

  async function loadJob(id: number): Promise<{ job: JobInvocationEntity; action: RemoteActionEntity }> {
    const job = await repo.findJob(id);
    if (!job) throw new AppError('NOT_FOUND', `job ${id} not found`);
    const action = await repo.findRemoteAction(job.remoteActionId);
    if (!action) throw new AppError('INTERNAL', `job ${id} refers to a missing remote action`);
    return { job, action };
  }

  /**
   * The job if the user may see it: view_jobs for its agent and action, and every host of it
   * inside what those filters reach (a job without host rows: the owner's, or unrestricted rules').
   * A job out of scope is NOT_FOUND, as if it did not exist.
   */
  async function loadVisibleJob(user: CurrentUser, id: number): Promise<{ job: JobInvocationEntity; action: RemoteActionEntity }> {
    requirePermission(user, 'view_jobs', 'showing jobs');
    // The row, its action and `reaches` in one statement: a long poll does this once per answer (issue #20).
    const loaded = await repo.findJobInScope(id, jobScopeSql(actionScope(user, 'view_jobs'), { job: 'job', action: 'ra' }, user.id));
    if (!loaded) throw new AppError('NOT_FOUND', `job ${id} not found`);
    if (!loaded.action) throw new AppError('INTERNAL', `job ${id} refers to a missing remote action`);
    if (!loaded.visible) throw new AppError('NOT_FOUND', `job ${id} not found`);
    return { job: loaded.job, action: loaded.action };
  }

  /** Whether the permission reaches the job: the very condition its listing applies (auth/scope-sql.ts jobScopeSql). */
  async function reaches(user: CurrentUser, permission: 'view_jobs' | 'cancel_jobs' | 'create_jobs', jobId: number): Promise<boolean> {
    return repo.jobInScope(jobId, jobScopeSql(actionScope(user, permission), { job: 'job', action: 'ra' }, user.id));
  }

  async function auditJob(user: CurrentUser, verb: AuditVerb, job: { id: number; description: string }, changes: Record<string, unknown>, tx?: Tx): Promise<void> {
    await deps.audit.record({ user, action: verb, object: { type: 'JobInvocation', id: job.id, name: job.description }, changes, ...auditContext(user) }, tx);
  }

  /** Whether the user may see a stored remote action: it ran in a job the user may see (as the actions listing shows it). */
  function actionVisible(user: CurrentUser, remoteActionId: number): Promise<boolean> {
    return repo.remoteActionInScope(remoteActionId, jobScopeSql(actionScope(user, 'view_jobs'), { job: 'job', action: 'ra' }, user.id));
  }

  /** The SQL dialect searches compile to, that of the job tables. */
  function dialect(): 'mysql' | 'sqlite' {
    return repo.isMysql ? 'mysql' : 'sqlite';
  }

  return {
    deps,
    repo,
    clock,
    logger,
    waiters,
    slots,
    dispatcher,
    reports,
    instanceId,
    leaseMs,
    recheckMs,
    loadJob,
    loadVisibleJob,
    reaches,
    auditJob,
    actionVisible,
    dialect,
    ...createJobTargets(deps),
  };
}

export type JobContext = ReturnType<typeof createJobContext>;
