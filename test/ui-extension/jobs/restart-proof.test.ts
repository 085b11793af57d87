import { AppError } from '@server/errors';
import { silentLogger } from '@server/logger';
import type { JobProxyClient } from '@server/jobs/job-dispatcher';
import type { JobInvocationEntity } from '@server/jobs/job-invocation.entity';
import { mayResend, proxyHolds, type ProofDeps } from '@server/jobs/restart-proof';
import type { RunningJob } from '@server/jobs/running-job';

/** What a restarted stream may conclude before a re-send (restart-proof.ts), against a scripted proxy and job row. */
function setup(answers: Array<'ok' | 'NOT_FOUND' | 'UNAVAILABLE' | 'PERMISSION_DENIED'>, row: Partial<JobInvocationEntity> | null = {}) {
  const asked: Array<{ id: string; after: number; follow: boolean }> = [];
  const cancels: string[] = [];
  const proxies: Pick<JobProxyClient, 'getResults' | 'cancel'> = {
    getResults: async (_url, request) => {
      asked.push({ id: request.execution_id, after: request.after_sequence, follow: request.follow });
      const answer = answers.shift() ?? 'ok';
      if (answer !== 'ok') throw new AppError(answer, `${answer} for ${request.execution_id}`);
    },
    cancel: async (_url, executionId) => {
      cancels.push(executionId);
      return { found: true, cancelled_hosts: 0 };
    },
  };
  const deps: ProofDeps = {
    proxies, logger: silentLogger(), instanceId: 'me', attempts: 2, backoffMs: 1, maxBackoffMs: 5,
    repo: { findJob: async () => (row === null ? null : ({ id: 1, state: 'running', leaseOwner: 'me', cancelRequested: false, ...row } as JobInvocationEntity)) },
  };
  const job: RunningJob = { abort: new AbortController(), dispatching: new AbortController(), live: new Map(), cancelled: false, timedOut: false, lost: false, late: [], done: Promise.resolve() };
  return { deps, job, asked, cancels };
}

describe(proxyHolds.name, () => {
  it('asks for no event past the last one and says held when the proxy answers', async () => {
    const { deps, job, asked } = setup(['ok']);
    await expect(proxyHolds(deps, 'px:1', '9-3-1', job)).resolves.toBe(true);
    expect(asked).toEqual([{ id: '9-3-1', after: 2 ** 31, follow: false }]);
  });

  it('says not held at once on NOT_FOUND or another refusal', async () => {
    for (const refusal of ['NOT_FOUND', 'PERMISSION_DENIED'] as const) {
      const { deps, job, asked } = setup([refusal, 'ok']);
      await expect(proxyHolds(deps, 'px:1', '9-3-1', job)).resolves.toBe(false);
      expect(asked).toHaveLength(1);
    }
  });

  it('asks an unreachable proxy again, and says not held only once every attempt failed', async () => {
    const back = setup(['UNAVAILABLE', 'UNAVAILABLE', 'ok']);
    await expect(proxyHolds(back.deps, 'px:1', '9-3-1', back.job)).resolves.toBe(true);
    expect(back.asked).toHaveLength(3);
    const gone = setup(['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE', 'ok']);
    await expect(proxyHolds(gone.deps, 'px:1', '9-3-1', gone.job)).resolves.toBe(false);
    expect(gone.asked).toHaveLength(3);
  });

  it('proves nothing once the job is cancelled or timed out (dispatching stopped)', async () => {
    const { deps, job } = setup(['ok']);
    job.dispatching.abort();
    await expect(proxyHolds(deps, 'px:1', '9-3-1', job)).resolves.toBe(false);
  });
});

describe(mayResend.name, () => {
  it('lets the re-send go out while the job is running, ours and not cancelled, even when paused', async () => {
    const { deps, job } = setup([], { paused: true });
    await expect(mayResend(deps, 1, job)).resolves.toBe(true);
    expect([job.lost, job.cancelled]).toEqual([false, false]);
  });

  it('lets the job go when another instance holds it, it ended, or it is gone', async () => {
    for (const row of [{ leaseOwner: 'other' }, { state: 'succeeded' as const }, null]) {
      const { deps, job } = setup([], row);
      await expect(mayResend(deps, 1, job)).resolves.toBe(false);
      expect([job.lost, job.abort.signal.aborted]).toEqual([true, true]);
    }
  });

  it('cancels the job on every proxy it runs on when a user cancelled it', async () => {
    const { deps, job, cancels } = setup([], { cancelRequested: true });
    job.live.set(4, { proxyName: 'other', url: 'po:1', executionId: '1-4-1', abort: new AbortController() });
    await expect(mayResend(deps, 1, job)).resolves.toBe(false);
    expect([job.cancelled, job.dispatching.signal.aborted, job.lost]).toEqual([true, true, false]);
    expect(cancels).toEqual(['1-4-1']);
  });
});
