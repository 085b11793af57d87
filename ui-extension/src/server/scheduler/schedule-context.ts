import type { RolloutPolicy, Targeting, TargetingType } from '@common/jobs';
import type { Schedule, ScheduleDetail } from '@common/schedules';
import type { Tx } from '../db-transaction';
import { AppError } from '../errors';
import { auditContext, type AuditEntry } from '../audit/audit.service';
import { requirePermission, type CurrentUser } from '../auth/abilities';
import type { JobInvocationService, ScheduledJobInput } from '../jobs/job-invocation.service';
import { factNamesOfSearch } from '../jobs/job-search';
import type { RemoteActionEntity } from '../jobs/remote-action.entity';
import type { Logger } from '../logger';
import { createScheduleAccess, type ScheduleManagement, type ScheduleSubject } from './schedule-access';
import { toScheduleRun } from './schedule-definitions';
import type { ScheduleRepository } from './schedule.repository';
import type { ScheduleEntity } from './schedule.entity';
import { iso } from './schedule-timing';

/** Everything about the jobs a schedule makes, besides the action. */
export interface ScheduleJobOptions {
  targeting: Targeting;
  targeting_type?: TargetingType;
  description?: string;
  concurrency_level?: number;
  batch_size?: number;
  timeout?: number;
  rollout?: RolloutPolicy;
}

export interface ScheduleServiceDeps {
  repo: ScheduleRepository;
  jobs: Pick<JobInvocationService, 'prepareAction' | 'prepareStoredAction' | 'storeRemoteAction' | 'authorizeRun' | 'resolveWithin' | 'hostIdsInside' | 'createScheduledJob' | 'createScheduledJobs' | 'updateScheduledJob' | 'retimeScheduledJobs' | 'cancelScheduledJobs' | 'lockJobStates' | 'launchScheduled' | 'dispatch' | 'get'>;
  /** The owner as they are at firing time (auth.service.ts `loadCurrentUser`); null when gone. */
  users: { loadCurrentUser(userId: number): Promise<CurrentUser | null> };
  /** Creating, changing and deleting schedules is audited (audit/audit.service.ts). */
  audit: { record(entry: AuditEntry, tx?: Tx): Promise<void> };
  clock: () => Date;
  logger: Logger;
  instanceId: string;
  config: {
    /** Schedules claimed per transaction. */
    batch_size: number;
    /** Claim loops running at once on MariaDB (SQLite has one writer, so one loop). */
    workers: number;
    /** A recurring occurrence that cannot start within this many seconds of its time is missed. */
    recurring_start_window_s: number;
  };
  /** Called after a change that may move the next due time (the waker re-arms). */
  onChange?: () => void;
  /** Scheduler lag for /metrics: seconds from an occurrence's due time to its firing (committed). */
  onFired?: (lagSeconds: number) => void;
}

const RECENT_RUNS = 50;

export function targetingOf(s: ScheduleEntity): Targeting {
  if (s.targetingHostIds) return { host_ids: JSON.parse(s.targetingHostIds) as number[] };
  if (s.targetingHostgroupId !== null) return { hostgroup_id: s.targetingHostgroupId };
  if (s.targetingPql !== null) return { pql: s.targetingPql };
  return { search: s.targetingSearch ?? '' };
}

/** The targeting each run uses: static_query runs on the hosts resolved when it was set. */
export function runTargeting(s: ScheduleEntity): Targeting {
  return s.targetingType === 'static_query' && s.staticHostIds !== null ? { host_ids: JSON.parse(s.staticHostIds) as number[] } : targetingOf(s);
}

export function jobInput(s: ScheduleEntity, action: { namespace: string; action: string }, at: Date): ScheduledJobInput {
  return {
    scheduleId: s.id,
    ownerId: s.ownerId,
    scheduledAt: at,
    remoteActionId: s.remoteActionId,
    namespace: action.namespace,
    action: action.action,
    ddl: s.ddl,
    targeting: runTargeting(s),
    description: s.description,
    concurrencyLevel: s.concurrencyLevel,
    batchSize: s.batchSize,
    rolloutPolicy: s.rolloutPolicy,
    timeoutS: s.timeoutS,
  };
}

export type AuditVerb = 'create' | 'update' | 'destroy' | 'enable' | 'disable';

/**
 * What every schedule use case shares: loading a schedule with its action, showing it, who may
 * read or manage it, the audit entry of a change, and keeping its pending job in step.
 */
