import type { Job, RolloutPolicy, Targeting, TargetingType } from '@common/jobs';
import type { Schedule, ScheduleDetail, ScheduleOccurrence } from '@common/schedules';
import type { Tx } from '../db-transaction';
import { AppError } from '../errors';
import { auditContext, type AuditEntry } from '../audit/audit.service';
import { coversAction, requirePermission, type CurrentUser } from '../auth/abilities';
import type { JobInvocationService, PreparedAction, ScheduledJobInput } from '../jobs/job-invocation.service';
import { factNamesOfSearch } from '../jobs/job-search';
import type { RemoteActionEntity } from '../jobs/remote-action.entity';
import type { Logger } from '../logger';
import { cronLineProblem, nextOccurrence, occurrencesBetween, timeZoneProblem, type Recurrence } from './recurrence';
import { createScheduleAccess, type ScheduleManagement, type ScheduleSubject } from './schedule-access';
import { listScheduleDefinitions, toScheduleRun } from './schedule-definitions';
import type { NewScheduleRun, ScheduleRepository } from './schedule.repository';
import type { ScheduleEntity } from './schedule.entity';
import { occurrenceRefusal } from './occurrence-refusal';

/** Timing as the API writes it (Foreman's `scheduling` / `recurrence`). */
export interface TimingInput {
  scheduling?: { start_at: string; start_before?: string };
  recurrence?: { cron_line?: string; time_zone?: string; max_iterations?: number; end_time?: string };
}

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

export type ScheduleUpdate = Partial<ScheduleJobOptions> & TimingInput;

type Timing =
  | { kind: 'once'; startAt: Date; startBefore: Date | null }
  | { kind: 'recurring'; cronLine: string; timeZone: string; maxIterations: number | null; endTime: Date | null };

export interface ScheduleServiceDeps {
  repo: ScheduleRepository;
  jobs: Pick<JobInvocationService, 'prepareAction' | 'prepareStoredAction' | 'authorizeRun' | 'resolveInFull' | 'hostIdsInside' | 'createScheduledJob' | 'createScheduledJobs' | 'updateScheduledJob' | 'retimeScheduledJobs' | 'cancelScheduledJobs' | 'lockJobStates' | 'launchScheduled' | 'dispatch' | 'get'>;
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

/** What one `runDue` pass did. */
export interface FireStats { fired: number; missed: number; refused: number; failed: number; cancelled: number; claimed: number }

/** `GET schedules?from=&to=`: the default and largest range, and the most entries computed. */
export const OCCURRENCE_DEFAULT_DAYS = 7;
export const OCCURRENCE_MAX_DAYS = 92;
export const OCCURRENCE_MAX_ENTRIES = 10_000;
const RECENT_RUNS = 50;
/** Longest a pass holds its queued jobs back while other instances are still firing the same burst. */
const DISPATCH_HOLD_MAX_MS = 2000;
/** Missed occurrences recorded one row each, per firing; a longer outage is summed up in the last row. */
const MISSED_ROWS_MAX = 100;
/** Occurrences walked to catch up after downtime; past this the rest are counted without a row each. */
const CATCH_UP_MAX = 10_000;
const DAY_MS = 86_400_000;

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** A 422 naming the field and the rule, as the DDL argument checks answer. */
function invalid(field: string, rule: string): AppError {
  return new AppError('INVALID_ARGUMENT', `${field}: ${rule}`, { httpStatus: 422, details: { fields: [{ field, rule }] } });
}

function parseInstant(value: string, field: string): Date {
  // Date.parse accepts more than ISO 8601 (e.g. "March 7"); require the ISO shape with a zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(field, 'must be an ISO 8601 date-time with a zone, e.g. 2026-03-29T02:30:00+02:00');
  }
  return new Date(value);
}

