import type { HostCounts, JobStatus } from '@common/jobs';
import { hostSections } from '../../../../ui-extension/src/cli/commands/jobs';

const counts = (c: Partial<HostCounts>): HostCounts => ({ pending: 0, running: 0, succeeded: 0, failed: 0, no_response: 0, skipped: 0, cancelled: 0, ...c });
const jobWith = (c: Partial<HostCounts>, names: Partial<Pick<JobStatus, 'succeeded_hosts' | 'failed_hosts' | 'cancelled_hosts'>>): JobStatus => {
  const all = counts(c);
  return { counts: all, total_hosts: Object.values(all).reduce((a, b) => a + b, 0), succeeded_hosts: [], failed_hosts: [], cancelled_hosts: [], ...names } as unknown as JobStatus;
};
const line = '-'.repeat(40);

describe(hostSections.name, () => {
  it('keeps cancelled hosts out of FAILED (a rollout stopped after its first batch: 7 failed, 50 never asked)', () => {
    const job = jobWith({ succeeded: 3, failed: 7, cancelled: 50 }, { succeeded_hosts: ['a', 'b', 'c'], failed_hosts: ['f1', 'f2'], cancelled_hosts: ['x1'] });
    expect(hostSections(job)).toEqual([`\nSUCCEEDED (3/60)\n${line}`, 'a', 'b', 'c', `\nFAILED (7/60)\n${line}`, 'f1', 'f2', `\nCANCELLED (50/60)\n${line}`, 'x1']);
  });

  it('names skipped and silent hosts under FAILED, saying how many of each, so every host is in a section', () => {
    const job = jobWith({ succeeded: 10, no_response: 1, skipped: 1 }, { succeeded_hosts: ['s'], failed_hosts: ['lab-01', 'quiet-01'] });
    expect(hostSections(job)).toEqual([`\nSUCCEEDED (10/12)\n${line}`, 's', `\nFAILED (2/12: 1 no response, 1 skipped)\n${line}`, 'lab-01', 'quiet-01']);
    // A job failed only by a skipped host lists it.
    expect(hostSections(jobWith({ skipped: 1 }, { failed_hosts: ['lab-01'] }))).toEqual([`\nFAILED (1/1: 1 skipped)\n${line}`, 'lab-01']);
  });

  it('counts the hosts still waiting', () => {
    expect(hostSections(jobWith({ pending: 2, running: 3 }, {}))).toEqual(['\nIN PROGRESS (5/5): 3 running, 2 pending']);
  });
});
