import type { HostState } from '@common/jobs';
import type { CancelResponse__Output } from '@protos/generated/rex/proxy/v1/CancelResponse';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { ExecuteRequest } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import { parseExact, stringifyExact } from '@protos/json-numbers';
import { AppError, isAppError, isDatabaseUnavailable } from '../errors';
import type { Logger } from '../logger';
import type { HostSlots } from './host-slots';
import { emptyCounts, finalJobState } from './host-states';
import type { JobInvocationEntity } from './job-invocation.entity';
import type { JobInvocationRepository } from './job-invocation.repository';
import type { JobProxyStreamEntity } from './job-proxy-stream.entity';
import type { JobWaiters } from './job-waiters';
import { computeAggregates } from './output-shaping';
import { maskedInputs } from './sensitive-arguments';
import { createResultWriter, type ResultWriter, type TrackedHost } from './result-writer';

/** What the dispatcher needs of `proxies/proxy-client.ts` (the only gRPC client). */
export interface JobProxyClient {
  execute(url: string, request: ExecuteRequest, onEvent: (event: ExecuteEvent__Output) => void, signal?: AbortSignal): Promise<void>;
  getResults(url: string, request: { execution_id: string; after_sequence: number; follow: boolean }, onEvent: (event: ExecuteEvent__Output) => void, signal?: AbortSignal): Promise<void>;
  cancel(url: string, executionId: string): Promise<CancelResponse__Output>;
}

/** A registered smart proxy as the job code needs it. */
export interface SmartProxyRef {
  id: number;
  name: string;
  url: string;
  capabilities: string[];
}

export interface SmartProxyLookup {
  findByIds(ids: number[]): Promise<SmartProxyRef[]>;
}

/** What the dispatcher reports to /metrics (metrics/metrics.ts); optional, as in unit tests. */
export interface JobMetrics {
  /** Final host states just committed. */
  hostResultsStored(states: readonly HostState[]): void;
  /** Time from the proxy receiving a reply to this instance receiving it, in seconds. */
  proxyStreamLatency(proxy: string, seconds: number): void;
  proxyStreamError(proxy: string, code: string): void;
}

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
  /** Added to a job's timeout before its unanswered hosts end no_response. */
  graceMs: number;
  /** Re-attach attempts after a result stream broke mid-way. */
  reattachAttempts?: number;
  /** First wait before a re-attach; it doubles per attempt up to REATTACH_BACKOFF_MAX_MS. */
  reattachBackoffMs?: number;
  metrics?: JobMetrics;
}

const PROTO_STATE: Record<string, HostState> = {
  HOST_STATE_SUCCEEDED: 'succeeded',
  HOST_STATE_FAILED: 'failed',
  HOST_STATE_NO_RESPONSE: 'no_response',
  HOST_STATE_CANCELLED: 'cancelled',
};

interface RunningJob {
  abort: AbortController;
  writer?: ResultWriter;
  /** Execution ids and proxy URLs of streams in flight, for cancel. */
  live: Map<number, { url: string; executionId: string }>;
  cancelled: boolean;
  timedOut: boolean;
  /**
   * The database went away mid-job: this run stops writing and lets go of the job; the supervisor's
   * next claim (this instance or another) resumes it from the stored rows and proxy cursors.
   */
  lost: boolean;
  done: Promise<void>;
}

/**
 * Longest wait between two re-attach attempts: the gRPC channel's own reconnect backoff is capped at
 * 5 s (proxy-client.ts), so a proxy back within that time is reached by the next attempt.
 */
const REATTACH_BACKOFF_MAX_MS = 5000;

const reasonMax = (text: string) => (text.length > 255 ? `${text.slice(0, 252)}...` : text);

/**
 * Runs jobs: one result stream per proxy (in chunks when a concurrency cap applies), results into the
 * batching writer, final state when every host is final. It also supervises: renews the leases of its
 * jobs, takes over jobs whose instance died (re-attaching with GetResults after the last recorded
 * proxy sequence), and ends jobs past their deadline.
 */
