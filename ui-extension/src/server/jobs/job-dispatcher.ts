import type { HostState } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import type { ExecuteRequest } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import { parseExact, stringifyExact } from '@protos/json-numbers';
import { isDatabaseUnavailable } from '../errors';
import type { Logger } from '../logger';
import type { HostSlots } from './host-slots';
import { emptyCounts, finalJobState } from './host-states';
import type { JobInvocationEntity } from './job-invocation.entity';
import type { JobInvocationRepository } from './job-invocation.repository';
import { markStarted, pendingPerProxy, startsBeforeHostsAreRead, trackedHostsOf, type JustCreated } from './job-start';
import { runProxyStream, type ProxyStreamDeps, type RunningJob } from './job-proxy-stream';
import type { JobMetrics, JobProxyClient, SmartProxyLookup } from './dispatch-ports';
import type { JobWaiters } from './job-waiters';
import { createLateResultCollector } from './late-results';
import { finalAggregates } from './job-aggregates';
import { createProxyBreaker, type ProxyHealthView } from './proxy-breaker';
import { cancelAtDeadline, cancelOnProxies } from './proxy-cancel';
import { maskedInputs } from './sensitive-arguments';
import type { StoredHostResult, StoredJob } from './puppet-run-reports';
import { createResultWriter, SENT_HOLD_FLUSHES, type ResultWriter, type TrackedHost } from './result-writer';
import { runRollout } from './rollout-runner';

export type { JobMetrics, JobProxyClient, SmartProxyLookup, SmartProxyRef } from './dispatch-ports';
export { unconfiguredProxyClient } from './dispatch-ports';

export interface DispatcherOptions {
  repo: JobInvocationRepository;
  proxies: JobProxyClient;
  smartProxies: SmartProxyLookup;
  slots: HostSlots;
  waiters: JobWaiters;
  clock: () => Date;
  logger: Logger;
  /** Identifies this ui-extension instance in job leases. */
  instanceId: string;
  resultBatchSize: number;
  flushMs: number;
  /** A lease not renewed for this long is taken over by another instance (or by a restarted one). */
  leaseMs: number;
  /** Past the job's deadline, how long a proxy still not done gets before it is cancelled and its open hosts recorded. */
  graceMs: number;
  /** How long after the job ended the results of a proxy it gave up on are still stored (late); 0: never. */
  lateResultsWindowMs?: number;
  /** A background view of proxy health (a monitor); without it each job finds a dead proxy itself. */
  health?: ProxyHealthView;
  /** Re-attach attempts after a result stream broke mid-way. */
  reattachAttempts?: number;
  /** First wait before a re-attach; it doubles per attempt up to REATTACH_BACKOFF_MAX_MS. */
  reattachBackoffMs?: number;
  metrics?: JobMetrics;
  /** Asked once per job; the sink it gives (puppet-run-reports.ts: Puppet runs only) is told of each batch's final results once committed, never awaited. */
  resultsSinkFor?: (job: StoredJob) => ((results: StoredHostResult[]) => void) | undefined;
}

/**
 * Runs jobs: one result stream per proxy (job-proxy-stream.ts; in chunks when a concurrency cap
 * applies), results into the batching writer, final state when every host is final. It also
 * supervises: renews the leases of its jobs, takes over jobs whose instance died (re-attaching with
 * GetResults after the last recorded proxy sequence), and gives up on proxies still not done a grace
 * period after the job's deadline (rollout-deadline.ts), cancelling their executions
 * (proxy-cancel.ts). A job with a rollout policy runs its streams batch by batch through
 * rollout-runner.ts.
 */
