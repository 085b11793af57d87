import type { JobStatus, RolloutProgress } from '@common/jobs';
import { jobExitCode, ProgressBar, rolloutLine, summaryLine } from '../../../ui-extension/src/cli/job-wait';

const job = (state: JobStatus['state'], counts: Partial<JobStatus['counts']>, total: number): JobStatus =>
  ({ state, total_hosts: total, counts: { pending: 0, running: 0, succeeded: 0, failed: 0, no_response: 0, skipped: 0, cancelled: 0, ...counts } }) as JobStatus;

describe(summaryLine.name, () => {
  it('says how many succeeded and failed when only failures happened', () => {
    expect(summaryLine(job('failed', { succeeded: 81, failed: 3 }, 84))).toBe('Job finished. 81/84 hosts succeeded, 3 failed.');
  });

  it('breaks the failures down when hosts also did not respond or were skipped', () => {
    expect(summaryLine(job('failed', { succeeded: 170, failed: 2, no_response: 8, skipped: 20 }, 200))).toBe('Job finished. 170/200 hosts succeeded, 30 failed (2 failed, 8 no response, 20 skipped).');
  });

  it('says cancelled when the job was cancelled', () => {
    expect(summaryLine(job('cancelled', { succeeded: 1, cancelled: 3 }, 4))).toBe('Job cancelled. 1/4 hosts succeeded, 3 failed (3 cancelled).');
  });
});

describe(jobExitCode.name, () => {
  it('is 0 only when the job succeeded', () => {
    expect(jobExitCode(job('succeeded', { succeeded: 2 }, 2))).toBe(0);
    expect(jobExitCode(job('failed', { succeeded: 1, no_response: 1 }, 2))).toBe(1);
    expect(jobExitCode(job('cancelled', {}, 2))).toBe(1);
  });
});

describe(ProgressBar.name, () => {
  it('redraws in place and lifts itself around printed lines', () => {
    let written = '';
    const bar = new ProgressBar({ write: (s: string) => ((written += s), true), columns: 60 } as never);
    bar.update(50, 200, 'running');
    expect(written).toBe('\r\x1b[K[#####---------------]  25% 50/200 hosts running');
    written = '';
    bar.around(() => (written += 'Finished on web-01: succeeded\n'));
    expect(written).toBe('\r\x1b[KFinished on web-01: succeeded\n[#####---------------]  25% 50/200 hosts running');
    written = '';
    bar.finish();
    expect(written).toBe('\r\x1b[K');
  });
});

describe(rolloutLine.name, () => {
  const progress: RolloutProgress = { batch: 1, batches: 11, batch_hosts: 5, paused: false, pause_reason: null, next_batch_at: null, failures: 0, max_failures: 3, stopped_reason: null };
  const rolled = (p: Partial<RolloutProgress> | null) => ({ id: 42, rollout_progress: p === null ? null : { ...progress, ...p } }) as unknown as JobStatus;

  it('names the batch and the threshold when a batch is out', () => {
    expect(rolloutLine(rolled({}))).toBe('batch 1 of 11 (5 hosts), stops at 3 failures (0 so far)');
  });

  it('says how to resume when the job is paused', () => {
    expect(rolloutLine(rolled({ paused: true, pause_reason: 'canary of 5 hosts done; waiting for a resume' }))).toBe('paused after batch 1 of 11: canary of 5 hosts done; waiting for a resume, stops at 3 failures (0 so far); resume with rex job resume 42');
  });

  it('names the reason when the threshold stopped the rollout', () => {
    expect(rolloutLine(rolled({ batch: 2, failures: 3, stopped_reason: 'not sent: failure threshold 3 reached in batch 2 of 11' }))).toBe('stopped after batch 2 of 11: not sent: failure threshold 3 reached in batch 2 of 11');
  });

  it('is empty when the job has no rollout policy', () => {
    expect(rolloutLine(rolled(null))).toBe('');
  });
});
