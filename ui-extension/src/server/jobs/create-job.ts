import type { JobPreview } from '@common/job-preview';
import type { CreateJobRequest, Job, Targeting } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { coversAction, requirePermission, type CurrentUser } from '../auth/abilities';
import { AppError } from '../errors';
import { canonicalJson, remoteActionHash } from './canonical-arguments';
import type { JobContext, PreparedAction, RunTargets } from './job-context';
import { previewOfPlan } from './job-preview';
import { factNamesOfSearch } from './job-search';
import { toJob } from './job-views';
import type { RemoteActionEntity } from './remote-action.entity';
import { maskedInputs, splitSensitiveArguments } from './sensitive-arguments';

/** A remote action not stored yet: canonical JSON of its arguments and their hash. */
export interface NewRemoteAction {
  namespace: string;
  action: string;
  arguments: string;
  hash: string;
}

export interface StoreJobInput {
  user: CurrentUser;
  /** The stored action (replay), or a new one stored in the job's transaction (create). */
  action: { id: number; entity?: RemoteActionEntity } | NewRemoteAction;
  ddl: DdlAction__Output;
  targeting: Targeting;
  /** The targeting's hosts, already resolved and authorized (authorizeRun). */
  targets: RunTargets;
  parentId: number | null;
  description: string;
  concurrencyLevel: number | null;
  batchSize: number | null;
  rolloutPolicy: string | null;
  timeoutS: number;
  /** Sensitive argument values, held in memory only (sensitive-arguments.ts). */
  secrets?: Record<string, unknown>;
  /** The audit entry, written in the job's own transaction: no job without its entry, nor the reverse. */
  audit: { verb: 'create' | 'replay'; changes: (totalHosts: number) => Record<string, unknown> };
}

/** Writes a job, its hosts grouped by proxy and its audit entry in one transaction, then dispatches it (create and replay). */
export async function storeAndDispatch(ctx: JobContext, input: StoreJobInput): Promise<Job> {
  const { repo, clock, logger } = ctx;
  const plan = await ctx.planHosts(input.targets);
  const now = clock();
  const factNames = factNamesOfSearch(input.targeting.search);
  // Every check passed before this point, so a refused request stores nothing. The action is stored
  // in its own statement: inside the job's transaction, two requests storing the same new action
  // deadlock on MariaDB (each holds the unique key's insert lock the other's locking read waits for).
  const remoteActionId = 'id' in input.action ? input.action.id : (await repo.findOrCreateRemoteAction({ ...input.action, now })).id;
  const jobId = await repo.transaction(async (tx) => {
    const id = await repo.createJob({
      remoteActionId,
      parentId: input.parentId,
      owner: input.user.login,
      ownerId: input.user.id,
      description: input.description,
      targetingSearch: input.targeting.search ?? null,
      targetingHostIds: input.targeting.host_ids ?? null,
      targetingHostgroupId: input.targeting.hostgroup_id ?? null,
      targetingPql: input.targeting.pql ?? null,
      factNames,
      concurrencyLevel: input.concurrencyLevel,
      batchSize: input.batchSize,
      rolloutPolicy: input.rolloutPolicy,
      timeoutS: input.timeoutS,
      ddl: JSON.stringify(input.ddl),
      counts: plan.counts,
      smartProxyIds: plan.proxyIds,
      hosts: plan.hosts,
      leaseOwner: ctx.instanceId,
      leaseExpiresAt: new Date(now.getTime() + ctx.leaseMs),
      now,
    }, tx);
    await ctx.auditJob(input.user, input.audit.verb, { id, description: input.description }, input.audit.changes(plan.hosts.length), tx);
    return id;
  });
  logger.info({ jobId, hosts: plan.hosts.length, skipped: plan.counts.skipped, proxies: plan.proxyIds.length }, 'job created');
  const { job, action } = await ctx.loadJob(jobId);
  // The answer is made before the dispatcher, which is handed the rows just read and the hosts just written instead of reading them again, changes the job.
  const created = toJob(job, action);
  ctx.dispatcher.dispatch(jobId, input.secrets, { job, action, hosts: plan.hosts });
  return created;
}

/** A later run takes its arguments from storage, and sensitive values are never stored (sensitive-arguments.ts). */
function refuseSensitiveForLater(sensitiveInputs: string[]): void {
  if (sensitiveInputs.length === 0) return;
  const input = sensitiveInputs[0];
  throw new AppError('INVALID_ARGUMENT', `arguments.${input}: a sensitive input cannot be scheduled, because its value is never stored; run the job now instead`, { httpStatus: 422, details: { input, rule: 'sensitive inputs run only now' } });
}

/**
 * Creating a job: validate the arguments against the DDL, store the remote action, resolve and
 * authorize the hosts, write the job and dispatch it (`create`); show what that would run on,
 * storing nothing (`preview`); or, for a job that runs later, only the first half
 * (`prepareAction`, `prepareStoredAction`).
 */
