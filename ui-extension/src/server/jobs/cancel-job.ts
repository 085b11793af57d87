import { FINAL_JOB_STATES, type Job } from '@common/jobs';
import { requirePermission, type CurrentUser } from '../auth/abilities';
import { AppError } from '../errors';
import type { JobContext } from './job-context';
import { toJob } from './job-views';

/** Cancelling a job, queued, running or still scheduled, by a user whose cancel_jobs filters reach it. */
export function createJobCancel(ctx: JobContext) {
  const { repo, clock, waiters } = ctx;

  return {
    /** Nothing new is sent; asked hosts are stopped on their proxies (no_response unless they reply); the rest end cancelled. */
    async cancel(user: CurrentUser, id: number): Promise<Job> {
      const { job, action } = await ctx.loadVisibleJob(user, id);
      requirePermission(user, 'cancel_jobs', 'cancelling jobs');
      if (!(await ctx.reaches(user, 'cancel_jobs', id))) {
        throw new AppError('PERMISSION_DENIED', `access denied: job ${id} has hosts outside what your cancel_jobs filters allow for ${action.namespace}.${action.action}`, { details: { missing_permissions: ['cancel_jobs'], namespace: action.namespace, action: action.action } });
      }
      if (FINAL_JOB_STATES.includes(job.state)) throw new AppError('FAILED_PRECONDITION', `job ${id} is already ${job.state}`);
      // A scheduled job has nothing running: it ends here, and its schedule records the occurrence cancelled.
      if (job.state === 'scheduled' && (await repo.updateJob(id, { state: 'cancelled', cancelRequested: true, finishedAt: clock() }, clock(), ['scheduled']))) {
        waiters.notify(id);
        const after = await ctx.loadJob(id);
        const cancelled = toJob(after.job, after.action);
        await ctx.auditJob(user, 'cancel', cancelled, { state_before: job.state });
        // Its schedule records the occurrence now, not at its time: till then it listed a run that would not happen.
        // The cancel stands if this fails: the scheduler records the occurrence when it is due, as before.
        if (after.job.scheduleId !== null && ctx.deps.onScheduledJobCancelled) {
          await ctx.deps.onScheduledJobCancelled(id, after.job.scheduleId).catch((err: unknown) => ctx.logger.warn({ err, jobId: id, scheduleId: after.job.scheduleId }, 'could not record the cancelled occurrence in its schedule now; the scheduler records it when it is due'));
        }
        return cancelled;
      }
      await repo.updateJob(id, { cancelRequested: true }, clock());
      waiters.notify(id);
      // The instance running the job cancels at once; another one sees the flag on its next tick.
      await ctx.dispatcher.cancel(id);
      const after = await ctx.loadJob(id);
      const cancelled = toJob(after.job, after.action);
      await ctx.auditJob(user, 'cancel', cancelled, { state_before: job.state });
      return cancelled;
    },
  };
}
