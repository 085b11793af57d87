/**
 * Runs a job with a rollout policy (issue 17) batch by batch. Every step is a conditional write to the
 * job row, so that whichever instance holds the lease (this one after a restart, or another one after
 * a take-over) carries on where the last one stopped:
 *
 * - a batch is sent only by the instance whose update moves rollout_batch from k - 1 to k (claimBatch):
 *   two instances never send the same batch, and a batch is never sent twice;
 * - a batch still open after a restart is followed again (its proxies re-attach after their stored
 *   sequences), never sent again;
 * - once a batch is final, its gate is stored once (decideGate): the threshold (stop), the canary
 *   (paused, waiting for a resume) or the pause between batches (next_batch_at). A pause restarts
 *   after a crash between the end of a batch and its gate, but is never skipped;
 * - while the job waits at a gate it has no deadline (deadline_at is null): a paused job never times
 *   out; each batch gets its own deadline when it is sent (rollout-deadline.ts);
 * - the claim is not yet the send: each chunk of a batch is admitted right before its Execute
 *   (result-writer.ts admit), which stores its hosts running only while the job is not paused,
 *   cancelled or stopped and still ours. A pause stored before that leaves the chunk's hosts pending
 *   (the batch is held at its gate, without a deadline, and resumed from where it stopped); one stored
 *   after it finds them running. So a job never reads "paused, 0 running" while a batch is out.
 *   A crash between an admission and its Execute leaves hosts stored running that were never sent: a
 *   restart asks the proxy for the chunk past the one the row names (job-proxy-stream.ts), or for chunk 1
 *   when none is named. When the proxy has no such chunk (NOT_FOUND, while it still holds the named one,
 *   or none was named: chunk 1 is named before its Execute), they were never sent and go out now, as
 *   that chunk, without a second admission (restart-proof.ts: the job row is read first).
 *
 * Those job-row writes race the result writer's own job-row updates: on MariaDB one of them may lose a
 * deadlock or a lock wait. Each is retried in place (lock-retry.ts), which is safe because each is
 * idempotent (a deadline set or cleared) or conditional on the row (claimBatch, decideGate: a retry
 * that finds the row moved on returns false, and the row is read again). Without it the run would end
 * and the job wait for the supervisor's next claim, a hold or stop reason unwritten meanwhile.
 */
import { isDatabaseUnavailable } from '../errors';
import { retryLockConflicts, type LockRetryOptions } from '../lock-retry';
import type { Logger } from '../logger';
import { isFinalHostState } from './host-states';
import type { JobInvocationEntity } from './job-invocation.entity';
import type { JobInvocationRepository } from './job-invocation.repository';
import type { RunningJob } from './job-proxy-stream';
import type { ResultWriter, TrackedHost } from './result-writer';
import { rolloutDeadline } from './rollout-deadline';
import { assignBatches, batchSizes, failuresOf, maxFailures, parseStoredPolicy, thresholdReason } from './rollout-policy';

export interface RolloutRunDeps {
  repo: JobInvocationRepository;
  clock: () => Date;
  logger: Logger;
  instanceId: string;
  /** How often a waiting rollout re-reads its job row (a resume or cancel on another instance). */
  pollMs: number;
  /** Runs the proxy streams over the open hosts for which `eligible` holds, until they are final or held (`admit` said no). */
  runHosts(eligible: (host: TrackedHost) => boolean, admit: (hosts: TrackedHost[]) => Promise<boolean>): Promise<void>;
  /** The dispatcher is stopping, or the job was let go: return without writing. */
  halted(): boolean;
  /** How the job-row writes retry lock conflicts (tests); ROLLOUT_WRITE_RETRY otherwise. */
  lockRetry?: Partial<Pick<LockRetryOptions, 'attempts' | 'backoffMs' | 'sleep' | 'random'>>;
}

/**
 * A few short tries: a deadlock is settled in milliseconds (the other writer's transaction is one
 * statement batch), and all of them (about 0.2 s of waits) stay well inside the supervisor's tick.
 */
export const ROLLOUT_WRITE_RETRY = { attempts: 4, backoffMs: 25 } as const;

/**
 * Sends the job's batches in order until all are final, the threshold stops it, or it is cancelled,
 * timed out or let go. Hosts never sent are left pending for the caller only when it is halted.
 */