export function createJobDispatcher(options: DispatcherOptions) {
  const { repo, logger } = options;
  const running = new Map<number, RunningJob>();
  /** Sensitive argument values of the jobs this instance created; never written anywhere. */
  const secretsByJob = new Map<number, Record<string, unknown>>();
  let ticker: NodeJS.Timeout | undefined;
  let ticking = false;
  let stopped = false;
  const late = createLateResultCollector({ proxies: options.proxies, store: repo, clock: options.clock, logger, windowMs: options.lateResultsWindowMs ?? 0, onStored: (jobId) => options.waiters.notify(jobId) });

  const starting = { repo, clock: options.clock, waiters: options.waiters, logger };
  const leaseUntil = () => new Date(options.clock().getTime() + options.leaseMs);

  async function runJob(jobId: number, job: RunningJob, entity: JobInvocationEntity, written?: JustCreated['hosts']): Promise<void> {
    if (!['queued', 'running'].includes(entity.state)) {
      job.ended = true;
      return;
    }
    const action = JSON.parse(entity.ddl) as DdlAction__Output;
    const early = startsBeforeHostsAreRead(entity);
    // Proxies read as soon as the streams name them, beside the other reads: a round trip less before the first Execute (issue 20).
    const streamsAndProxies = repo.streamsOf(jobId).then(async (streams) => ({ streams, refs: await options.smartProxies.findByIds(streams.map((s) => s.smartProxyId)) }));
    const [tracked, { streams, refs }] = await Promise.all([trackedHostsOf(repo, jobId, written), streamsAndProxies, early ? markStarted(starting, entity, [entity.countPending]) : undefined]);
    // After a restart the rows are the truth: counts come from them, not from the job row.
    const counts = emptyCounts();
    for (const h of tracked) counts[h.state] += 1;
    const storeResults = options.resultsSinkFor?.({ id: jobId, namespace: entityNamespace(entity), action: action.name });
    const writer = createResultWriter({
      jobId,
      hosts: tracked,
      counts,
      lastEventSeq: entity.lastEventSeq,
      store: repo,
      leaseOwner: options.instanceId,
      clock: options.clock,
      logger,
      batchSize: options.resultBatchSize,
      flushMs: options.flushMs, sentHoldMs: options.flushMs * SENT_HOLD_FLUSHES,
      onCommitted: (_version, batch) => {
        options.waiters.notify(jobId);
        if (batch.results.length === 0) return;
        options.metrics?.hostResultsStored(batch.results.map((r) => r.state));
        storeResults?.(batch.results.map((r) => ({ rowId: r.rowId, hostName: writer.host(r.rowId)?.hostName ?? '', data: r.data })));
      },
      onFailed: (error) => {
        if (isDatabaseUnavailable(error)) abandon(jobId, job);
      },
      onLost: () => letGo(jobId, job, 'a result batch was refused: another instance holds the job'),
    });
    job.writer = writer;
    job.cancelled = job.cancelled || entity.cancelRequested;
    if (entity.state === 'queued' && !early) await markStarted(starting, entity, pendingPerProxy(tracked));

    const missing = maskedInputs(action, JSON.parse(entityArguments(entity)) as Record<string, unknown>).filter((name) => !(name in (secretsByJob.get(jobId) ?? {})));
    if (missing.length > 0) {
      // Running with the mask would hand the task a wrong value; fail loudly instead.
      const reason = `the sensitive arguments (${missing.join(', ')}) are held only in the memory of the instance that created the job, and it no longer has them; create the job again`;
      for (const h of writer.unfinished()) writer.record({ rowId: h.rowId }, { state: 'failed', reason });
      await writer.flush();
      await finish(entity, action, writer, job);
      return;
    }

    const byId = new Map(refs.map((r) => [r.id, r]));
    const breaker = createProxyBreaker(options.health);
    const request = (executionId: string, hosts: TrackedHost[]): ExecuteRequest => ({
      execution_id: executionId,
      agent: entityNamespace(entity),
      action: action.name,
      arguments_json: secretsByJob.has(jobId) ? stringifyExact({ ...(parseExact(entityArguments(entity)) as Record<string, unknown>), ...secretsByJob.get(jobId) }) : entityArguments(entity),
      identities: hosts.map((h) => h.hostName),
      timeout_seconds: entity.timeoutS,
      batch_size: entity.batchSize ?? 0,
      caller: entity.owner,
      // The proxy keeps wall-clock time; the injected clock is the jobs' own (tests move it): send what is left of it.
      deadline_unix_ms: entity.deadlineAt ? Date.now() + Math.max(0, entity.deadlineAt.getTime() - options.clock().getTime()) : 0,
    });
    const deps: ProxyStreamDeps = { repo, proxies: options.proxies, slots: options.slots, logger, metrics: options.metrics, reattachAttempts: options.reattachAttempts, reattachBackoffMs: options.reattachBackoffMs, stopped: () => stopped, instanceId: options.instanceId };
    const runStreams = async (eligible?: (h: TrackedHost) => boolean, admit?: (hosts: TrackedHost[]) => Promise<boolean>) => {
      // Read again each time: a rollout's earlier batches moved the chunk counters and stream states.
      const current = eligible ? await repo.streamsOf(jobId) : streams;
      const wanted = eligible ? new Set(writer.unfinished().filter(eligible).map((h) => h.smartProxyId)) : undefined;
      // Settled, not all: a job that is let go must not leave the running map while a stream still unwinds.
      const outcomes = await Promise.allSettled(current.filter((s) => s.state !== 'done' && s.state !== 'failed' && (!wanted || wanted.has(s.smartProxyId))).map((s) => runProxyStream(deps, { entity, stream: s, proxy: byId.get(s.smartProxyId), writer, job, breaker, request, eligible, admit })));
      const broken = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (broken) throw broken.reason;
    };
    if (entity.rolloutPolicy) {
      await runRollout({ repo, clock: options.clock, logger, instanceId: options.instanceId, pollMs: Math.max(100, Math.min(1000, Math.floor(options.leaseMs / 3))), runHosts: runStreams, halted: () => stopped || job.lost }, entity, tracked, writer, job);
    } else {
      await runStreams();
    }
    if (stopped || job.lost) return;

    // Whatever is still open now will never get an answer.
    const outcome: { state: HostState; reason: string } = job.cancelled
      ? { state: 'cancelled', reason: 'job cancelled' }
      : { state: 'no_response', reason: job.timedOut ? 'job timed out' : 'no result from the smart proxy' };
    for (const h of writer.unfinished()) writer.record({ rowId: h.rowId }, outcome);
    await writer.flush();
    await finish(entity, action, writer, job);
  }

  async function finish(entity: JobInvocationEntity, action: DdlAction__Output, writer: ResultWriter, job: RunningJob): Promise<void> {
    const counts = writer.counts();
    // A rollout stopped by its failure threshold failed, whatever else its hosts did.
    const state = job.stopped ? 'failed' : finalJobState(counts, job.cancelled) ?? 'failed';
    const aggregates = await finalAggregates(entity.id, entityNamespace(entity), action, counts, repo);
    const now = options.clock();
    // Only while the job is still ours: an instance that lost its lease after its last batch must not
    // end a job another instance now runs (its counts may be behind what the new owner recorded).
    if (!(await repo.updateJob(entity.id, { state, finishedAt: now, aggregates: stringifyExact(aggregates), leaseOwner: null, leaseExpiresAt: null, nextBatchAt: null }, now, ['queued', 'running'], options.instanceId))) {
      letGo(entity.id, job, 'its end was refused: another instance holds the job');
      return;
    }
    job.ended = true;
    options.waiters.notify(entity.id);
    logger.info({ jobId: entity.id, state, counts }, 'job finished');
    // Only now: a late result may change a host row, and the writer no longer does.
    for (const follow of job.late) late.follow(follow);
  }

  // The request needs the namespace and arguments, which live on the remote action.
  const actionCache = new Map<number, { namespace: string; arguments: string }>();
  const entityNamespace = (e: JobInvocationEntity) => actionCache.get(e.remoteActionId)!.namespace;
  const entityArguments = (e: JobInvocationEntity) => actionCache.get(e.remoteActionId)!.arguments;

  function start(jobId: number, known?: JustCreated): void {
    if (running.has(jobId) || stopped) return;
    const job: RunningJob = { abort: new AbortController(), dispatching: new AbortController(), live: new Map(), cancelled: false, timedOut: false, lost: false, late: [], done: Promise.resolve() };
    running.set(jobId, job);
    job.done = (async () => {
      try {
        const entity = known?.job ?? (await repo.findJob(jobId));
        const ra = known?.action ?? (entity && (await repo.findRemoteAction(entity.remoteActionId)));
        if (ra) actionCache.set(ra.id, { namespace: ra.namespace, arguments: ra.arguments });
        if (entity) await runJob(jobId, job, entity, known?.hosts);
        else job.ended = true;
      } catch (error) {
        if (isDatabaseUnavailable(error) || job.lost) abandon(jobId, job);
        else if (!stopped) letGo(jobId, job, 'dispatch failed: its streams and writer stop as in a crash; the next claim resumes it here', error);
      } finally {
        running.delete(jobId);
        // Secrets go once the job has ended (or is gone), and only then: a run that failed before its end
        // (an error that is not an outage, e.g. a lock conflict) is resumed here by the next tick's claim,
        // and its hosts still to send need them; a job stopped or let go may be resumed here too.
        if (job.ended) secretsByJob.delete(jobId);
      }
    })();
  }

  /**
   * Lets go of a job: after the database failed under it (`abandon`: the lease stays, and the
   * supervisor claims the job again once the database answers, our own lease counting as orphaned),
   * when another instance took it over (this one stalled past its lease; never retried), or when its run
   * failed otherwise (the next claim resumes it here). Queued results are dropped (their cursors were
   * not stored either: the proxy sends them again), streams are cut: nothing lost, and a result that did reach the database is not
   * applied twice (a final host takes no new state).
   */
  function letGo(jobId: number, job: RunningJob, why: string, err?: unknown): void {
    if (job.lost) return;
    job.lost = true;
    job.writer?.discard();
    job.abort.abort();
    logger.warn({ jobId, why, err }, 'this instance lets go of the job; it resumes from its stored results and proxy cursors');
  }
  const abandon = (jobId: number, job: RunningJob) => letGo(jobId, job, 'database unavailable; the job resumes from its stored results once it is back');

  async function tick(): Promise<void> {
    if (ticking || stopped) return;
    ticking = true;
    try {
      const now = options.clock();
      for (const jobId of await repo.renewLeases(options.instanceId, [...running.keys()], leaseUntil())) {
        const job = running.get(jobId);
        if (job) letGo(jobId, job, 'its lease was not renewed: another instance holds the job');
      }
      for (const [jobId, job] of running) {
        if (job.lost) continue;
        const row = await repo.findJob(jobId);
        if (!row) continue;
        if (row.cancelRequested && !job.cancelled) void cancelLocal(jobId);
        if (row.deadlineAt && row.deadlineAt.getTime() + options.graceMs < now.getTime() && !job.timedOut) void cancelAtDeadline(options, jobId, job);
      }
      for (const jobId of await repo.claimOrphanedJobs(options.instanceId, now, leaseUntil(), [...running.keys()])) {
        logger.info({ jobId }, 'taking over an unfinished job');
        start(jobId);
      }
    } catch (error) {
      logger.warn({ err: error }, 'job supervision tick failed');
    } finally {
      ticking = false;
    }
  }

  async function cancelLocal(jobId: number): Promise<void> {
    const job = running.get(jobId);
    if (job) await cancelOnProxies(options, jobId, job);
  }

  return {
    /** Starts dispatching a job stored as queued (or resumes a running one), with its sensitive values; `known`: its rows just read or written, not read again. */
    dispatch(jobId: number, secrets?: Record<string, unknown>, known?: JustCreated): void {
      if (secrets && Object.keys(secrets).length > 0) secretsByJob.set(jobId, secrets);
      start(jobId, known);
    },
    /** Begins supervision: lease renewal, take-over of orphaned jobs, deadlines. */
    startSupervisor(intervalMs = Math.max(200, Math.floor(options.leaseMs / 3))): void {
      if (ticker) return;
      void tick();
      ticker = setInterval(() => void tick(), intervalMs);
      ticker.unref();
    },
    /** Cancels a job this instance runs; false when it runs elsewhere (or not at all). */
    async cancel(jobId: number): Promise<boolean> {
      if (!running.has(jobId)) return false;
      await cancelLocal(jobId);
      return true;
    },
    isRunning: (jobId: number) => running.has(jobId),
    /** A resume on this instance: a rollout waiting at its gate looks at its row again at once. */
    wake: (jobId: number) => running.get(jobId)?.wake?.(),
    /** Waits until the job's dispatch ends here (tests and graceful shutdown). */
    whenDone: (jobId: number) => running.get(jobId)?.done ?? Promise.resolve(),
    /**
     * Stops without finishing anything: streams are dropped and leases left to expire, exactly like a
     * crash, so that another (or the restarted) instance resumes from the recorded sequences.
     */
    async stop(): Promise<void> {
      stopped = true;
      if (ticker) clearInterval(ticker);
      for (const job of running.values()) {
        job.writer?.discard();
        job.abort.abort();
      }
      await Promise.all([...running.values()].map((j) => j.done));
      await late.stop();
    },
    /** Late-result followers still running (tests). */
    lateFollowers: () => late.active(),
  };
}

export type JobDispatcher = ReturnType<typeof createJobDispatcher>;
