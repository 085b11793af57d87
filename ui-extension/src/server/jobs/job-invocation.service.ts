import { AppError } from '../errors';
import { createJobCancel } from './cancel-job';
import { createJobCreation } from './create-job';
import { createJobContext, type JobServiceDeps, type ValidateArguments } from './job-context';
import { createJobQueries } from './job-queries';
import { createJobUpkeep } from './job-upkeep';
import { createJobPause } from './pause-job';
import { createJobReplay } from './replay-job';
import { createJobScheduling } from './scheduled-jobs';

export type { JobInventory, JobListParams, JobServiceDeps, PreparedAction, ScheduledJobInput, TargetHost, ValidateArguments } from './job-context';

/**
 * Jobs: create and preview (create-job.ts), the jobs schedules make (scheduled-jobs.ts), replay
 * (replay-job.ts), cancel (cancel-job.ts), pause and resume (pause-job.ts), status with long
 * polling, host pages, the events feed, lists and history (job-queries.ts), supervision and
 * retention (job-upkeep.ts). Each use case is its own file over one shared context
 * (job-context.ts, with the targeting checks of job-targets.ts); this factory only puts them
 * together, so callers see one service.
 */
export function createJobInvocationService(deps: JobServiceDeps) {
  const ctx = createJobContext(deps);
  return {
    authorizeRun: ctx.authorizeRun,
    resolveWithin: ctx.resolveWithin,
    hostIdsInside: ctx.hostIdsInside,
    ...createJobCreation(ctx),
    ...createJobScheduling(ctx),
    ...createJobQueries(ctx),
    ...createJobReplay(ctx),
    ...createJobPause(ctx),
    ...createJobCancel(ctx),
    ...createJobUpkeep(ctx),
  };
}

export type JobInvocationService = ReturnType<typeof createJobInvocationService>;

/** Without a validator no job may be created: unchecked arguments must never reach a proxy. */
export const unconfiguredValidator: ValidateArguments = () => {
  throw new AppError('FAILED_PRECONDITION', 'no argument validator is configured in this ui-extension');
};
