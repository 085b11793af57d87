/**
 * A job's rollout policy (issue 17): its hosts go out in batches, in order, with an optional canary
 * first, a pause between batches and a failure threshold. The policy is stored with the job (and a
 * schedule) as JSON; the batch position, the pause and the gate live in columns of the job row
 * (job-invocation.entity.ts), so that a restarted instance, or another one, carries on at the right
 * batch. Batches are a function of the policy and of the job's hosts in row order: every instance
 * computes the same ones.
 */
import { FINAL_JOB_STATES, type HostCounts, type RolloutPolicy, type RolloutProgress } from '@common/jobs';
import type { JobInvocationEntity } from './job-invocation.entity';

/** A count, or a percentage of the job's hosts written "10%". */
export type CountOrPercent = number | `${number}%`;

/** The stored policy; `null` fields are unset. */
export function parseStoredPolicy(json: string | null): RolloutPolicy | null {
  if (!json) return null;
  return JSON.parse(json) as RolloutPolicy;
}

/** Hosts a count-or-percent names out of `total` (a percentage rounds up, and is at least 1). */
export function resolveCount(value: CountOrPercent, total: number): number {
  if (typeof value === 'number') return value;
  const percent = Number(value.slice(0, -1));
  return Math.max(1, Math.ceil((percent * total) / 100));
}

/** Sizes of the batches in order: the canary first (when set), then batches of batch_size (all the rest when unset). */
export function batchSizes(policy: RolloutPolicy, members: number): number[] {
  const sizes: number[] = [];
  let left = members;
  if (policy.canary && left > 0) {
    const n = Math.min(left, policy.canary.hosts);
    sizes.push(n);
    left -= n;
  }
  const size = policy.batch_size === undefined || policy.batch_size === null ? left : resolveCount(policy.batch_size, members);
  while (left > 0) {
    const n = Math.min(left, Math.max(1, size));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/** The failure threshold in hosts (failed or no_response); null when the policy sets none. */
export function maxFailures(policy: RolloutPolicy, members: number): number | null {
  if (policy.max_failures === undefined || policy.max_failures === null) return null;
  return resolveCount(policy.max_failures, members);
}

/** Hosts that count against the threshold: failed, or not responding. */
export const failuresOf = (counts: HostCounts) => counts.failed + counts.no_response;

/** The reason a host never sent ends with once the threshold is crossed. */
export function thresholdReason(max: number, batch: number, batches: number): string {
  return `not sent: failure threshold ${max} reached in batch ${batch} of ${batches}`;
}

/**
 * Maps each member host (row id) to its batch, 1-based. Members are the job's hosts that were not
 * skipped at creation, in row-id order.
 */
export function assignBatches(memberRowIds: readonly number[], sizes: readonly number[]): Map<number, number> {
  const batchOf = new Map<number, number>();
  let i = 0;
  sizes.forEach((size, b) => {
    for (let k = 0; k < size && i < memberRowIds.length; k++, i++) batchOf.set(memberRowIds[i], b + 1);
  });
  return batchOf;
}

/** What the job API shows of a rollout. */
export function rolloutProgress(policy: RolloutPolicy, state: {
  members: number;
  counts: HostCounts;
  batch: number;
  paused: boolean;
  pauseReason: string | null;
  nextBatchAt: Date | null;
  stopReason: string | null;
}): RolloutProgress {
  const sizes = batchSizes(policy, state.members);
  const max = maxFailures(policy, state.members);
  return {
    batch: state.batch,
    batches: sizes.length,
    batch_hosts: state.batch > 0 ? sizes[state.batch - 1] ?? 0 : 0,
    paused: state.paused,
    pause_reason: state.pauseReason,
    // A paused job starts no batch at any time until resumed: no time to show.
    next_batch_at: state.nextBatchAt && !state.paused ? state.nextBatchAt.toISOString() : null,
    failures: failuresOf(state.counts),
    max_failures: max,
    stopped_reason: state.stopReason,
  };
}

/** The job's rollout progress for the API; null without a policy. Members: hosts not skipped at creation. */
export function progressOfRollout(job: JobInvocationEntity, counts: HostCounts): RolloutProgress | null {
  const policy = parseStoredPolicy(job.rolloutPolicy);
  if (!policy) return null;
  return rolloutProgress(policy, {
    members: job.totalHosts - job.countSkipped,
    counts,
    batch: job.rolloutBatch,
    // A job that ended waits for nothing: a rollout cancelled while paused after its canary is not "waiting for a resume".
    paused: job.paused && !FINAL_JOB_STATES.includes(job.state),
    pauseReason: FINAL_JOB_STATES.includes(job.state) ? null : job.pauseReason,
    nextBatchAt: job.nextBatchAt,
    stopReason: job.rolloutStopReason,
  });
}