/** Validates timing input against `now`; throws 422 naming the field and the rule. */
export function parseTiming(input: TimingInput, now: Date, prefix = ''): Timing {
  const f = (name: string) => `${prefix}${name}`;
  if (input.scheduling && input.recurrence) throw invalid(f('scheduling'), 'give either scheduling or recurrence, not both');
  if (input.scheduling) {
    const startAt = parseInstant(input.scheduling.start_at, f('scheduling.start_at'));
    if (startAt.getTime() <= now.getTime()) throw invalid(f('scheduling.start_at'), `must be in the future (now is ${now.toISOString()})`);
    let startBefore: Date | null = null;
    if (input.scheduling.start_before !== undefined) {
      startBefore = parseInstant(input.scheduling.start_before, f('scheduling.start_before'));
      if (startBefore.getTime() <= startAt.getTime()) throw invalid(f('scheduling.start_before'), 'must be after start_at');
    }
    return { kind: 'once', startAt, startBefore };
  }
  if (input.recurrence) {
    const r = input.recurrence;
    if (r.cron_line === undefined || r.cron_line.trim() === '') throw invalid(f('recurrence.cron_line'), 'is required');
    if (r.time_zone === undefined || r.time_zone === '') throw invalid(f('recurrence.time_zone'), 'is required: an IANA time zone name such as Europe/Berlin');
    const cronProblem = cronLineProblem(r.cron_line);
    if (cronProblem) throw invalid(f('recurrence.cron_line'), cronProblem);
    const zoneProblem = timeZoneProblem(r.time_zone);
    if (zoneProblem) throw invalid(f('recurrence.time_zone'), zoneProblem);
    if (r.max_iterations !== undefined && (!Number.isInteger(r.max_iterations) || r.max_iterations < 1)) throw invalid(f('recurrence.max_iterations'), 'must be a whole number of at least 1');
    let endTime: Date | null = null;
    if (r.end_time !== undefined) {
      endTime = parseInstant(r.end_time, f('recurrence.end_time'));
      if (endTime.getTime() <= now.getTime()) throw invalid(f('recurrence.end_time'), `must be after the start (now, ${now.toISOString()})`);
    }
    const timing: Timing = { kind: 'recurring', cronLine: r.cron_line.trim().replace(/\s+/g, ' '), timeZone: r.time_zone, maxIterations: r.max_iterations ?? null, endTime };
    if (!nextOccurrence(recurrenceOf(timing), now)) {
      throw invalid(f('recurrence.cron_line'), endTime ? 'has no occurrence before end_time' : 'never matches a date');
    }
    return timing;
  }
  throw invalid(f('scheduling'), 'give scheduling (one run) or recurrence (a cron line)');
}

function recurrenceOf(t: { cronLine: string; timeZone: string; endTime: Date | null }): Recurrence {
  return { cronLine: t.cronLine, timeZone: t.timeZone, endTime: t.endTime };
}

function timingOf(s: ScheduleEntity): Timing {
  return s.cronLine && s.timeZone
    ? { kind: 'recurring', cronLine: s.cronLine, timeZone: s.timeZone, maxIterations: s.maxIterations, endTime: s.endTime }
    : { kind: 'once', startAt: s.startAt, startBefore: s.startBefore };
}

function timingFields(t: Timing, now: Date): Pick<ScheduleEntity, 'startAt' | 'startBefore' | 'cronLine' | 'timeZone' | 'maxIterations' | 'endTime'> {
  return t.kind === 'once'
    ? { startAt: t.startAt, startBefore: t.startBefore, cronLine: null, timeZone: null, maxIterations: null, endTime: null }
    : { startAt: now, startBefore: null, cronLine: t.cronLine, timeZone: t.timeZone, maxIterations: t.maxIterations, endTime: t.endTime };
}

/** The next occurrence strictly after `after` with the iteration budget left, or null. */
function nextOf(s: Pick<ScheduleEntity, 'cronLine' | 'timeZone' | 'endTime' | 'maxIterations' | 'startAt'>, iterations: number, after: Date): Date | null {
  if (s.maxIterations !== null && iterations >= s.maxIterations) return null;
  if (!s.cronLine || !s.timeZone) return null;
  return nextOccurrence({ cronLine: s.cronLine, timeZone: s.timeZone, endTime: s.endTime }, after);
}

function targetingOf(s: ScheduleEntity): Targeting {
  if (s.targetingHostIds) return { host_ids: JSON.parse(s.targetingHostIds) as number[] };
  if (s.targetingHostgroupId !== null) return { hostgroup_id: s.targetingHostgroupId };
  if (s.targetingPql !== null) return { pql: s.targetingPql };
  return { search: s.targetingSearch ?? '' };
}

/** The targeting each run uses: static_query runs on the hosts resolved when it was set. */
function runTargeting(s: ScheduleEntity): Targeting {
  return s.targetingType === 'static_query' && s.staticHostIds !== null ? { host_ids: JSON.parse(s.staticHostIds) as number[] } : targetingOf(s);
}

