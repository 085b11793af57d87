/**
 * What a restarted proxy stream (job-proxy-stream.ts) may conclude before it sends hosts a crashed run
 * admitted (stored running) but whose chunk never reached the proxy:
 *
 * - a chunk id the proxy answers NOT_FOUND for was never there only while the proxy still holds an
 *   earlier chunk of the job: a proxy evicts finished executions oldest first (by start) and holds none
 *   after a restart, and no chunk starts before the one before it was followed to its end (proxyHolds);
 * - the re-send is not admitted again (that was the crashed run's), but the job must still be this
 *   instance's and not cancelled (mayResend). A pause does not hold it: those hosts read running, out,
 *   before the pause.
 */
import { isAppError } from '../errors';
import type { Logger } from '../logger';
import type { JobProxyClient } from './dispatch-ports';
import type { JobInvocationRepository } from './job-invocation.repository';
import { cancelOnProxies } from './proxy-cancel';
import { sleep, type RunningJob } from './running-job';

/** Past every event of an execution: GetResults then answers with none, and OK while the proxy holds it. */
const PAST_EVERY_EVENT = 2 ** 31;

export interface ProofDeps {
  proxies: Pick<JobProxyClient, 'getResults' | 'cancel'>;
  logger: Logger;
  repo: Pick<JobInvocationRepository, 'findJob'>;
  instanceId: string;
  /** Retries of an unreachable proxy, and the first wait between them (doubling up to maxBackoffMs). */
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

/**
 * Whether the proxy still holds an execution: true on an answer, false on NOT_FOUND (or any refusal).
 * An unreachable proxy is asked again as a broken stream is re-attached; still unreachable, or the job
 * cancelled or timed out meanwhile, it is false: nothing can be proven then.
 */
export async function proxyHolds(deps: ProofDeps, url: string, executionId: string, job: RunningJob): Promise<boolean> {
  const signal = AbortSignal.any([job.abort.signal, job.dispatching.signal]);
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.proxies.getResults(url, { execution_id: executionId, after_sequence: PAST_EVERY_EVENT, follow: false }, () => undefined, signal);
      // An aborted call resolves as if it ended: only the signal tells them apart.
      return !signal.aborted;
    } catch (error) {
      const unreachable = isAppError(error) && (error.code === 'UNAVAILABLE' || error.code === 'DEADLINE_EXCEEDED');
      if (!unreachable || attempt >= deps.attempts || signal.aborted) return false;
      await sleep(Math.min(deps.maxBackoffMs, deps.backoffMs * 2 ** attempt), signal);
    }
  }
}

/**
 * Reads the job row before a re-send. Not this instance's any more (another took it over, or it ended):
 * the job is let go, as the rollout runner does. Cancelled by a user (on any instance): it is cancelled
 * here at once, on every proxy, as the supervisor's tick would. True when the re-send may go out.
 */
export async function mayResend(deps: ProofDeps, jobId: number, job: RunningJob): Promise<boolean> {
  const row = await deps.repo.findJob(jobId);
  if (row?.state !== 'running' || row.leaseOwner !== deps.instanceId) {
    job.lost = true;
    job.abort.abort();
  } else if (row.cancelRequested && !job.cancelled) await cancelOnProxies(deps, jobId, job);
  return !job.cancelled && !job.lost && !job.timedOut && !job.abort.signal.aborted && !job.dispatching.signal.aborted;
}
