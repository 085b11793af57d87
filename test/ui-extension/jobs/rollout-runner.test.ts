import type { HostState, RolloutPolicy } from '@common/jobs';
import { emptyCounts } from '@server/jobs/host-states';
import type { JobInvocationEntity } from '@server/jobs/job-invocation.entity';
import type { JobInvocationRepository } from '@server/jobs/job-invocation.repository';
import type { RunningJob } from '@server/jobs/job-proxy-stream';
import type { ResultWriter, TrackedHost } from '@server/jobs/result-writer';
import { runRollout, ROLLOUT_WRITE_RETRY } from '@server/jobs/rollout-runner';
import type { Logger } from '@server/logger';

/*
 * The rollout runner's job-row writes under lock conflicts (MariaDB deadlocks and lock wait timeouts
 * against the result writer's job-row updates): each is retried in place a bounded number of times,
 * so a conflict lost once does not end the run (which would stall the rollout until the supervisor's
 * next claim). The job row lives in a fake repository with the real statements' conditions; the hosts'
 * answers come from a fake runHosts. No real timers: the waits between attempts are recorded.
 */
const JOB = 41;
const OWNER = 'inst-a';
const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 1, 0, s));
const lockError = (code: 'ER_LOCK_DEADLOCK' | 'ER_LOCK_WAIT_TIMEOUT') =>
  Object.assign(new Error(code === 'ER_LOCK_DEADLOCK' ? 'Deadlock found when trying to get lock; try restarting transaction' : 'Lock wait timeout exceeded; try restarting transaction'), { code, errno: code === 'ER_LOCK_DEADLOCK' ? 1213 : 1205 });

type Step = 'updateJob' | 'claimBatch' | 'decideGate';

interface Setup {
  policy: RolloutPolicy;
  hosts: number;
  /** Hosts (by 1-based row id) whose run fails. */
  failing?: number[];
  /** Per write, what its attempts throw, in order (undefined: the statement runs). */
  faults?: Partial<Record<Step, Array<Error | undefined>>>;
  row?: Partial<JobInvocationEntity>;
  /** Hosts (by row id) that succeeded in a batch before this run. */
  succeeded?: number[];
  /** Told after each statement that ran, with how many attempts that write has seen. */
  afterWrite?: (step: Step, calls: Record<Step, number>, row: JobInvocationEntity) => void;
  halted?: (calls: Record<Step, number>) => boolean;
}