function jobInput(s: ScheduleEntity, action: { namespace: string; action: string }, at: Date): ScheduledJobInput {
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

const errorCode = (error: unknown) => (error as { driverError?: { code?: string } })?.driverError?.code ?? (error as { code?: string })?.code;

/** Deadlocks and lock timeouts roll the whole transaction back; the batch is simply claimed again. */
function isRetryable(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/** The database itself is unreachable: nothing can fire until it is back, so the pass ends and the next poll retries. */
function isUnavailable(error: unknown): boolean {
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'EPIPE'].includes(errorCode(error) ?? '');
}

/**
 * Schedules: create (from a job request or a stored action), read, list occurrences, update,
 * enable, disable, delete, and fire what is due (`runDue`, which the waker calls). Every firing
 * happens in the transaction that claimed the schedule row: the job is queued with its hosts, the
 * run recorded and the next occurrence set together, so a crash leaves the occurrence unclaimed,
 * never half fired, and two instances never fire it both.
 */
export function createScheduleService(deps: ScheduleServiceDeps) {
  const { repo, jobs, clock, logger } = deps;
  const access = createScheduleAccess({ jobs });
  const workers = repo.isMysql ? Math.max(1, deps.config.workers) : 1;
  let stopping = false;

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
   * every host of the targeting resolved in full lies in its scope (schedule-access.ts); for
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

  type AuditVerb = 'create' | 'update' | 'destroy' | 'enable' | 'disable';
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

  /** Stores a new schedule and the `scheduled` job of its first occurrence, in one transaction. */
  async function create(user: CurrentUser, prepared: PreparedAction, options: ScheduleJobOptions, timing: Timing): Promise<ScheduleEntity> {
    const type = options.targeting_type ?? 'dynamic_query';
    requirePermission(user, 'manage_schedules', 'scheduling jobs');
    if (!coversAction(user, 'manage_schedules', prepared.namespace, prepared.action)) {
      throw new AppError('PERMISSION_DENIED', `access denied: none of your manage_schedules filters allows ${prepared.namespace}.${prepared.action}`, { details: { missing_permissions: ['manage_schedules'] } });
    }
    const fixedHosts = await authorizedHostIds(user, { ownerId: user.id, owner: user.login }, prepared, type, options.targeting);
    const now = clock();
    const fields = timingFields(timing, now);
    const first = timing.kind === 'once' ? timing.startAt : nextOf({ ...fields }, 0, now);
    const row: Omit<ScheduleEntity, 'id'> = {
      enabled: true,
      remoteActionId: prepared.remoteActionId,
      ownerId: user.id,
      owner: user.login,
      description: options.description ?? `${prepared.namespace} ${prepared.action}`,
      targetingSearch: options.targeting.search ?? null,
      targetingHostIds: options.targeting.host_ids ? JSON.stringify(options.targeting.host_ids) : null,
      targetingHostgroupId: options.targeting.hostgroup_id ?? null,
      targetingPql: options.targeting.pql ?? null,
      targetingType: type,
      staticHostIds: fixedHosts,
      concurrencyLevel: options.concurrency_level ?? null,
      batchSize: options.batch_size ?? null,
      rolloutPolicy: options.rollout ? JSON.stringify(options.rollout) : null,
      timeoutS: options.timeout ?? prepared.timeoutS,
      ddl: prepared.ddl,
      ...fields,
      iterations: 0,
      nextRunAt: first,
      nextJobId: null,
      lastRunAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const id = await repo.transaction(async (tx) => {
      const scheduleId = await repo.insert(tx, row);
      if (first) {
        const jobId = await jobs.createScheduledJob(tx, user.login, jobInput({ ...row, id: scheduleId }, prepared, first));
        await repo.update(tx, scheduleId, { nextJobId: jobId });
      }
      await audited(tx, user, 'create', { id: scheduleId, description: row.description }, { namespace: prepared.namespace, action: prepared.action, targeting: options.targeting, targeting_type: type, start_at: iso(row.startAt), start_before: iso(row.startBefore), cron_line: row.cronLine, time_zone: row.timeZone, max_iterations: row.maxIterations, end_time: iso(row.endTime) });
      return scheduleId;
    });
    logger.info({ scheduleId: id, owner: user.login, nextRunAt: iso(first), cronLine: row.cronLine, timeZone: row.timeZone }, 'schedule created');
    deps.onChange?.();
    return loadSchedule(id);
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

  /** Locks a schedule, applies `change`, and settles its pending job; the change returns the new row. */
  async function change(id: number, apply: (s: ScheduleEntity, now: Date) => Promise<Partial<ScheduleEntity>> | Partial<ScheduleEntity>, message: string, audit: { user: CurrentUser; verb: AuditVerb; changes: Record<string, unknown> }): Promise<ScheduleDetail> {
    await repo.transaction(async (tx) => {
      const s = await repo.lock(tx, id);
      if (!s) throw new AppError('NOT_FOUND', `schedule ${id} not found`);
      const now = clock();
      const fields = await apply(s, now);
      const updated: ScheduleEntity = { ...s, ...fields, updatedAt: now };
      const action = await actionOf(s.remoteActionId);
      const pending = s.nextJobId !== null && (await jobs.lockJobStates(tx, [s.nextJobId])).get(s.nextJobId) === 'scheduled' ? s.nextJobId : null;
      const nextJobId = await settlePendingJob(tx, updated, action, pending, updated.enabled ? updated.nextRunAt : null);
      await repo.update(tx, id, { ...fields, nextJobId, updatedAt: now });
      await audited(tx, audit.user, audit.verb, updated, audit.changes);
    });
    logger.info({ scheduleId: id }, message);
    deps.onChange?.();
    return detail(id);
  }

  /** Where a schedule's next occurrence is when it is (re-)enabled or re-timed at `now`. */
  function upcoming(s: ScheduleEntity, now: Date): Date | null {
    const t = timingOf(s);
    // A one-time schedule keeps its time even when it passed: firing decides run or missed by its window.
    if (t.kind === 'once') return s.iterations > 0 ? null : s.startAt;
    return nextOf(s, s.iterations, now);
  }

  const ownerCache = new Map<number, { user: CurrentUser | null; at: number }>();
  /** Remote actions never change once stored, so they are read once per instance. */
  const actionCache = new Map<number, RemoteActionEntity>();

  async function actionsFor(ids: number[]): Promise<Map<number, RemoteActionEntity>> {
    const missing = [...new Set(ids)].filter((id) => !actionCache.has(id));
    if (missing.length > 0) for (const [id, a] of await repo.actionsByIds(missing)) actionCache.set(id, a);
    return actionCache;
  }

  /** Owners as they are now; each is read at most once a second, not once per occurrence. */
  async function ownersFor(ids: number[], now: Date): Promise<Map<number, CurrentUser | null>> {
    const out = new Map<number, CurrentUser | null>();
    for (const id of new Set(ids)) {
      const cached = ownerCache.get(id);
      const user = cached && now.getTime() - cached.at < 1000 ? cached.user : await deps.users.loadCurrentUser(id);
      ownerCache.set(id, { user, at: now.getTime() });
      out.set(id, user);
    }
    return out;
  }

  interface Firing {
    s: ScheduleEntity;
    action: RemoteActionEntity;
    passed: Date[];
    latest: Date;
    overflow: boolean;
    /** The pending job, still `scheduled` and held by this transaction. */
    pendingJobId: number | null;
    launch: boolean;
    fired: boolean;
    consumedPending: boolean;
  }

  /**
   * Decides what becomes of one claimed schedule's passed occurrences. Occurrences that passed
   * while nobody fired them are caught up: only the latest may still run (inside its start window),
   * the earlier ones are recorded missed, so an outage never turns into a burst of runs.
   */
  function decide(s: ScheduleEntity, action: RemoteActionEntity, pendingState: string | undefined, now: Date, run: RunRecorder, stats: FireStats): Firing {
    const passed: Date[] = [s.nextRunAt!];
    // After a very long outage the walk stops; everything passed is missed and the schedule resumes after now.
    let overflow = false;
    if (s.cronLine) {
      for (;;) {
        const n = nextOf(s, s.iterations + passed.length, passed[passed.length - 1]);
        if (!n || n.getTime() > now.getTime()) break;
        if (passed.length >= CATCH_UP_MAX) {
          overflow = true;
          break;
        }
        passed.push(n);
      }
    }
    const latest = passed[passed.length - 1];
    const missedBefore = overflow ? passed : passed.slice(0, -1);
    missedBefore.slice(0, MISSED_ROWS_MAX).forEach((at, i, shown) => {
      const more = missedBefore.length - shown.length;
      run(s, at, 'missed', null, i === shown.length - 1 && (more > 0 || overflow)
        ? `not run while no ui-extension was firing schedules; ${more}${overflow ? ' or more' : ''} later occurrences until ${now.toISOString()} were missed too`
        : 'not run while no ui-extension was firing schedules; only the latest passed occurrence may still run');
    });
    stats.missed += missedBefore.length;

    const firing: Firing = { s, action, passed, latest, overflow, pendingJobId: s.nextJobId !== null && pendingState === 'scheduled' ? s.nextJobId : null, launch: false, fired: false, consumedPending: false };
    const windowEnd = s.cronLine ? new Date(latest.getTime() + deps.config.recurring_start_window_s * 1000) : s.startBefore;
    if (overflow) return firing;
    if (s.nextJobId !== null && pendingState === 'cancelled') {
      run(s, latest, 'cancelled', s.nextJobId, 'its scheduled job was cancelled before it was due');
      firing.consumedPending = true;
      stats.cancelled += 1;
    } else if (windowEnd && now.getTime() > windowEnd.getTime()) {
      run(s, latest, 'missed', null, s.cronLine
        ? `could not start within ${deps.config.recurring_start_window_s} s of its time (started at ${now.toISOString()})`
        : `could not start before start_before ${windowEnd.toISOString()}`);
      stats.missed += 1;
    } else {
      firing.launch = true;
    }
    return firing;
  }

  type RunRecorder = (s: ScheduleEntity, at: Date, state: NewScheduleRun['state'], jobId: number | null, reason: string | null) => void;

  /**
   * Fires a batch of claimed schedules inside their claim transaction, in a fixed number of
   * statements: the jobs are queued with their hosts, the runs recorded, and each schedule moved to
   * its next occurrence with its pending job, all or nothing.
   */
  async function fireBatch(tx: Tx, due: ScheduleEntity[], launched: number[], stats: FireStats, lags: number[]): Promise<void> {
    const now = clock();
    const states = await jobs.lockJobStates(tx, due.map((s) => s.nextJobId).filter((id): id is number => id !== null));
    const actions = await actionsFor(due.map((s) => s.remoteActionId));
    const runs: NewScheduleRun[] = [];
    const run: RunRecorder = (s, occurrenceAt, state, jobId, reason) =>
      runs.push({ scheduleId: s.id, occurrenceAt, state, jobId, reason, instanceId: deps.instanceId, recordedAt: clock() });
    const firings = due.map((s) => {
      const action = actions.get(s.remoteActionId);
      if (!action) throw new AppError('INTERNAL', `schedule ${s.id} refers to a missing remote action ${s.remoteActionId}`);
      return decide(s, action, s.nextJobId === null ? undefined : states.get(s.nextJobId), now, run, stats);
    });

    const owners = await ownersFor(firings.filter((f) => f.launch).map((f) => f.s.ownerId), now);
    const items: Array<{ f: Firing; owner: CurrentUser }> = [];
    for (const f of firings.filter((x) => x.launch)) {
      const owner = owners.get(f.s.ownerId);
      if (owner) items.push({ f, owner });
      else {
        run(f.s, f.latest, 'refused', null, `the owner ${f.s.owner} (user ${f.s.ownerId}) no longer exists`);
        stats.refused += 1;
      }
    }
    const results = await jobs.launchScheduled(tx, items.map(({ f, owner }) => ({ owner, pendingJobId: f.pendingJobId, input: jobInput(f.s, f.action, f.latest) })));
    results.forEach((result, k) => {
      const { f } = items[k];
      if ('jobId' in result) {
        launched.push(result.jobId);
        f.fired = true;
        f.consumedPending = result.jobId === f.pendingJobId;
        run(f.s, f.latest, 'fired', result.jobId, null);
        lags.push((now.getTime() - f.latest.getTime()) / 1000);
        stats.fired += 1;
        return;
      }
      // Expected refusals are recorded; anything else rolls the batch back to be claimed again.
      const error = result.error;
      if (error.code === 'UNAVAILABLE' || error.code === 'INTERNAL') throw error;
      const refusal = occurrenceRefusal(error);
      run(f.s, f.latest, refusal.state, null, refusal.reason);
      if (refusal.state === 'refused') stats.refused += 1;
      else stats.failed += 1;
    });

    const updates: Array<{ id: number; iterations: number; nextRunAt: Date | null; nextJobId: number | null; lastRunAt: Date | null }> = [];
    const creates: Array<{ index: number; owner: string; input: ScheduledJobInput }> = [];
    const retimes: Array<{ jobId: number; at: Date }> = [];
    const cancels: number[] = [];
    for (const f of firings) {
      const iterations = f.s.iterations + f.passed.length;
      const next = f.s.cronLine ? nextOf(f.s, iterations, f.overflow ? now : f.latest) : null;
      const pending = f.consumedPending ? null : f.pendingJobId;
      let nextJobId: number | null = null;
      if (!next) {
        if (pending !== null) cancels.push(pending);
      } else if (pending !== null) {
        retimes.push({ jobId: pending, at: next });
        nextJobId = pending;
      } else {
        creates.push({ index: updates.length, owner: f.s.owner, input: jobInput(f.s, f.action, next) });
      }
      updates.push({ id: f.s.id, iterations, nextRunAt: next, nextJobId, lastRunAt: f.fired ? f.latest : f.s.lastRunAt });
    }
    const created = await jobs.createScheduledJobs(tx, creates.map(({ owner, input }) => ({ owner, input })));
    creates.forEach((c, k) => {
      updates[c.index].nextJobId = created[k];
    });
    await jobs.retimeScheduledJobs(tx, retimes);
    await jobs.cancelScheduledJobs(tx, cancels);
    await repo.insertRuns(tx, runs);
    await repo.updateAfterFiring(tx, updates, now);
  }

  /** One claim loop: batches until nothing due is left to claim; queued job ids go to `launchedAll`. */
  async function claimLoop(stats: FireStats, launchedAll: number[]): Promise<void> {
    let batchSize = deps.config.batch_size;
    while (!stopping) {
      const launched: number[] = [];
      const lags: number[] = [];
      let claimed = 0;
      try {
        claimed = await repo.transaction(async (tx) => {
          const due = await repo.claimDue(tx, clock(), batchSize);
          if (due.length === 0) return 0;
          await fireBatch(tx, due, launched, stats, lags);
          return due.length;
        });
      } catch (error) {
        launched.length = 0;
        if (isRetryable(error)) {
          logger.warn({ err: error }, 'schedule claim rolled back (lock conflict); claiming again');
          continue;
        }
        if (isUnavailable(error)) throw error;
        if (batchSize > 1) {
          // Find the one schedule that fails by claiming one at a time; the others fire meanwhile.
          logger.warn({ err: error }, 'firing a batch of schedules failed; retrying one by one');
          batchSize = 1;
          continue;
        }
        await quarantineNextDue(error);
        continue;
      }
      stats.claimed += claimed;
      launchedAll.push(...launched);
      // Only occurrences whose transaction committed count: a rolled-back batch is fired again.
      for (const lag of lags) deps.onFired?.(lag);
      if (claimed === 0) return;
    }
  }

  /**
   * A schedule whose firing fails for a reason that is not a refusal (a bug, bad stored data) would
   * block the queue for ever: its occurrence is recorded failed and the schedule moves on.
   */
  async function quarantineNextDue(cause: unknown): Promise<void> {
    await repo.transaction(async (tx) => {
      const [s] = await repo.claimDue(tx, clock(), 1);
      if (!s) return;
      const now = clock();
      const iterations = s.iterations + 1;
      const next = s.cronLine ? nextOf(s, iterations, s.nextRunAt! > now ? s.nextRunAt! : now) : null;
      logger.error({ err: cause, scheduleId: s.id }, 'firing a schedule failed; its occurrence is recorded failed');
      await repo.insertRuns(tx, [{ scheduleId: s.id, occurrenceAt: s.nextRunAt!, state: 'failed', jobId: null, reason: `internal error while firing: ${(cause as Error)?.message ?? String(cause)}`, instanceId: deps.instanceId, recordedAt: now }]);
      const action = await actionOf(s.remoteActionId);
      const pending = s.nextJobId !== null && (await jobs.lockJobStates(tx, [s.nextJobId])).get(s.nextJobId) === 'scheduled' ? s.nextJobId : null;
      const nextJobId = await settlePendingJob(tx, s, action, pending, next);
      await repo.update(tx, s.id, { iterations, nextRunAt: next, nextJobId, updatedAt: now });
    });
  }

  return {
    /** `POST jobs` with scheduling or recurrence: the schedule's first job, in state `scheduled`. */
    async createFromJobRequest(user: CurrentUser, body: ScheduleJobOptions & TimingInput & { namespace: string; action: string; arguments?: Record<string, unknown> }): Promise<Job> {
      const timing = parseTiming(body, clock(), 'job.');
      const prepared = await jobs.prepareAction(user, body);
      const s = await create(user, prepared, body, timing);
      if (s.nextJobId === null) throw new AppError('INTERNAL', `schedule ${s.id} has no scheduled job`);
      return jobs.get(user, s.nextJobId);
    },

    /** `POST actions/:id/schedule`: a stored remote action on a targeting. */
    async scheduleAction(user: CurrentUser, remoteActionId: number, body: ScheduleJobOptions & TimingInput): Promise<ScheduleDetail> {
      const timing = parseTiming(body, clock());
      const prepared = await jobs.prepareStoredAction(user, remoteActionId);
      const s = await create(user, prepared, body, timing);
      return detail(s.id);
    },

    async get(user: CurrentUser, id: number): Promise<ScheduleDetail> {
      await visible(user, id);
      return detail(id);
    },

    /** Every occurrence in `[from, to]` of enabled schedules, in time order, at most OCCURRENCE_MAX_ENTRIES. */
    async occurrences(user: CurrentUser, range: { from?: Date; to?: Date }): Promise<{ from: Date; to: Date; results: ScheduleOccurrence[] }> {
      requirePermission(user, 'view_jobs', 'listing schedules');
      const from = range.from ?? clock();
      const to = range.to ?? new Date(from.getTime() + OCCURRENCE_DEFAULT_DAYS * DAY_MS);
      if (to.getTime() < from.getTime()) throw invalid('to', 'must not be before from');
      if (to.getTime() - from.getTime() > OCCURRENCE_MAX_DAYS * DAY_MS) throw invalid('to', `must be at most ${OCCURRENCE_MAX_DAYS} days after from`);
      const rows = await repo.listUpcoming(to);
      const actions = await repo.actionsByIds([...new Set(rows.map((r) => r.remoteActionId))]);
      const entries: Array<{ at: Date; s: ScheduleEntity }> = [];
      // Schedules with the same action, targeting and ownership read the same: one check each.
      const readable = new Map<string, Promise<boolean>>();
      for (const s of rows) {
        const action = actions.get(s.remoteActionId);
        if (!action || !coversAction(user, 'view_jobs', action.namespace, action.action)) continue;
        const subject = subjectOf(s, action);
        const key = JSON.stringify([s.ownerId === user.id, subject.namespace, subject.action, subject.targeting]);
        if (!readable.has(key)) readable.set(key, access.canRead(user, subject));
        if (!(await readable.get(key))) continue;
        const first = s.nextRunAt!;
        if (!s.cronLine || !s.timeZone) {
          if (first.getTime() >= from.getTime() && first.getTime() <= to.getTime()) entries.push({ at: first, s });
          continue;
        }
        const left = s.maxIterations === null ? OCCURRENCE_MAX_ENTRIES : Math.min(OCCURRENCE_MAX_ENTRIES, s.maxIterations - s.iterations);
        // With an iteration budget the walk starts at the next occurrence, so the budget counts right.
        const start = s.maxIterations === null && first.getTime() < from.getTime() ? from : first;
        const list = occurrencesBetween(recurrenceOf({ cronLine: s.cronLine, timeZone: s.timeZone, endTime: s.endTime }), start, to, left);
        for (const at of list) if (at.getTime() >= from.getTime()) entries.push({ at, s });
      }
      entries.sort((a, b) => a.at.getTime() - b.at.getTime() || a.s.id - b.s.id);
      const shown = entries.slice(0, OCCURRENCE_MAX_ENTRIES);
      const cache = new Map<number, Schedule>();
      const results = shown.map(({ at, s }) => {
        let schedule = cache.get(s.id);
        if (!schedule) cache.set(s.id, (schedule = toSchedule(s, actions.get(s.remoteActionId)!)));
        return { at: at.toISOString(), schedule_id: s.id, schedule };
      });
      return { from, to, results };
    },

    /** Every schedule the user may read, with its state, next occurrences and last run (schedule-definitions.ts). */
    definitions: (user: CurrentUser, page: { page: number; perPage: number }) => listScheduleDefinitions({ repo, access, toSchedule, subjectOf }, user, page),

    /** Changes targeting, timing or job options; the pending job follows. */
    async update(user: CurrentUser, id: number, body: ScheduleUpdate): Promise<ScheduleDetail> {
      const { s: current, action } = await manageable(user, id, 'change');
      const timing = body.scheduling || body.recurrence ? parseTiming(body, clock()) : null;
      const targetingChange = body.targeting !== undefined || body.targeting_type !== undefined;
      // A re-targeting is checked as a new schedule's, for whoever asks, before anything is locked.
      const newTargeting = body.targeting ?? targetingOf(current);
      const newType = body.targeting_type ?? current.targetingType;
      const staticHostIds = targetingChange ? await authorizedHostIds(user, { id: current.id, ownerId: current.ownerId, owner: current.owner }, action, newType, newTargeting) : null;
      const updated = await change(id, async (s, now) => {
        const fields: Partial<ScheduleEntity> = {};
        if (body.description !== undefined) fields.description = body.description;
        if (body.concurrency_level !== undefined) fields.concurrencyLevel = body.concurrency_level;
        if (body.batch_size !== undefined) fields.batchSize = body.batch_size;
        if (body.rollout !== undefined) fields.rolloutPolicy = JSON.stringify(body.rollout);
        if (body.timeout !== undefined) fields.timeoutS = body.timeout;
        if (targetingChange) {
          fields.targetingSearch = newTargeting.search ?? null;
          fields.targetingHostIds = newTargeting.host_ids ? JSON.stringify(newTargeting.host_ids) : null;
          fields.targetingHostgroupId = newTargeting.hostgroup_id ?? null;
          fields.targetingPql = newTargeting.pql ?? null;
          fields.targetingType = newType;
          fields.staticHostIds = staticHostIds;
        }
        if (timing) {
          Object.assign(fields, timingFields(timing, now));
          // A new timing starts afresh: a one-time schedule that already ran may run again.
          fields.lastRunAt = timing.kind === 'once' ? null : s.lastRunAt;
          if (timing.kind === 'once') fields.iterations = 0;
          fields.nextRunAt = upcoming({ ...s, ...fields } as ScheduleEntity, now);
        }
        return fields;
      }, 'schedule updated', { user, verb: 'update', changes: body as Record<string, unknown> });
      return updated;
    },

    async enable(user: CurrentUser, id: number): Promise<ScheduleDetail> {
      await manageable(user, id, 'change');
      return change(id, (s, now) => (s.enabled ? {} : { enabled: true, nextRunAt: upcoming(s, now) }), 'schedule enabled', { user, verb: 'enable', changes: { enabled: true } });
    },

    /** Stops firing; the pending job is cancelled, and occurrences while disabled are not missed, just skipped. */
    async disable(user: CurrentUser, id: number): Promise<ScheduleDetail> {
      await manageable(user, id, 'stop');
      return change(id, (s) => (s.enabled ? { enabled: false, nextRunAt: s.cronLine ? null : s.nextRunAt } : {}), 'schedule disabled', { user, verb: 'disable', changes: { enabled: false } });
    },

    /** Deletes the schedule and its runs; its jobs stay in the history, a pending one cancelled. */
    async remove(user: CurrentUser, id: number): Promise<ScheduleDetail> {
      await manageable(user, id, 'stop');
      const before = await detail(id);
      await repo.transaction(async (tx) => {
        const s = await repo.lock(tx, id);
        if (!s) throw new AppError('NOT_FOUND', `schedule ${id} not found`);
        if (s.nextJobId !== null) await jobs.cancelScheduledJobs(tx, [s.nextJobId]);
        await repo.remove(tx, id);
        await audited(tx, user, 'destroy', before, {});
      });
      logger.info({ scheduleId: id }, 'schedule deleted');
      return before;
    },

    /**
     * Fires everything due now (the waker calls this; tests call it with their clock). Claim loops
     * run side by side on MariaDB; each queued job is dispatched once its transaction committed.
     */
    async runDue(): Promise<FireStats> {
      const stats: FireStats = { fired: 0, missed: 0, refused: 0, failed: 0, cancelled: 0, claimed: 0 };
      const launched: number[] = [];
      await Promise.all(Array.from({ length: workers }, () => claimLoop(stats, launched)));
      // Dispatch only once the burst is queued, here and (for a bounded while) on other instances:
      // running jobs take the CPU and database connections that the claim loops need to queue the
      // rest of a burst on time. Queued jobs are committed and leased, so a crash before the
      // dispatch loses none (the job supervisor resumes them).
      if (launched.length > 0) {
        const until = Date.now() + DISPATCH_HOLD_MAX_MS;
        while (!stopping && Date.now() < until) {
          const next = await repo.nextDueAt();
          if (!next || next.getTime() > clock().getTime()) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
      for (const jobId of launched) jobs.dispatch(jobId);
      if (stats.claimed > 0) logger.info(stats, 'due schedules fired');
      return stats;
    },

    nextDueAt: () => repo.nextDueAt(),

    /** Stops claiming between batches (a batch in progress commits or rolls back as a whole). */
    stop(): void {
      stopping = true;
    },
  };
}

export type ScheduleService = ReturnType<typeof createScheduleService>;
