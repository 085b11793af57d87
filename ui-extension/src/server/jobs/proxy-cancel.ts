import type { Logger } from '../logger';
import type { JobProxyClient } from './job-dispatcher';
import type { RunningJob } from './job-proxy-stream';

/** After a cancel the proxy answered, how long its stream may take to deliver the final events. */
const CANCEL_DRAIN_MS = 5000;

export interface ProxyCancelDeps {
  proxies: Pick<JobProxyClient, 'cancel'>;
  logger: Logger;
}

/**
 * The job's deadline and its grace have passed: nothing new is handed out, and every execution
 * still in flight is cancelled on its proxy, which then reports each host by what happened
 * (asked or never sent). A proxy that does not answer the cancel (stopped, unreachable) is given
 * up: its open hosts are recorded from what it reported so far, and its results are followed as
 * late results once the job has ended.
 */
export async function cancelAtDeadline(deps: ProxyCancelDeps, jobId: number, job: RunningJob): Promise<void> {
  const { logger } = deps;
  if (job.timedOut) return;
  job.timedOut = true;
  job.dispatching.abort();
  logger.warn({ jobId, proxies: job.live.size }, 'job past its deadline; cancelling what its proxies still run');
  await Promise.all([...job.live.values()].map(async (live) => {
    try {
      const outcome = await deps.proxies.cancel(live.url, live.executionId);
      if (!outcome.found) {
        live.detail = `smart proxy ${live.proxyName} no longer knew the execution`;
        live.abort.abort();
        return;
      }
      live.detail = `cancelled on smart proxy ${live.proxyName} at the deadline`;
      // Its final events follow on the stream at once; never wait for them longer than this.
      setTimeout(() => live.abort.abort(), CANCEL_DRAIN_MS).unref();
    } catch (error) {
      live.detail = `smart proxy ${live.proxyName} did not answer the cancel: ${error instanceof Error ? error.message : String(error)}`;
      logger.warn({ jobId, proxy: live.proxyName, executionId: live.executionId, err: error }, 'cancel at the deadline failed; the execution is given up');
      live.abort.abort();
    }
  }));
}

/** A user cancelled the job: nothing new is handed out, and every execution in flight is cancelled on its proxy. */
export async function cancelOnProxies(deps: ProxyCancelDeps, jobId: number, job: RunningJob): Promise<void> {
  job.cancelled = true;
  job.dispatching.abort();
  await Promise.all([...job.live.values()].map((live) => deps.proxies.cancel(live.url, live.executionId).then(
    (outcome) => {
      // A proxy that does not know the execution will never end its stream: stop waiting for it.
      if (!outcome.found) live.abort.abort();
    },
    (error: unknown) => {
      deps.logger.warn({ jobId, executionId: live.executionId, err: error }, 'cancel on the smart proxy failed; the stream is aborted instead');
      live.abort.abort();
    },
  )));
}
