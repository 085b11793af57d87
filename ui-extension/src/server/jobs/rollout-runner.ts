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
 *   restart asks the proxy for the chunk past the one the row names (job-proxy-stream.ts). Past a named
 *   chunk, NOT_FOUND settles them with it ("not sent" when the proxy reports its sends); with none named
 *   yet it asks for chunk 1, and NOT_FOUND records them "not sent" (cancelled), never no_response.
 */
import type { HostState } from '@common/jobs';
import type { Logger } from '../logger';
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
}

const isOpen = (state: HostState) => state === 'pending' || state === 'running';

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
  const openIn = (k: number) => inBatch(k).filter((h) => isOpen(writer.host(h.rowId)?.state ?? 'pending'));
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

  // The row as last read; re-read only when something may have changed it (a wait, a refused claim).
  let row = await deps.repo.findJob(jobId);
  /** Waits at a gate, up to `ms` or until woken, then reads the row again. The wait has no deadline. */
  const hold = async (ms: number) => {
    if (row!.deadlineAt) {
      // Paused by a user while the batch before ran: the finished batch's deadline must not time out the wait.
      await deps.repo.updateJob(jobId, { deadlineAt: null }, deps.clock(), ['running']);
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
        const deadlineAt = deadlineFor(openIn(k), deps.clock());
        await deps.repo.updateJob(jobId, { deadlineAt }, deps.clock(), ['running']);
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
        if (await deps.repo.decideGate(jobId, k, { ...gate, deadlineAt: null }, now)) {
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
    const deadlineAt = deadlineFor(next, now);
    const done = Math.max(k, row.rolloutBatchDone);
    if (!(await deps.repo.claimBatch(jobId, k + 1, deps.instanceId, { deadlineAt, nextBatchAt: null, rolloutBatchDone: done }, now))) {
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
