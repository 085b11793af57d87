import type { ScheduleDetail } from '@common/schedules';
import { AppError } from '../errors';
import type { CurrentUser } from '../auth/abilities';
import type { ScheduleEntity } from './schedule.entity';
import { targetingOf, type AuditVerb, type ScheduleContext, type ScheduleJobOptions } from './schedule-context';
import { parseTiming, timingFields, upcoming, type TimingInput } from './schedule-timing';

export type ScheduleUpdate = Partial<ScheduleJobOptions> & TimingInput;

/**
 * Changing a schedule the user may manage: its targeting, timing or job options, switching it on
 * or off, or deleting it. Each change locks the row, keeps the pending job in step and writes its
 * audit entry in one transaction.
 */
export function createScheduleChanges(ctx: ScheduleContext) {
  const { deps, manageable, authorizedHostIds, actionOf, settlePendingJob, audited, detail } = ctx;
  const { repo, jobs, clock, logger } = deps;

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

  return {
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
  };
}