export async function runRollout(deps: RolloutRunDeps, entity: JobInvocationEntity, tracked: readonly TrackedHost[], writer: ResultWriter, job: RunningJob): Promise<void> {
  const policy = parseStoredPolicy(entity.rolloutPolicy)!;
  const jobId = entity.id;
  // Members: the hosts not skipped at creation, in row order; every instance computes the same batches.
  const members = tracked.filter((h) => h.state !== 'skipped');
  const sizes = batchSizes(policy, members.length);
  const batches = sizes.length;
  const batchOf = assignBatches(members.map((h) => h.rowId), sizes);
  const max = maxFailures(policy, members.length);
  const inBatch = (k: number) => members.filter((h) => batchOf.get(h.rowId) === k);
  const openIn = (k: number) => inBatch(k).filter((h) => !isFinalHostState(writer.host(h.rowId)?.state ?? 'pending'));
  const stateOf = (h: TrackedHost) => writer.host(h.rowId)?.state ?? 'pending';
  // Whether an admission said no since the batch's streams were last run: its hosts were held, not lost.
  let held = false;
  const admit = async (hosts: TrackedHost[]) => {
    const admitted = await writer.admit(hosts.map((h) => h.rowId), deps.instanceId);
    held ||= !admitted;
    return admitted;
  };
  const deadlineFor = (hosts: readonly TrackedHost[], now: Date) => {
    const perProxy = new Map<number | null, number>();
    for (const h of hosts) perProxy.set(h.smartProxyId, (perProxy.get(h.smartProxyId) ?? 0) + 1);
    return rolloutDeadline(now, { hostsPerProxy: [...perProxy.values()], concurrencyLevel: entity.concurrencyLevel, batchSize: entity.batchSize, timeoutS: entity.timeoutS });
  };

  /**
   * A job-row write of the run (`step` names it in the log), retried on lock conflicts. When it still
   * fails the run ends with the error: the dispatcher lets go of the job (after a database outage) or
   * logs it, and the supervisor's next claim resumes it from the row. Said here with the step, since a
   * rollout stalls until then.
   */
  const write = async <T>(step: string, batch: number, fn: () => Promise<T>): Promise<T> => {
    try {
      return await retryLockConflicts(fn, {
        ...ROLLOUT_WRITE_RETRY,
        ...deps.lockRetry,
        halted: deps.halted,
        onRetry: (error, attempt, waitMs) => deps.logger.warn({ err: error, jobId, batch, step, attempt, waitMs }, 'rollout write lost a lock conflict; retrying'),
      });
    } catch (error) {
      if (!deps.halted() && !isDatabaseUnavailable(error)) deps.logger.error({ err: error, jobId, batch, step }, 'rollout write failed; the job waits for the supervisor to resume it');
      throw error;
    }
  };

  // The row as last read; re-read only when something may have changed it (a wait, a refused claim).
  let row = await deps.repo.findJob(jobId);
  /** Waits at a gate, up to `ms` or until woken, then reads the row again. The wait has no deadline. */
  const hold = async (ms: number) => {
    if (row!.deadlineAt) {
      // Paused by a user while the batch before ran: the finished batch's deadline must not time out the wait.
      await write('clear deadline at gate', row!.rolloutBatch, () => deps.repo.updateJob(jobId, { deadlineAt: null }, deps.clock(), ['running']));
      entity.deadlineAt = null;
    }
    await waitAtGate(job, ms);
    row = await deps.repo.findJob(jobId);
  };
  const letGo = (batch: number) => {
    deps.logger.warn({ jobId, batch }, 'another instance holds the job; letting it go');
    job.lost = true;
    job.abort.abort();
  };
  for (;;) {
    if (deps.halted() || job.cancelled || !row) return;
    if (job.timedOut) {
      // The current batch passed its deadline: the batches after it are never sent.
      for (const h of writer.unfinished()) if (h.state === 'pending') writer.record({ rowId: h.rowId }, { state: 'cancelled', reason: "not sent: the job's deadline passed before its turn" });
      await writer.flush();
      return;
    }
    if (row.cancelRequested) {
      // Cancelled on another instance: its tick would tell this job shortly; no batch in between.
      job.cancelled = true;
      return;
    }
    const k = row.rolloutBatch;

    // The current batch is still out (or was, when this instance took over): follow it to its end.
    const out = k > 0 && openIn(k).some((h) => stateOf(h) === 'running');
    if (k > 0 && openIn(k).length > 0 && (out || !row.rolloutStopReason)) {
      if (!out && row.leaseOwner !== deps.instanceId) return letGo(k);
      if (!out && row.paused) {
        // Held before its Execute: nothing of it is out, its open hosts wait at the gate like a next batch.
        await hold(deps.pollMs);
        continue;
      }
      if (!out && !row.deadlineAt) {
        // Resumed after it was held: what is left of it gets a deadline of its own, as a batch does.
        const deadlineAt = await write('deadline of resumed batch', k, async () => {
          // Timed from the attempt that stores it: a lock wait before it must not eat into the batch's time.
          const at = deps.clock();
          const deadline = deadlineFor(openIn(k), at);
          await deps.repo.updateJob(jobId, { deadlineAt: deadline }, at, ['running']);
          return deadline;
        });
        row.deadlineAt = entity.deadlineAt = deadlineAt;
      }
      held = false;
      await deps.runHosts((h) => (batchOf.get(h.rowId) ?? 0) <= k, admit);
      if (deps.halted() || job.cancelled || job.timedOut) continue;
      if (held) {
        // Held by the admission: the row says why (a pause, a cancel, another owner); never spin on it.
        row = await deps.repo.findJob(jobId);
        // Not ours any more: let go at once, or this loop would run the batch again and again for nothing.
        if (row && row.leaseOwner !== deps.instanceId && ['queued', 'running'].includes(row.state)) return letGo(k);
        if (row && !row.paused && !row.cancelRequested && row.leaseOwner === deps.instanceId) await waitAtGate(job, deps.pollMs);
        continue;
      }
      // A host still open now will never get an answer (its proxy ended without it).
      for (const h of openIn(k)) writer.record({ rowId: h.rowId }, { state: 'no_response', reason: 'no result from the smart proxy' });
      // Not flushed here: the batch's writes overlap the next batch. A restart before they are stored
      // re-follows each proxy's last execution (and the one after it) and replays what is missing.
      continue;
    }
    if (row.rolloutStopReason) {
      job.stopped = row.rolloutStopReason;
      for (const h of writer.unfinished()) writer.record({ rowId: h.rowId }, { state: 'cancelled', reason: row.rolloutStopReason });
      await writer.flush();
      return;
    }
    if (k >= batches) return;

    if (k > 0 && k > row.rolloutBatchDone) {
      // Batch k is final: its gate. One that holds the next batch is stored once (decideGate); an open
      // one is stored by the claim of the next batch itself, which saves a write per batch.
      const now = deps.clock();
      const failures = failuresOf(writer.counts());
      const gate: Partial<JobInvocationEntity> = {};
      if (max !== null && failures >= max) gate.rolloutStopReason = thresholdReason(max, k, batches);
      else if (k === 1 && policy.canary) {
        const canary = inBatch(1);
        const failed = canary.filter((h) => writer.host(h.rowId)?.state !== 'succeeded').length;
        if (policy.canary.then === 'wait') Object.assign(gate, { paused: true, pauseReason: `canary of ${canary.length} hosts done; waiting for a resume` });
        else if (failed > 0) Object.assign(gate, { paused: true, pauseReason: `canary: ${failed} of ${canary.length} hosts did not succeed; waiting for a resume` });
      }
      if (!gate.rolloutStopReason && policy.pause_s) gate.nextBatchAt = new Date(now.getTime() + policy.pause_s * 1000);
      if (Object.keys(gate).length > 0) {
        if (await write('gate', k, () => deps.repo.decideGate(jobId, k, { ...gate, deadlineAt: null }, now))) {
          entity.deadlineAt = null;
          deps.logger.info({ jobId, batch: k, batches, failures, paused: gate.paused ?? false, stop: gate.rolloutStopReason }, 'rollout batch done');
        }
        row = await deps.repo.findJob(jobId);
        continue;
      }
    }

    // The gate before batch k + 1: a pause by a user or after the canary, then the pause between batches.
    const now = deps.clock();
    if (row.paused || (row.nextBatchAt && row.nextBatchAt.getTime() > now.getTime())) {
      await hold(row.paused ? deps.pollMs : Math.min(deps.pollMs, row.nextBatchAt!.getTime() - now.getTime()));
      continue;
    }

    const next = inBatch(k + 1);
    const done = Math.max(k, row.rolloutBatchDone);
    const deadlineAt = await write('claim batch', k + 1, async () => {
      // Timed from the attempt that sends it, as above; null when the claim was refused.
      const at = deps.clock();
      const deadline = deadlineFor(next, at);
      return (await deps.repo.claimBatch(jobId, k + 1, deps.instanceId, { deadlineAt: deadline, nextBatchAt: null, rolloutBatchDone: done }, at)) ? deadline : null;
    });
    if (!deadlineAt) {
      // Paused or cancelled in between (the next turn sees it), or another instance holds the job now.
      row = await deps.repo.findJob(jobId);
      if (row && row.leaseOwner !== deps.instanceId) return letGo(k + 1);
      continue;
    }
    Object.assign(row, { rolloutBatch: k + 1, rolloutBatchDone: done, nextBatchAt: null, deadlineAt });
    entity.deadlineAt = deadlineAt;
    deps.logger.info({ jobId, batch: k + 1, batches, hosts: next.length, deadlineAt }, 'rollout batch sent');
  }
}

/** Waits up to `ms`, or until a resume here wakes it, or a cancel or shutdown stops dispatching. */
function waitAtGate(job: RunningJob, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const signal = AbortSignal.any([job.abort.signal, job.dispatching.signal]);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      job.wake = undefined;
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    if (signal.aborted) return done();
    signal.addEventListener('abort', done, { once: true });
    job.wake = done;
  });
}
