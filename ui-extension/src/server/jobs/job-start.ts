import type { Logger } from '../logger';
import type { JobInvocationEntity } from './job-invocation.entity';
import type { JobInvocationRepository } from './job-invocation.repository';
import type { NewJobHost } from './job-rows';
import type { RemoteActionEntity } from './remote-action.entity';
import type { JobWaiters } from './job-waiters';
import type { TrackedHost } from './result-writer';
import { rolloutDeadline } from './rollout-deadline';

export interface JobStartDeps {
  repo: Pick<JobInvocationRepository, 'updateJob'>;
  clock: () => Date;
  waiters: Pick<JobWaiters, 'notify'>;
  logger: Logger;
}

/**
 * Whether a queued job can be marked running while its host rows are still being read (the
 * dispatcher reads them at the same time, issue #20): its deadline does not depend on how its pending
 * hosts spread over its proxies. Without a concurrency cap or batches it is one timeout whatever the
 * spread (rollout-deadline.ts), and a rollout gets one per batch instead (rollout-runner.ts).
 */
export function startsBeforeHostsAreRead(entity: JobInvocationEntity): boolean {
  return entity.state === 'queued' && (entity.rolloutPolicy !== null || (entity.concurrencyLevel === null && entity.batchSize === null));
}

/** Pending hosts per proxy, for the deadline. */
export function pendingPerProxy(tracked: readonly TrackedHost[]): number[] {
  const perProxy = new Map<number | null, number>();
  for (const h of tracked) if (h.state === 'pending') perProxy.set(h.smartProxyId, (perProxy.get(h.smartProxyId) ?? 0) + 1);
  return [...perProxy.values()];
}

/** Queued -> running, with the deadline of these pending hosts per proxy (none for a rollout: it gets one per batch). */
export async function markStarted(deps: JobStartDeps, entity: JobInvocationEntity, hostsPerProxy: number[]): Promise<void> {
  const now = deps.clock();
  const deadlineAt = entity.rolloutPolicy ? null : rolloutDeadline(now, { hostsPerProxy, concurrencyLevel: entity.concurrencyLevel, batchSize: entity.batchSize, timeoutS: entity.timeoutS });
  await deps.repo.updateJob(entity.id, { state: 'running', startedAt: now, deadlineAt }, now, ['queued']);
  entity.deadlineAt = deadlineAt;
  deps.waiters.notify(entity.id);
  deps.logger.info({ jobId: entity.id, hosts: entity.totalHosts, deadlineAt }, 'job started');
}

/** A job this instance just wrote: its rows as read back, and its hosts in the order their rows were written. */
export interface JustCreated {
  job: JobInvocationEntity;
  action: RemoteActionEntity;
  hosts?: ReadonlyArray<Pick<NewJobHost, 'hostName' | 'smartProxyId' | 'state'>>;
}

/**
 * A job's hosts as the result writer tracks them. For a job just created here only the row ids are
 * read (the job's index alone, no row; issue #20: it stands between the POST and the first request):
 * a job's rows get ascending ids in the order they were written (one transaction's INSERTs, an
 * auto-increment key), so the i-th id is the i-th host written, not asked yet. Any other job, or
 * ids that do not match the hosts one for one, is read in full.
 */
export async function trackedHostsOf(repo: Pick<JobInvocationRepository, 'trackedHosts' | 'hostRowIds'>, jobId: number, written?: JustCreated['hosts']): Promise<TrackedHost[]> {
  if (!written) return repo.trackedHosts(jobId);
  const ids = await repo.hostRowIds(jobId);
  if (ids.length !== written.length) return repo.trackedHosts(jobId);
  return written.map((h, i) => ({ rowId: ids[i], hostName: h.hostName, smartProxyId: h.smartProxyId, state: h.state, asked: false }));
}
