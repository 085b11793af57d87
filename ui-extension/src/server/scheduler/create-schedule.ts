import type { Job } from '@common/jobs';
import type { ScheduleDetail } from '@common/schedules';
import { AppError } from '../errors';
import { coversAction, requirePermission, type CurrentUser } from '../auth/abilities';
import type { PreparedAction } from '../jobs/job-invocation.service';
import type { ScheduleEntity } from './schedule.entity';
import { jobInput, type ScheduleContext, type ScheduleJobOptions } from './schedule-context';
import { iso, nextOf, parseTiming, timingFields, type Timing, type TimingInput } from './schedule-timing';

/**
 * Creating a schedule, from a job request with timing (`POST jobs`) or from a stored remote action
 * (`POST actions/:id/schedule`): checked as the job would be, stored with its first `scheduled` job.
 */
export function createScheduleCreation(ctx: ScheduleContext) {
  const { deps, authorizedHostIds, audited, loadSchedule, detail } = ctx;
  const { repo, jobs, clock, logger } = deps;

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
    const fields0: Omit<ScheduleEntity, 'id' | 'remoteActionId'> = {
      enabled: true,
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
    // Every check above passed: only now is anything written. The action goes first, in its own
    // statement: inside the transaction, two requests storing the same new action deadlock on
    // MariaDB (each holds the unique key's insert lock the other's locking read waits for).
    const row: Omit<ScheduleEntity, 'id'> = { ...fields0, remoteActionId: await jobs.storeRemoteAction(prepared) };
    const id = await repo.transaction(async (tx) => {
      const scheduleId = await repo.insert(tx, row);
      if (first) {
        const jobId = await jobs.createScheduledJob(tx, user.login, jobInput({ ...row, id: scheduleId }, prepared, first));
        await repo.update(tx, scheduleId, { nextJobId: jobId });
      }
      await audited(tx, user, 'create', { id: scheduleId, description: row.description }, { namespace: prepared.namespace, action: prepared.action, targeting: options.targeting, targeting_type: type, start_at: iso(row.startAt), start_before: iso(row.startBefore), cron_line: row.cronLine, time_zone: row.timeZone, max_iterations: row.maxIterations, end_time: iso(row.endTime) });
      return scheduleId;
    });
    logger.info({ scheduleId: id, owner: user.login, nextRunAt: iso(first), cronLine: fields0.cronLine, timeZone: fields0.timeZone }, 'schedule created');
    deps.onChange?.();
    return loadSchedule(id);
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
  };
}
