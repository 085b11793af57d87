import type { Job } from '@common/jobs';
import { coversAction, requirePermission, type CurrentUser } from '../auth/abilities';
import { AppError } from '../errors';
import type { JobContext } from './job-context';
import type { JobInvocationEntity } from './job-invocation.entity';
import type { RemoteActionEntity } from './remote-action.entity';
import { toJob } from './job-views';

/**
 * Pausing and resuming a rollout (rollout-policy.ts): a paused job sends no new batch until it is
 * resumed. The pause is stored in the job row: every instance, and a restarted one, keeps it.
 */
export function createJobPause(ctx: JobContext) {
  const { repo, clock, waiters } = ctx;

  /** Pause and resume need what cancel needs, on a queued or running job with a rollout policy (resume: create_jobs too). */
  async function controllableRollout(user: CurrentUser, id: number, doing: string): Promise<{ job: JobInvocationEntity; action: RemoteActionEntity }> {
    const { job, action } = await ctx.loadVisibleJob(user, id);
    requirePermission(user, 'cancel_jobs', `${doing} jobs`);
    if (!(await ctx.reaches(user, 'cancel_jobs', id))) {
      throw new AppError('PERMISSION_DENIED', `access denied: job ${id} has hosts outside what your cancel_jobs filters allow for ${action.namespace}.${action.action}`, { details: { missing_permissions: ['cancel_jobs'], namespace: action.namespace, action: action.action } });
    }
    if (!['queued', 'running'].includes(job.state)) throw new AppError('FAILED_PRECONDITION', `job ${id} is ${job.state}: only a queued or running job can be paused or resumed`);
    if (!job.rolloutPolicy) {
      throw new AppError('FAILED_PRECONDITION', `job ${id} has no rollout policy: its hosts went out as one batch, so there is no next batch to hold; cancel it instead`, { details: { field: 'rollout', rule: 'pause needs a rollout policy' } });
    }
    return { job, action };
  }

  return {
    /**
     * A rollout sends nothing more until resumed, not even the rest of a batch already claimed (each
     * Execute is admitted against this row: rollout-runner.ts); what was sent finishes and is recorded.
     * The pause is stored in the job row: every instance, and a restarted one, keeps it.
     */
    async pause(user: CurrentUser, id: number): Promise<Job> {
      const { job, action } = await controllableRollout(user, id, 'pausing');
      if (!job.paused) {
        const paused = await repo.updateJob(id, { paused: true, pauseReason: `paused by ${user.login}` }, clock(), ['queued', 'running']);
        if (!paused) throw new AppError('FAILED_PRECONDITION', `job ${id} ended before it could be paused`);
        waiters.notify(id);
      }
      const after = toJob((await ctx.loadJob(id)).job, action);
      await ctx.auditJob(user, 'pause', after, { paused_before: job.paused });
      return after;
    },

    /** A paused rollout (or one waiting after its canary) goes on with its next batch. */
    async resume(user: CurrentUser, id: number): Promise<Job> {
      const { job, action } = await controllableRollout(user, id, 'resuming');
      // A resume sends the next batches: the action runs on hosts it has not run on yet (after a
      // canary, on all the others). That is running the job, not stopping it, so it needs what a
      // replay of it needs too: create_jobs for its action on every one of its hosts.
      const what = `${action.namespace}.${action.action}`;
      if (!coversAction(user, 'create_jobs', action.namespace, action.action) || !(await ctx.reaches(user, 'create_jobs', id))) {
        throw new AppError('PERMISSION_DENIED', `access denied: resuming job ${id} sends its next batches, which needs create_jobs for ${what} on every one of its hosts`, { details: { missing_permissions: ['create_jobs'], namespace: action.namespace, action: action.action } });
      }
      if (!job.paused) throw new AppError('FAILED_PRECONDITION', `job ${id} is not paused`);
      await repo.updateJob(id, { paused: false, pauseReason: null }, clock(), ['queued', 'running']);
      waiters.notify(id);
      // The instance running the job looks at once; another one sees it on its next look at the row.
      ctx.dispatcher.wake(id);
      const after = toJob((await ctx.loadJob(id)).job, action);
      await ctx.auditJob(user, 'resume', after, { pause_reason: job.pauseReason });
      return after;
    },
  };
}
