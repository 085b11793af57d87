import { FINAL_HOST_STATES, HOST_STATES, type HostCounts, type HostState, type JobState } from '@common/jobs';

export function emptyCounts(): HostCounts {
  return Object.fromEntries(HOST_STATES.map((s) => [s, 0])) as HostCounts;
}

const FINAL = new Set<HostState>(FINAL_HOST_STATES);

export function isFinalHostState(state: HostState): boolean {
  return FINAL.has(state);
}

/**
 * Whether a host may move from one state to another. Final states never change: a late or replayed
 * result for a host that already ended is dropped, which is what keeps every host in exactly one
 * final state.
 */
export function canTransition(from: HostState, to: HostState): boolean {
  if (isFinalHostState(from)) return false;
  if (from === to) return false;
  if (to === 'pending') return false;
  return from === 'pending' || (from === 'running' && to !== 'running');
}

/** Counts after moving `changes` hosts; throws when a count would go negative (a bookkeeping bug). */
export function applyTransitions(counts: HostCounts, changes: Array<{ from: HostState; to: HostState }>): HostCounts {
  const next = { ...counts };
  for (const { from, to } of changes) {
    next[from] -= 1;
    next[to] += 1;
    if (next[from] < 0) throw new Error(`host count for ${from} went negative`);
  }
  return next;
}

/** Moves `n` hosts between two counts in place; throws when a count would go negative (a bookkeeping bug). */
export function moveCounts(counts: HostCounts, from: HostState, to: HostState, n: number): void {
  if (counts[from] < n) throw new Error(`host count for ${from} went negative`);
  counts[from] -= n;
  counts[to] += n;
}

export function totalOf(counts: HostCounts): number {
  return HOST_STATES.reduce((sum, s) => sum + counts[s], 0);
}

/**
 * Percentage of hosts in a final state. A job without hosts is done (100) only when it ended: a
 * scheduled job has none until it is launched, and read 100% before anything ran.
 */
export function progressOf(counts: HostCounts, jobEnded: boolean): number {
  const total = totalOf(counts);
  if (total === 0) return jobEnded ? 100 : 0;
  const done = FINAL_HOST_STATES.reduce((sum, s) => sum + counts[s], 0);
  return Math.floor((done * 100) / total);
}

/**
 * The job's final state once no host is pending or running: succeeded only when every host that was
 * not skipped succeeded (Foreman counts a skipped host as not run, so any skip fails the job, too).
 * A cancel that stopped anything makes it cancelled: hosts never sent end cancelled, and hosts
 * asked before the cancel and silent since end no_response (they may have run).
 */
export function finalJobState(counts: HostCounts, cancelRequested: boolean): JobState | null {
  if (counts.pending > 0 || counts.running > 0) return null;
  if (cancelRequested && (counts.cancelled > 0 || counts.no_response > 0)) return 'cancelled';
  const total = totalOf(counts);
  return counts.succeeded === total ? 'succeeded' : 'failed';
}
