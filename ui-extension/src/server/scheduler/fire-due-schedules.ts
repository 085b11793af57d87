import type { Tx } from '../db-transaction';
import { AppError, isLockConflict } from '../errors';
import type { CurrentUser } from '../auth/abilities';
import type { ScheduledJobInput } from '../jobs/job-invocation.service';
import type { RemoteActionEntity } from '../jobs/remote-action.entity';
import type { NewScheduleRun } from './schedule.repository';
import type { ScheduleEntity } from './schedule.entity';
import { jobInput, type ScheduleContext } from './schedule-context';
import { decide, type FireStats, type Firing, type RunRecorder } from './fire-occurrence';
import { nextOf } from './schedule-timing';
import { occurrenceRefusal } from './occurrence-refusal';

/** Longest a pass holds its queued jobs back while other instances are still firing the same burst. */
const DISPATCH_HOLD_MAX_MS = 2000;

const errorCode = (error: unknown) => (error as { driverError?: { code?: string } })?.driverError?.code ?? (error as { code?: string })?.code;

/** The database itself is unreachable: nothing can fire until it is back, so the pass ends and the next poll retries. */
function isUnavailable(error: unknown): boolean {
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'EPIPE'].includes(errorCode(error) ?? '');
}

/**
 * Fires what is due (`runDue`, which the waker calls). Every firing happens in the transaction that
 * claimed the schedule row: the job is queued with its hosts, the run recorded and the next
 * occurrence set together, so a crash leaves the occurrence unclaimed, never half fired, and two
 * instances never fire it both.
 */
export function createScheduleFiring(ctx: ScheduleContext) {
  const { deps, actionOf, settlePendingJob } = ctx;
  const { repo, jobs, clock, logger } = deps;
  const workers = repo.isMysql ? Math.max(1, deps.config.workers) : 1;
  let stopping = false;

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
      return decide(s, action, s.nextJobId === null ? undefined : states.get(s.nextJobId), now, run, stats, deps.config.recurring_start_window_s);
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
        // Deadlocks and lock timeouts roll the whole transaction back; the batch is simply claimed again.
        if (isLockConflict(error)) {
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
    /**
     * The occurrence whose scheduled job was just cancelled ends now, as it would at its time
     * (decide: recorded `cancelled`), and the schedule moves on: to its next occurrence with a new
     * pending job, or, run once, to finished. Nothing when the schedule no longer waits on that job
     * (the scheduler got there first, or it was changed meanwhile) or the job is not cancelled.
     */
    async settleCancelledJob(jobId: number, scheduleId: number): Promise<void> {
      const settled = await repo.transaction(async (tx) => {
        const s = await repo.lock(tx, scheduleId);
        if (!s || s.nextJobId !== jobId || s.nextRunAt === null) return false;
        if ((await jobs.lockJobStates(tx, [jobId])).get(jobId) !== 'cancelled') return false;
        const now = clock();
        const iterations = s.iterations + 1;
        const next = s.cronLine ? nextOf(s, iterations, s.nextRunAt) : null;
        await repo.insertRuns(tx, [{ scheduleId: s.id, occurrenceAt: s.nextRunAt, state: 'cancelled', jobId, reason: 'its scheduled job was cancelled before it was due', instanceId: deps.instanceId, recordedAt: now }]);
        const nextJobId = await settlePendingJob(tx, s, await actionOf(s.remoteActionId), null, next);
        await repo.update(tx, s.id, { iterations, nextRunAt: next, nextJobId, updatedAt: now });
        return true;
      });
      if (settled) deps.onChange?.();
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