export function createJobDispatcher(options: DispatcherOptions) {
  const { repo, logger } = options;
  const running = new Map<number, RunningJob>();
  /** Sensitive argument values of the jobs this instance created; never written anywhere. */
  const secretsByJob = new Map<number, Record<string, unknown>>();
  let ticker: NodeJS.Timeout | undefined;
  let ticking = false;
  let stopped = false;

  const leaseUntil = () => new Date(options.clock().getTime() + options.leaseMs);

  async function runJob(jobId: number, job: RunningJob): Promise<void> {
    const entity = await repo.findJob(jobId);
    if (!entity || !['queued', 'running'].includes(entity.state)) return;
    const action = JSON.parse(entity.ddl) as DdlAction__Output;
    const tracked = await repo.trackedHosts(jobId);
    // After a restart the rows are the truth: counts come from them, not from the job row.
    const counts = emptyCounts();
    for (const h of tracked) counts[h.state] += 1;
    const writer = createResultWriter({
      jobId,
      hosts: tracked,
      counts,
      lastEventSeq: entity.lastEventSeq,
      store: repo,
      clock: options.clock,
      logger,
      batchSize: options.resultBatchSize,
      flushMs: options.flushMs,
      onCommitted: (_version, batch) => {
        options.waiters.notify(jobId);
        if (batch.results.length > 0) options.metrics?.hostResultsStored(batch.results.map((r) => r.state));
      },
      onFailed: (error) => {
        if (isDatabaseUnavailable(error)) abandon(jobId, job);
      },
    });
    job.writer = writer;
    job.cancelled = job.cancelled || entity.cancelRequested;
    const now = options.clock();
    if (entity.state === 'queued') {
      const perProxy = new Map<number | null, number>();
      for (const h of tracked) perProxy.set(h.smartProxyId, (perProxy.get(h.smartProxyId) ?? 0) + 1);
      const largest = Math.max(0, ...[...perProxy.values()]);
      const rounds = entity.concurrencyLevel ? Math.max(1, Math.ceil(largest / entity.concurrencyLevel)) : 1;
      const deadlineAt = new Date(now.getTime() + rounds * entity.timeoutS * 1000 + options.graceMs);
      await repo.updateJob(jobId, { state: 'running', startedAt: now, deadlineAt }, now, ['queued']);
      entity.deadlineAt = deadlineAt;
      options.waiters.notify(jobId);
      logger.info({ jobId, hosts: tracked.length }, 'job started');
    }

    const missing = maskedInputs(action, JSON.parse(entityArguments(entity)) as Record<string, unknown>).filter((name) => !(name in (secretsByJob.get(jobId) ?? {})));
    if (missing.length > 0) {
      // Running with the mask would hand the task a wrong value; fail loudly instead.
      const reason = `the sensitive arguments (${missing.join(', ')}) are held only in the memory of the instance that created the job, and it no longer has them; create the job again`;
      for (const h of writer.unfinished()) writer.record({ rowId: h.rowId }, { state: 'failed', reason: reasonMax(reason) });
      await writer.flush();
      await finish(entity, action, writer, job);
      return;
    }

    const streams = await repo.streamsOf(jobId);
    const refs = await options.smartProxies.findByIds(streams.map((s) => s.smartProxyId));
    const byId = new Map(refs.map((r) => [r.id, r]));
    // Settled, not all: a job that is let go must not leave the running map while a stream still unwinds.
    const outcomes = await Promise.allSettled(streams.filter((s) => s.state !== 'done' && s.state !== 'failed').map((s) => runProxy(entity, action, s, byId.get(s.smartProxyId), writer, job)));
    const broken = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (broken) throw broken.reason;
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
    const state = finalJobState(counts, job.cancelled) ?? 'failed';
    const aggregates = action.aggregates?.length ? computeAggregates(action, (await repo.succeededData(entity.id)).map((d) => parseExact(d) as Record<string, unknown>)) : [];
    const now = options.clock();
    await repo.updateJob(entity.id, { state, finishedAt: now, aggregates: stringifyExact(aggregates), leaseOwner: null, leaseExpiresAt: null }, now, ['queued', 'running']);
    options.waiters.notify(entity.id);
    logger.info({ jobId: entity.id, state, counts }, 'job finished');
  }

  async function runProxy(entity: JobInvocationEntity, action: DdlAction__Output, stream: JobProxyStreamEntity, proxy: SmartProxyRef | undefined, writer: ResultWriter, job: RunningJob): Promise<void> {
    const jobId = entity.id;
    const proxyId = stream.smartProxyId;
    const failOpen = (hosts: TrackedHost[], reason: string) => {
      for (const h of hosts) writer.record({ rowId: h.rowId }, { state: 'failed', reason: reasonMax(reason) });
    };
    if (!proxy) {
      failOpen(writer.unfinished(proxyId), `smart proxy ${proxyId} is no longer registered`);
      await repo.updateStream(jobId, proxyId, { state: 'failed' });
      return;
    }
    // Whether the current execution sent anything yet: until it did, the proxy may never have got it.
    let heard = false;
    const onEvent = (event: ExecuteEvent__Output) => {
      heard = true;
      const cursor = { smartProxyId: proxyId, sequence: Number(event.sequence) };
      const r = event.result;
      if (event.event === 'result' && r) {
        const received = Number(r.received_at_ms);
        // Measured on the wall clock, as received_at_ms is (the injected clock is the jobs' own time, which tests move);
        // proxy and ui-extension clocks differ by their NTP error, and negative values count as 0.
        if (received > 0) options.metrics?.proxyStreamLatency(proxy.name, (Date.now() - received) / 1000);
        const accepted = writer.record({ smartProxyId: proxyId, identity: r.identity }, {
          state: PROTO_STATE[r.state] ?? 'failed',
          statuscode: r.state === 'HOST_STATE_NO_RESPONSE' || r.state === 'HOST_STATE_CANCELLED' ? null : r.statuscode,
          statusmsg: r.statusmsg || null,
          data: r.data_json || null,
          reason: r.state === 'HOST_STATE_NO_RESPONSE' ? 'no reply before the timeout' : null,
          finishedAt: received > 0 ? new Date(received) : undefined,
        }, cursor);
        if (!accepted && r.unexpected) logger.debug({ jobId, identity: r.identity }, 'reply from a host outside the job');
      } else {
        writer.advance(cursor);
      }
    };

    /** Follows one execution to its end, re-attaching after a broken stream; false when it gave up. */
    const follow = async (executionId: string, first: (() => Promise<void>) | undefined, resend?: () => Promise<void>): Promise<{ ok: true } | { ok: false; reason: string }> => {
      // 250 ms doubling to 5 s: the attempts span 7.75 s, longer than the channel's capped reconnect backoff.
      const attempts = options.reattachAttempts ?? 5;
      let lastError: unknown;
      heard = false;
      for (let attempt = 0; attempt <= attempts; attempt++) {
        if (job.abort.signal.aborted) return { ok: true };
        try {
          if (attempt === 0 && first) await first();
          else if (resend && !heard) {
            // Nothing came back: the request most likely never reached the proxy (a channel still
            // reconnecting after the proxy restarted). Sending it again is safe: a proxy that does run
            // it refuses the id (ALREADY_EXISTS) and we follow that execution instead.
            await resend();
          } else {
            await writer.flush();
            const [s] = (await repo.streamsOf(jobId)).filter((x) => x.smartProxyId === proxyId);
            await options.proxies.getResults(proxy.url, { execution_id: executionId, after_sequence: s?.lastSequence ?? 0, follow: true }, onEvent, job.abort.signal);
          }
          return { ok: true };
        } catch (error) {
          lastError = error;
          if (job.abort.signal.aborted) return { ok: true };
          if (isAppError(error) && error.code === 'ALREADY_EXISTS' && resend && !heard) {
            heard = true;
            continue;
          }
          options.metrics?.proxyStreamError(proxy.name, isAppError(error) ? error.code : 'INTERNAL');
          // The proxy refused the request itself: retrying cannot help.
          if (isAppError(error) && error.code !== 'UNAVAILABLE' && error.code !== 'DEADLINE_EXCEEDED') break;
          if (attempt === attempts) break;
          logger.warn({ jobId, proxy: proxy.name, attempt, err: error }, 'result stream broke; re-attaching');
          await new Promise((r) => setTimeout(r, Math.min(REATTACH_BACKOFF_MAX_MS, (options.reattachBackoffMs ?? 250) * 2 ** attempt)));
        }
      }
      const message = lastError instanceof Error ? lastError.message : String(lastError);
      // Results it streamed before are kept; only the hosts still open get this reason.
      return { ok: false, reason: heard ? `smart proxy ${proxy.name} lost before these hosts answered: ${message}` : `smart proxy ${proxy.name} failed: ${message}` };
    };

    let chunk = stream.chunk;
    // A restarted instance finds the stream mid-execution: resume it after the last recorded sequence.
    if (stream.state === 'running' && stream.executionId) {
      job.live.set(proxyId, { url: proxy.url, executionId: stream.executionId });
      const open = writer.unfinished(proxyId).filter((h) => h.state === 'running');
      const res = await follow(stream.executionId, () => options.proxies.getResults(proxy.url, { execution_id: stream.executionId!, after_sequence: stream.lastSequence, follow: true }, onEvent, job.abort.signal));
      job.live.delete(proxyId);
      if (stopped || job.lost) return;
      await writer.flush();
      if (!res.ok) failOpen(open.filter((h) => writer.host(h.rowId)?.state === 'running'), reasonMax(res.reason));
      // Hosts the finished execution covered but never reported stay open; they cannot answer any more.
      for (const h of open) if (writer.host(h.rowId)?.state === 'running') writer.record({ rowId: h.rowId }, { state: job.cancelled ? 'cancelled' : 'no_response', reason: 'no result from the smart proxy' });
    }

    for (;;) {
      if (job.cancelled || job.abort.signal.aborted) break;
      const pending = writer.unfinished(proxyId).filter((h) => h.state === 'pending');
      if (pending.length === 0) break;
      const cap = Math.min(pending.length, entity.concurrencyLevel ?? pending.length);
      const granted = await options.slots.acquire(cap, job.abort.signal);
      if (granted === 0) break;
      const hosts = pending.slice(0, granted);
      chunk += 1;
      const executionId = `${jobId}-${proxyId}-${chunk}`;
      try {
        // Older cursors must be on disk before the cursor restarts at 0 for the new execution.
        await writer.flush();
        await repo.updateStream(jobId, proxyId, { executionId, chunk, lastSequence: 0, state: 'running' });
        writer.markRunning(hosts.map((h) => h.rowId));
        job.live.set(proxyId, { url: proxy.url, executionId });
        // A cancel that arrived between the loop check and here found no stream to cancel.
        if (job.cancelled) job.abort.abort();
        const request: ExecuteRequest = {
          execution_id: executionId,
          agent: entityNamespace(entity),
          action: action.name,
          arguments_json: secretsByJob.has(jobId) ? JSON.stringify({ ...(JSON.parse(entityArguments(entity)) as Record<string, unknown>), ...secretsByJob.get(jobId) }) : entityArguments(entity),
          identities: hosts.map((h) => h.hostName),
          timeout_seconds: entity.timeoutS,
          batch_size: entity.batchSize ?? 0,
          caller: entity.owner,
        };
        const send = () => options.proxies.execute(proxy.url, request, onEvent, job.abort.signal);
        const res = await follow(executionId, send, send);
        job.live.delete(proxyId);
        if (stopped || job.lost) return;
        await writer.flush();
        const open = hosts.filter((h) => { const s = writer.host(h.rowId)?.state; return s === 'running' || s === 'pending'; });
        if (!res.ok) failOpen(open, res.reason);
        else for (const h of open) writer.record({ rowId: h.rowId }, job.cancelled ? { state: 'cancelled', reason: 'job cancelled' } : { state: 'no_response', reason: job.timedOut ? 'job timed out' : 'no result from the smart proxy' });
      } finally {
        options.slots.release(granted);
      }
    }
    if (stopped || job.lost) return;
    if (job.cancelled) for (const h of writer.unfinished(proxyId)) writer.record({ rowId: h.rowId }, { state: 'cancelled', reason: 'job cancelled' });
    await writer.flush();
    await repo.updateStream(jobId, proxyId, { state: 'done' });
  }

  // The request needs the namespace and arguments, which live on the remote action.
  const actionCache = new Map<number, { namespace: string; arguments: string }>();
  const entityNamespace = (e: JobInvocationEntity) => actionCache.get(e.remoteActionId)!.namespace;
  const entityArguments = (e: JobInvocationEntity) => actionCache.get(e.remoteActionId)!.arguments;

  function start(jobId: number): void {
    if (running.has(jobId) || stopped) return;
    const job: RunningJob = { abort: new AbortController(), live: new Map(), cancelled: false, timedOut: false, lost: false, done: Promise.resolve() };
    running.set(jobId, job);
    job.done = (async () => {
      try {
        const entity = await repo.findJob(jobId);
        if (entity) {
          const ra = await repo.findRemoteAction(entity.remoteActionId);
          if (ra) actionCache.set(ra.id, { namespace: ra.namespace, arguments: ra.arguments });
        }
        await runJob(jobId, job);
      } catch (error) {
        if (isDatabaseUnavailable(error) || job.lost) abandon(jobId, job);
        else if (!stopped) logger.error({ err: error, jobId }, 'job dispatch failed');
      } finally {
        running.delete(jobId);
        // A job this instance stopped or let go (not finished) keeps its secrets for a resume here.
        if (!stopped && !job.lost) secretsByJob.delete(jobId);
      }
    })();
  }

  /**
   * Lets go of a job after the database failed under it: queued results are dropped (their cursors
   * were not stored either, so the proxy sends them again), streams are cut, the lease stays. The
   * supervisor claims the job again once the database answers (our own lease counts as orphaned
   * when we no longer run the job) and re-attaches after the stored sequences: nothing lost, and a
   * result that did reach the database is not applied twice (a final host takes no new state).
   */
  function abandon(jobId: number, job: RunningJob): void {
    if (job.lost) return;
    job.lost = true;
    job.writer?.discard();
    job.abort.abort();
    logger.warn({ jobId }, 'database unavailable; the job resumes from its stored results once it is back');
  }

  async function tick(): Promise<void> {
    if (ticking || stopped) return;
    ticking = true;
    try {
      const now = options.clock();
      await repo.renewLeases(options.instanceId, [...running.keys()], leaseUntil());
      for (const [jobId, job] of running) {
        const row = await repo.findJob(jobId);
        if (!row) continue;
        if (row.cancelRequested && !job.cancelled) void cancelLocal(jobId);
        if (row.deadlineAt && row.deadlineAt.getTime() < now.getTime() && !job.timedOut) {
          logger.warn({ jobId }, 'job past its deadline; unanswered hosts end no_response');
          job.timedOut = true;
          job.abort.abort();
        }
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
    if (!job) return;
    job.cancelled = true;
    await Promise.all([...job.live.values()].map(({ url, executionId }) => options.proxies.cancel(url, executionId).then(
      (outcome) => {
        // A proxy that does not know the execution will never end its stream: stop waiting for it.
        if (!outcome.found) job.abort.abort();
      },
      (error: unknown) => {
        logger.warn({ jobId, executionId, err: error }, 'cancel on the smart proxy failed; the stream is aborted instead');
        job.abort.abort();
      },
    )));
  }

  return {
    /** Starts dispatching a job stored as queued (or resumes a running one), with its sensitive values. */
    dispatch(jobId: number, secrets?: Record<string, unknown>): void {
      if (secrets && Object.keys(secrets).length > 0) secretsByJob.set(jobId, secrets);
      start(jobId);
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
    },
  };
}

export type JobDispatcher = ReturnType<typeof createJobDispatcher>;

/**
 * Stands in until a proxy client is wired: every call fails UNAVAILABLE, so a job's hosts end failed
 * with that reason instead of the job pretending to run.
 */
export function unconfiguredProxyClient(): JobProxyClient & { listAgents(url: string): Promise<never>; getInfo(url: string): Promise<never> } {
  const fail = async (): Promise<never> => {
    throw new AppError('UNAVAILABLE', 'no proxy client is configured in this ui-extension');
  };
  return { execute: fail, getResults: fail, cancel: fail, listAgents: fail, getInfo: fail };
}