export function createScheduleContext(deps: ScheduleServiceDeps) {
  const { repo, jobs } = deps;
  const access = createScheduleAccess({ jobs, users: deps.users });

  async function actionOf(id: number): Promise<RemoteActionEntity> {
    const action = (await repo.actionsByIds([id])).get(id);
    if (!action) throw new AppError('INTERNAL', `schedule refers to a missing remote action ${id}`);
    return action;
  }

  function toSchedule(s: ScheduleEntity, action: RemoteActionEntity): Schedule {
    return {
      id: s.id,
      enabled: s.enabled,
      namespace: action.namespace,
      action: action.action,
      arguments: JSON.parse(action.arguments) as Record<string, unknown>,
      remote_action_id: s.remoteActionId,
      targeting: {
        search: s.targetingSearch,
        host_ids: s.targetingHostIds ? (JSON.parse(s.targetingHostIds) as number[]) : null,
        hostgroup_id: s.targetingHostgroupId,
        pql: s.targetingPql,
        fact_names: factNamesOfSearch(s.targetingSearch),
      },
      targeting_type: s.targetingType,
      static_host_ids: s.staticHostIds ? (JSON.parse(s.staticHostIds) as number[]) : null,
      start_at: s.startAt.toISOString(),
      start_before: iso(s.startBefore),
      cron_line: s.cronLine,
      time_zone: s.timeZone,
      max_iterations: s.maxIterations,
      end_time: iso(s.endTime),
      iterations: s.iterations,
      next_run_at: iso(s.nextRunAt),
      last_run_at: iso(s.lastRunAt),
      next_job_id: s.nextJobId,
      owner: s.owner,
      description: s.description,
      concurrency_level: s.concurrencyLevel,
      batch_size: s.batchSize,
      rollout: s.rolloutPolicy ? (JSON.parse(s.rolloutPolicy) as RolloutPolicy) : null,
      timeout: s.timeoutS,
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    };
  }

  async function loadSchedule(id: number): Promise<ScheduleEntity> {
    const s = await repo.findById(id);
    if (!s) throw new AppError('NOT_FOUND', `schedule ${id} not found`);
    return s;
  }

  async function detail(id: number): Promise<ScheduleDetail> {
    const s = await loadSchedule(id);
    const runs = await repo.recentRuns(id, RECENT_RUNS);
    return {
      ...toSchedule(s, await actionOf(s.remoteActionId)),
      runs: runs.map(toScheduleRun),
    };
  }

  /**
   * The user may run the action on the targeting now (the same check as a job made by hand), and
   * every host of the targeting the user sees lies in its scopes (schedule-access.ts); for
   * static_query, the hosts it resolves to now, which every run will use.
   */
  async function authorizedHostIds(user: CurrentUser, owner: { id?: number; ownerId: number; owner: string }, action: { namespace: string; action: string }, type: TargetingType, targeting: Targeting): Promise<string | null> {
    await jobs.authorizeRun(user, action.namespace, action.action, targeting);
    const hosts = await access.requireNewTargeting(user, { ...owner, namespace: action.namespace, action: action.action }, targeting, type);
    return type === 'static_query' ? JSON.stringify(hosts.map((t) => t.id)) : null;
  }

  function subjectOf(s: ScheduleEntity, action: RemoteActionEntity): ScheduleSubject {
    return { id: s.id, ownerId: s.ownerId, owner: s.owner, namespace: action.namespace, action: action.action, targeting: runTargeting(s) };
  }

  /** Written in the change's own transaction: the change and its audit entry commit together. */
  async function audited(tx: Tx, user: CurrentUser, verb: AuditVerb, s: { id: number; description: string }, changes: Record<string, unknown>): Promise<void> {
    await deps.audit.record({ user, action: verb, object: { type: 'Schedule', id: s.id, name: s.description }, changes, ...auditContext(user) }, tx);
  }

  /** A schedule the user may see (schedule-access.ts `canRead`); otherwise NOT_FOUND, as for a job. */
  async function visible(user: CurrentUser, id: number): Promise<{ s: ScheduleEntity; action: RemoteActionEntity }> {
    requirePermission(user, 'view_jobs', 'showing schedules');
    const s = await loadSchedule(id);
    const action = await actionOf(s.remoteActionId);
    if (!(await access.canRead(user, subjectOf(s, action)))) throw new AppError('NOT_FOUND', `schedule ${id} not found`);
    return { s, action };
  }

  /** A schedule the user may see and change or stop (schedule-access.ts `requireManage`). */
  async function manageable(user: CurrentUser, id: number, how: ScheduleManagement): Promise<{ s: ScheduleEntity; action: RemoteActionEntity }> {
    const found = await visible(user, id);
    await access.requireManage(user, subjectOf(found.s, found.action), how);
    return found;
  }

  /** Points the schedule's pending job at `next` (re-timing, creating or cancelling it); returns its id. */
  async function settlePendingJob(tx: Tx, s: ScheduleEntity, action: { namespace: string; action: string }, pendingJobId: number | null, next: Date | null): Promise<number | null> {
    if (!next) {
      if (pendingJobId !== null) await jobs.cancelScheduledJobs(tx, [pendingJobId]);
      return null;
    }
    if (pendingJobId !== null && (await jobs.updateScheduledJob(tx, pendingJobId, s.owner, jobInput(s, action, next)))) return pendingJobId;
    return jobs.createScheduledJob(tx, s.owner, jobInput(s, action, next));
  }

  return { deps, access, actionOf, toSchedule, loadSchedule, detail, authorizedHostIds, subjectOf, audited, visible, manageable, settlePendingJob };
}

export type ScheduleContext = ReturnType<typeof createScheduleContext>;
