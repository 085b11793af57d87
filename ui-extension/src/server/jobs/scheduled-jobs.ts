import type { CurrentUser } from '../auth/abilities';
import type { Tx } from '../db-transaction';
import { isAppError, type AppError } from '../errors';
import { emptyCounts } from './host-states';
import type { JobContext, RunTargets, ScheduledJobInput } from './job-context';
import type { NewJob } from './job-invocation.repository';
import { factNamesOfSearch } from './job-search';

function jobFields(owner: string, input: ScheduledJobInput) {
  return {
    remoteActionId: input.remoteActionId,
    parentId: null,
    owner,
    ownerId: input.ownerId,
    description: input.description,
    targetingSearch: input.targeting.search ?? null,
    targetingHostIds: input.targeting.host_ids ?? null,
    targetingHostgroupId: input.targeting.hostgroup_id ?? null,
    targetingPql: input.targeting.pql ?? null,
    concurrencyLevel: input.concurrencyLevel,
    batchSize: input.batchSize,
    rolloutPolicy: input.rolloutPolicy ?? null,
    timeoutS: input.timeoutS,
    ddl: input.ddl,
    scheduleId: input.scheduleId,
    scheduledAt: input.scheduledAt,
  };
}

/**
 * The jobs schedules make (scheduler/): a `scheduled` job stands for each next occurrence until
 * it is launched (its hosts resolved with the owner's permissions of that moment and queued),
 * re-timed, re-targeted or cancelled, always inside the scheduler's transaction.
 */
export function createJobScheduling(ctx: JobContext) {
  const { deps, repo, clock, logger } = ctx;

  async function createScheduledJobs(tx: Tx, items: Array<{ owner: string; input: ScheduledJobInput }>): Promise<number[]> {
    const now = clock();
    return repo.createScheduledJobs(tx, items.map(({ owner, input }) => ({
      ...jobFields(owner, input),
      counts: emptyCounts(),
      smartProxyIds: [],
      hosts: [],
      factNames: [],
      leaseOwner: null,
      leaseExpiresAt: null,
      now,
      state: 'scheduled' as const,
    })));
  }

  return {
    /** Stores the `scheduled` jobs that stand for schedules' next occurrences, inside `tx`; ids in order. */
    createScheduledJobs,

    async createScheduledJob(tx: Tx, owner: string, input: ScheduledJobInput): Promise<number> {
      return (await createScheduledJobs(tx, [{ owner, input }]))[0];
    },

    /** Re-times or re-targets a job still `scheduled`; false when it no longer is. */
    async updateScheduledJob(tx: Tx, jobId: number, owner: string, input: ScheduledJobInput): Promise<boolean> {
      const f = jobFields(owner, input);
      return repo.updateScheduledJob(tx, jobId, {
        description: f.description,
        targetingSearch: f.targetingSearch,
        targetingHostIds: f.targetingHostIds ? JSON.stringify(f.targetingHostIds) : null,
        targetingHostgroupId: f.targetingHostgroupId,
        targetingPql: f.targetingPql,
        concurrencyLevel: f.concurrencyLevel,
        batchSize: f.batchSize,
        rolloutPolicy: f.rolloutPolicy,
        timeoutS: f.timeoutS,
        scheduledAt: input.scheduledAt,
      }, clock());
    },

    /** Moves jobs still `scheduled` to their schedules' new next occurrence. */
    retimeScheduledJobs: (tx: Tx, jobs: Array<{ jobId: number; at: Date }>) => repo.retimeScheduledJobs(tx, jobs, clock()),

    /** Cancels jobs still `scheduled` (their schedule was deleted, disabled or ran out). */
    cancelScheduledJobs: (tx: Tx, ids: number[]) => repo.cancelScheduledJobs(tx, ids, clock()),

    /** The states of some jobs, held until `tx` ends, so a cancel cannot slip in before a launch. */
    lockJobStates: (tx: Tx, ids: number[]) => repo.lockJobStates(tx, ids),

    /**
     * Launches occurrences inside the scheduler's transaction: checks what each owner may do now,
     * resolves each targeting now, writes the hosts and queues the jobs (the pending `scheduled` job,
     * which the caller holds through `lockJobStates`, or a new one when there is none). Work is shared
     * across the batch: one query per distinct search or hostgroup, one for all host ids, one for the
     * proxies, a few statements for all writes. Each item answers its job id or the AppError that
     * refused it (PERMISSION_DENIED when the owner may no longer run it); call `dispatch` for each id
     * once the transaction committed.
     */
    async launchScheduled(tx: Tx, items: Array<{ owner: CurrentUser; pendingJobId: number | null; input: ScheduledJobInput }>): Promise<Array<{ jobId: number } | { error: AppError }>> {
      const outcome: Array<{ jobId: number } | { error: AppError } | undefined> = new Array(items.length);
      // The owner's permissions of this moment, through the same check as a job made by hand; items
      // asking the same (owner, action, targeting) share one resolution.
      const shared = new Map<string, Promise<RunTargets>>();
      const resolved = await Promise.all(items.map(async (item, i) => {
        const key = JSON.stringify([item.owner.id, item.input.namespace, item.input.action, item.input.targeting]);
        let p = shared.get(key);
        if (!p) shared.set(key, (p = ctx.authorizeRun(item.owner, item.input.namespace, item.input.action, item.input.targeting)));
        try {
          return await p;
        } catch (error) {
          if (!isAppError(error)) throw error;
          outcome[i] = { error };
          return null;
        }
      }));
      const proxyIds = [...new Set(resolved.flatMap((targets) => (targets?.hosts ?? []).map((t) => t.smart_proxy_id).filter((id): id is number => id !== null)))];
      const proxies = new Map((await deps.smartProxies.findByIds(proxyIds)).map((p) => [p.id, p]));
      const now = clock();
      const launches: Array<{ jobId: number; job: NewJob }> = [];
      for (const [i, item] of items.entries()) {
        const targets = resolved[i];
        if (!targets) continue;
        const plan = ctx.planHostsWith(targets, proxies);
        const job: NewJob = {
          ...jobFields(item.owner.login, item.input),
          counts: plan.counts,
          smartProxyIds: plan.proxyIds,
          hosts: plan.hosts,
          factNames: factNamesOfSearch(item.input.targeting.search),
          leaseOwner: ctx.instanceId,
          leaseExpiresAt: new Date(now.getTime() + ctx.leaseMs),
          now,
        };
        if (item.pendingJobId !== null) {
          launches.push({ jobId: item.pendingJobId, job });
          outcome[i] = { jobId: item.pendingJobId };
        } else {
          outcome[i] = { jobId: await repo.createJob(job, tx) };
        }
      }
      await repo.launchScheduledJobs(tx, launches);
      return outcome as Array<{ jobId: number } | { error: AppError }>;
    },

    /** Starts dispatching a queued job (after the transaction that queued it committed). */
    dispatch(jobId: number): void {
      logger.info({ jobId }, 'scheduled job queued');
      ctx.dispatcher.dispatch(jobId);
    },
  };
}
