import type { JobPreview } from '@common/job-preview';
import type { HostState, Job, ReplayJobRequest, Targeting } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import type { CurrentUser } from '../auth/abilities';
import { AppError } from '../errors';
import { storeAndDispatch } from './create-job';
import type { JobContext } from './job-context';
import type { JobInvocationEntity } from './job-invocation.entity';
import { previewOfPlan } from './job-preview';
import type { RemoteActionEntity } from './remote-action.entity';
import { maskedInputs } from './sensitive-arguments';

const REPLAY_STATES: Record<'failed' | 'failed_and_not_run', HostState[]> = {
  failed: ['failed', 'no_response'],
  failed_and_not_run: ['failed', 'no_response', 'skipped', 'cancelled', 'pending'],
};

/**
 * Replaying a job: a new job with the same remote action (and DDL) as its parent, on its parent's
 * hosts (all, failed, or failed and not run) or on a new targeting; and its preview.
 */
export function createJobReplay(ctx: JobContext) {
  const { deps, repo } = ctx;

  /** The job to replay, its action and the targeting the replay runs on (its parent's hosts unless one is given). */
  async function replayTargeting(user: CurrentUser, id: number, body: ReplayJobRequest): Promise<{ job: JobInvocationEntity; action: RemoteActionEntity; targeting: Targeting }> {
    const { job, action } = await ctx.loadVisibleJob(user, id);
    const masked = maskedInputs(JSON.parse(job.ddl) as DdlAction__Output, JSON.parse(action.arguments) as Record<string, unknown>);
    if (masked.length > 0) {
      throw new AppError('FAILED_PRECONDITION', `job ${id} has sensitive arguments (${masked.join(', ')}), which are never stored; create a new job and give them again`, { details: { fields: masked.map((field) => ({ field, rule: 'sensitive, not stored' })) } });
    }
    if (body.targeting) return { job, action, targeting: body.targeting };
    if (job.hostsPurgedAt) throw new AppError('FAILED_PRECONDITION', `job ${id} is older than the retention period; its hosts were purged, so replay it with a targeting`);
    const ids = await repo.hostIds(id, body.hosts === 'all' || !body.hosts ? 'all' : REPLAY_STATES[body.hosts]);
    return { job, action, targeting: { host_ids: ids } };
  }

  return {
    /** What `replay` with this body would run on, storing nothing. */
    async previewReplay(user: CurrentUser, id: number, body: ReplayJobRequest, page: { page: number; perPage: number }): Promise<JobPreview> {
      const { action, targeting } = await replayTargeting(user, id, body);
      const targets = await ctx.authorizeRun(user, action.namespace, action.action, targeting, { allowEmpty: true });
      return previewOfPlan(deps.smartProxies, targeting, (await ctx.planHosts(targets)).hosts, page);
    },

    /** A new job with the same remote action (and DDL) as its parent, on a new targeting. */
    async replay(user: CurrentUser, id: number, body: ReplayJobRequest): Promise<Job> {
      const { job, action, targeting } = await replayTargeting(user, id, body);
      const targets = await ctx.authorizeRun(user, action.namespace, action.action, targeting);
      const replayed = await storeAndDispatch(ctx, {
        user,
        action: { id: action.id, entity: action },
        ddl: JSON.parse(job.ddl) as DdlAction__Output,
        targeting,
        targets,
        parentId: job.id,
        description: body.description ?? job.description,
        concurrencyLevel: job.concurrencyLevel,
        batchSize: job.batchSize,
        rolloutPolicy: job.rolloutPolicy,
        timeoutS: job.timeoutS,
        audit: { verb: 'replay', changes: (totalHosts) => ({ replay_of: job.id, namespace: action.namespace, action: action.action, targeting: body.targeting ?? { hosts: body.hosts ?? 'all' }, total_hosts: totalHosts }) },
      });
      return replayed;
    },
  };
}