function setup(s: Setup) {
  const row = {
    id: JOB, state: 'running', rolloutPolicy: JSON.stringify(s.policy), rolloutBatch: 0, rolloutBatchDone: 0, paused: false, pauseReason: null, nextBatchAt: null,
    rolloutStopReason: null, cancelRequested: false, leaseOwner: OWNER, deadlineAt: null, concurrencyLevel: null, batchSize: null, timeoutS: 60, ...s.row,
  } as JobInvocationEntity;
  const calls: Record<Step, number> = { updateJob: 0, claimBatch: 0, decideGate: 0 };
  const fault = (step: Step) => {
    const e = s.faults?.[step]?.[calls[step]];
    calls[step] += 1;
    if (e) throw e;
  };
  const claims: number[] = [];
  const repo = {
    findJob: async () => ({ ...row }),
    async updateJob(_id: number, fields: Partial<JobInvocationEntity>, _now: Date, whenState?: string[]) {
      fault('updateJob');
      if (whenState && !whenState.includes(row.state)) return false;
      Object.assign(row, fields);
      s.afterWrite?.('updateJob', calls, row);
      return true;
    },
    // The conditions of job-runs.repository.ts.
    async claimBatch(_id: number, batch: number, owner: string, fields: Partial<JobInvocationEntity>) {
      fault('claimBatch');
      if (row.state !== 'running' || row.rolloutBatch !== batch - 1 || row.leaseOwner !== owner || row.paused || row.cancelRequested) return false;
      Object.assign(row, fields, { rolloutBatch: batch });
      claims.push(batch);
      return true;
    },
    async decideGate(_id: number, batch: number, fields: Partial<JobInvocationEntity>) {
      fault('decideGate');
      if (row.rolloutBatchDone >= batch) return false;
      Object.assign(row, fields, { rolloutBatchDone: batch });
      return true;
    },
  } as unknown as JobInvocationRepository;

  const tracked: TrackedHost[] = Array.from({ length: s.hosts }, (_, i) => ({ rowId: i + 1, hostName: `h${i + 1}`, smartProxyId: 1, state: s.succeeded?.includes(i + 1) ? 'succeeded' : 'pending', asked: false }));
  const reasons = new Map<number, string | null>();
  const counts = emptyCounts();
  for (const h of tracked) counts[h.state] += 1;
  const writer = {
    host: (rowId: number) => tracked[rowId - 1],
    counts: () => ({ ...counts }),
    unfinished: () => tracked.filter((h) => h.state === 'pending' || h.state === 'running'),
    record(target: { rowId: number }, outcome: { state: HostState; reason?: string }) {
      const h = tracked[target.rowId - 1];
      if (h.state !== 'pending' && h.state !== 'running') return false;
      counts[h.state] -= 1;
      counts[outcome.state] += 1;
      h.state = outcome.state;
      reasons.set(h.rowId, outcome.reason ?? null);
      return true;
    },
    flush: async () => undefined,
    admit: async (rowIds: number[]) => {
      for (const id of rowIds) {
        counts.pending -= 1;
        counts.running += 1;
        tracked[id - 1].state = 'running';
      }
      return true;
    },
  } as unknown as ResultWriter;
  const sentInRun: number[][] = [];
  const runHosts = async (eligible: (h: TrackedHost) => boolean, admit: (hosts: TrackedHost[]) => Promise<boolean>) => {
    const hosts = tracked.filter((h) => h.state === 'pending' && eligible(h));
    if (!(await admit(hosts))) return;
    sentInRun.push(hosts.map((h) => h.rowId));
    for (const h of hosts) writer.record({ rowId: h.rowId }, { state: s.failing?.includes(h.rowId) ? 'failed' : 'succeeded' });
  };
  const job: RunningJob = { abort: new AbortController(), dispatching: new AbortController(), live: new Map(), cancelled: false, timedOut: false, lost: false, late: [], done: Promise.resolve(), writer };
  const warned: Array<Record<string, unknown>> = [];
  const errors: Array<Record<string, unknown>> = [];
  const logger = { info: () => undefined, debug: () => undefined, warn: (o: Record<string, unknown>) => warned.push(o), error: (o: Record<string, unknown>) => errors.push(o) } as unknown as Logger;
  const waits: number[] = [];
  const run = () => runRollout(
    {
      repo, clock: () => at(0), logger, instanceId: OWNER, pollMs: 1000, runHosts, halted: () => s.halted?.(calls) ?? false,
      lockRetry: { sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
    },
    row, tracked, writer, job,
  );
  return { row, calls, claims, sentInRun, reasons, job, warned, errors, waits, run, tracked };
}

describe(runRollout.name, () => {
  it('sends every batch in the same run when a claim loses a deadlock once', async () => {
    const t = setup({ policy: { batch_size: 2 }, hosts: 6, faults: { claimBatch: [undefined, lockError('ER_LOCK_DEADLOCK')] } });
    await t.run();
    expect(t.claims).toEqual([1, 2, 3]);
    expect(t.calls.claimBatch).toBe(4);
    expect(t.sentInRun).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(t.tracked.every((h) => h.state === 'succeeded')).toBe(true);
    expect(t.waits).toEqual([Math.round(ROLLOUT_WRITE_RETRY.backoffMs * 0.75)]);
    expect(t.warned).toEqual([expect.objectContaining({ jobId: JOB, batch: 2, step: 'claim batch', attempt: 1 })]);
    expect(t.errors).toEqual([]);
  });

  it('stores the stop reason and cancels the rest when the gate loses a lock wait once', async () => {
    const t = setup({ policy: { batch_size: 2, max_failures: 1 }, hosts: 6, failing: [2], faults: { decideGate: [lockError('ER_LOCK_WAIT_TIMEOUT')] } });
    await t.run();
    const reason = 'not sent: failure threshold 1 reached in batch 1 of 3';
    expect(t.calls.decideGate).toBe(2);
    expect(t.row).toMatchObject({ rolloutStopReason: reason, rolloutBatch: 1, rolloutBatchDone: 1 });
    expect(t.job.stopped).toBe(reason);
    expect(t.sentInRun).toEqual([[1, 2]]);
    expect([3, 4, 5, 6].map((id) => [t.tracked[id - 1].state, t.reasons.get(id)])).toEqual(Array(4).fill(['cancelled', reason]));
    expect(t.errors).toEqual([]);
  });

  it('clears the deadline of a paused job and goes on when that write loses a deadlock once', async () => {
    // Batch 1 done, and paused by a user while it ran (its deadline still set); a resume lands during the wait.
    const t = setup({
      policy: { batch_size: 2 }, hosts: 4, succeeded: [1, 2], row: { rolloutBatch: 1, rolloutBatchDone: 1, paused: true, deadlineAt: at(30) },
      faults: { updateJob: [lockError('ER_LOCK_DEADLOCK')] },
      afterWrite: (step, _calls, row) => step === 'updateJob' && Object.assign(row, { paused: false }),
    });
    // The wait at the gate returns at once, as a resume on this instance (job.wake) makes it.
    t.job.dispatching.abort();
    await t.run();
    expect(t.calls.updateJob).toBe(2);
    expect(t.row.deadlineAt).not.toEqual(at(30));
    expect(t.claims).toEqual([2]);
    expect(t.sentInRun).toEqual([[3, 4]]);
    expect(t.warned).toEqual([expect.objectContaining({ jobId: JOB, batch: 1, step: 'clear deadline at gate' })]);
  });

  it('gives up after a bounded number of attempts with growing waits, and says so with the job id', async () => {
    const t = setup({ policy: { batch_size: 2 }, hosts: 4, faults: { claimBatch: Array(10).fill(lockError('ER_LOCK_DEADLOCK')) } });
    await expect(t.run()).rejects.toMatchObject({ code: 'ER_LOCK_DEADLOCK' });
    expect(t.calls.claimBatch).toBe(ROLLOUT_WRITE_RETRY.attempts);
    expect(t.waits).toEqual([19, 38, 75]);
    expect(t.warned.map((w) => w.attempt)).toEqual([1, 2, 3]);
    expect(t.errors).toEqual([expect.objectContaining({ jobId: JOB, batch: 1, step: 'claim batch' })]);
    expect(t.sentInRun).toEqual([]);
  });

  it('does not retry an error that is not a lock conflict, and says so with the job id', async () => {
    const t = setup({ policy: { batch_size: 2 }, hosts: 4, faults: { claimBatch: [Object.assign(new Error('Unknown column'), { code: 'ER_BAD_FIELD_ERROR' })] } });
    await expect(t.run()).rejects.toThrow('Unknown column');
    expect(t.calls.claimBatch).toBe(1);
    expect(t.waits).toEqual([]);
    expect(t.errors).toEqual([expect.objectContaining({ jobId: JOB, step: 'claim batch' })]);
  });

  it('stops retrying, without an error line, once the run is halted', async () => {
    // Halted (a shutdown, or the job let go) as soon as the first attempt failed.
    const t = setup({ policy: { batch_size: 2 }, hosts: 4, halted: (calls) => calls.claimBatch >= 1, faults: { claimBatch: Array(10).fill(lockError('ER_LOCK_DEADLOCK')) } });
    await expect(t.run()).rejects.toMatchObject({ code: 'ER_LOCK_DEADLOCK' });
    expect(t.calls.claimBatch).toBe(1);
    expect(t.errors).toEqual([]);
  });
});
