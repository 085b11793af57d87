/**
 * The one definition of a job's deadline. The dispatcher computes it once when the job starts and
 * sends it to every proxy in ExecuteRequest.deadline_unix_ms; the proxy sends no batch after it and
 * waits for replies no longer than it, so both sides stop at the same instant. It covers the whole
 * rollout: every concurrency chunk of the largest proxy, every batch of each chunk at its full
 * timeout, and the sleeps between batches.
 *
 * A job with a rollout policy (rollout-runner.ts) gets one deadline per batch instead, computed here
 * over that batch's hosts when the batch is claimed; while it waits between batches (a pause, a canary
 * waiting for a resume) it has none, so a paused job never times out.
 */

export interface RolloutPlan {
  /** Hosts to run on each proxy of the job. */
  hostsPerProxy: readonly number[];
  /** Hosts in flight at once per proxy (a chunk is one execution); null means one chunk. */
  concurrencyLevel: number | null;
  /** Hosts per broker batch within a chunk; null means all at once. */
  batchSize: number | null;
  /** Sleep between two batches of a chunk. */
  batchSleepMs?: number;
  /** Seconds each batch waits for replies. */
  timeoutS: number;
}

/** Batches of at most `batchSize` hosts over `hosts` hosts split into chunks of `concurrency`. */
function batchesOf(hosts: number, concurrency: number | null, batchSize: number | null): { batches: number; chunks: number } {
  if (hosts <= 0) return { batches: 0, chunks: 0 };
  const chunkSize = concurrency && concurrency > 0 ? Math.min(concurrency, hosts) : hosts;
  const perChunk = (size: number) => (batchSize && batchSize > 0 ? Math.ceil(size / batchSize) : 1);
  const fullChunks = Math.floor(hosts / chunkSize);
  const rest = hosts - fullChunks * chunkSize;
  return { batches: fullChunks * perChunk(chunkSize) + (rest > 0 ? perChunk(rest) : 0), chunks: fullChunks + (rest > 0 ? 1 : 0) };
}

/** Milliseconds the rollout takes when every batch waits its whole timeout: the slowest proxy's. */
export function rolloutBudgetMs(plan: RolloutPlan): number {
  let longest = 0;
  for (const hosts of plan.hostsPerProxy) {
    const { batches, chunks } = batchesOf(hosts, plan.concurrencyLevel, plan.batchSize);
    // Sleeps fall between the batches of one chunk, not between chunks.
    const sleeps = Math.max(0, batches - chunks) * (plan.batchSleepMs ?? 0);
    longest = Math.max(longest, batches * plan.timeoutS * 1000 + sleeps);
  }
  return longest;
}

/**
 * At least this much spare: a proxy that just restarted is reached only once the gRPC channel's
 * reconnect backoff (capped at 5 s) lets the dispatcher's re-sends through (its re-attach window is
 * 7.75 s); a short timeout alone would leave such a chunk no time to run.
 */
export const MIN_SPARE_MS = 10_000;

/**
 * The rollout's deadline: its budget plus one spare timeout (at least MIN_SPARE_MS), which absorbs
 * reaching the proxy, publishing, a broker reconnect between batches and the event loop, so that a
 * rollout on schedule is never cut short.
 */
export function rolloutDeadline(startedAt: Date, plan: RolloutPlan): Date {
  return new Date(startedAt.getTime() + rolloutBudgetMs(plan) + Math.max(plan.timeoutS * 1000, MIN_SPARE_MS));
}