export function createJobCreation(ctx: JobContext) {
  const { deps, repo, clock } = ctx;

  return {
    /** `via.template`: the job template the job is run from, named in the job's audit entry. */
    async create(user: CurrentUser, body: Omit<CreateJobRequest['job'], 'scheduling' | 'recurrence' | 'targeting_type'>, via: { template?: { id: number; name: string } } = {}): Promise<Job> {
      requirePermission(user, 'create_jobs', `running ${body.namespace}.${body.action}`);
      if (!coversAction(user, 'create_jobs', body.namespace, body.action)) {
        throw new AppError('PERMISSION_DENIED', `access denied: none of your create_jobs filters allows ${body.namespace}.${body.action}`, { details: { missing_permissions: ['create_jobs'], namespace: body.namespace, action: body.action } });
      }
      const catalog = await deps.catalog.findAction(body.namespace, body.action, user);
      const validated = deps.validateArguments(catalog.action, body.arguments ?? {});
      const { stored: args, secrets } = splitSensitiveArguments(catalog.action, validated);
      // Every check (arguments, permissions, a targeting that is empty or outside the user's scope)
      // before anything is written; the action itself is stored in the job's transaction.
      const targets = await ctx.authorizeRun(user, body.namespace, body.action, body.targeting);
      const job = await storeAndDispatch(ctx, {
        user,
        action: { namespace: body.namespace, action: body.action, arguments: canonicalJson(args), hash: remoteActionHash(body.namespace, body.action, args) },
        ddl: catalog.action,
        targeting: body.targeting,
        targets,
        parentId: null,
        description: body.description ?? `${body.namespace} ${body.action}`,
        concurrencyLevel: body.concurrency_level ?? null,
        batchSize: body.batch_size ?? null,
        rolloutPolicy: body.rollout ? JSON.stringify(body.rollout) : null,
        timeoutS: body.timeout ?? (catalog.timeout || deps.config.default_timeout_s),
        secrets,
        audit: { verb: 'create', changes: (totalHosts) => ({ namespace: body.namespace, action: body.action, arguments: args, targeting: body.targeting, total_hosts: totalHosts, ...(via.template ? { job_template: via.template } : {}) }) },
      });
      return job;
    },

    /** What `create` with this body would run on, checked as `create` checks it, storing nothing (job-preview.ts). */
    async preview(user: CurrentUser, body: Pick<CreateJobRequest['job'], 'namespace' | 'action' | 'arguments' | 'targeting'>, page: { page: number; perPage: number }): Promise<JobPreview> {
      ctx.requireCreate(user, body.namespace, body.action);
      deps.validateArguments((await deps.catalog.findAction(body.namespace, body.action, user)).action, body.arguments ?? {});
      const targets = await ctx.authorizeRun(user, body.namespace, body.action, body.targeting, { allowEmpty: true });
      return previewOfPlan(deps.smartProxies, body.targeting, (await ctx.planHosts(targets)).hosts, page);
    },

    /**
     * The first half of `create` for a job that runs later: checks the user may run the action and
     * validates the arguments against the DDL. Nothing is stored: the schedule, once its own checks
     * pass, stores the action (`storeRemoteAction`).
     */
    async prepareAction(user: CurrentUser, body: { namespace: string; action: string; arguments?: Record<string, unknown> }): Promise<PreparedAction> {
      ctx.requireCreate(user, body.namespace, body.action);
      const catalog = await deps.catalog.findAction(body.namespace, body.action, user);
      const args = deps.validateArguments(catalog.action, body.arguments ?? {});
      refuseSensitiveForLater(Object.keys(splitSensitiveArguments(catalog.action, args).secrets));
      return { remoteActionId: null, storedArguments: canonicalJson(args), hash: remoteActionHash(body.namespace, body.action, args), namespace: body.namespace, action: body.action, arguments: args, ddl: JSON.stringify(catalog.action), timeoutS: catalog.timeout || deps.config.default_timeout_s };
    },

    /** The id of a prepared action, storing a new one (once the schedule's own checks passed). */
    async storeRemoteAction(prepared: PreparedAction): Promise<number> {
      if (prepared.remoteActionId !== null) return prepared.remoteActionId;
      return (await repo.findOrCreateRemoteAction({ namespace: prepared.namespace, action: prepared.action, arguments: prepared.storedArguments, hash: prepared.hash, now: clock() })).id;
    },

    /**
     * A stored remote action (from history) ready to be scheduled. Its DDL comes from the proxies,
     * or, when none can answer, from the newest job that ran it (as a replay would use).
     */
    async prepareStoredAction(user: CurrentUser, remoteActionId: number): Promise<PreparedAction> {
      requirePermission(user, 'create_jobs', 'scheduling a stored action');
      const stored = await repo.findRemoteAction(remoteActionId);
      // An action the user may not see (its arguments may be secret) is as missing as an unknown one.
      if (!stored || !(await ctx.actionVisible(user, remoteActionId))) throw new AppError('NOT_FOUND', `remote action ${remoteActionId} not found`);
      ctx.requireCreate(user, stored.namespace, stored.action);
      let ddl: string;
      let timeoutS = deps.config.default_timeout_s;
      try {
        const catalog = await deps.catalog.findAction(stored.namespace, stored.action);
        ddl = JSON.stringify(catalog.action);
        timeoutS = catalog.timeout || timeoutS;
      } catch (error) {
        const fallback = await repo.latestDdlOfAction(stored.id);
        if (!fallback) throw error;
        ddl = fallback;
      }
      const args = JSON.parse(stored.arguments) as Record<string, unknown>;
      refuseSensitiveForLater(maskedInputs(JSON.parse(ddl) as DdlAction__Output, args));
      return { remoteActionId: stored.id, storedArguments: stored.arguments, hash: stored.argumentsHash, namespace: stored.namespace, action: stored.action, arguments: args, ddl, timeoutS };
    },
  };
}
