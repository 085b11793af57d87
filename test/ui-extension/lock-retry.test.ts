import { retryLockConflicts } from '@server/lock-retry';

/*
 * The one retry of statements that lost a lock conflict (the rollout runner's job-row writes): a bounded
 * number of attempts, with a doubling, jittered wait between them, and any other error thrown at once.
 */
const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });

function attempts(errors: Array<Error | undefined>) {
  let n = 0;
  const fn = async () => {
    const e = errors[n++];
    if (e) throw e;
    return n;
  };
  return { fn, count: () => n };
}

describe(retryLockConflicts.name, () => {
  it('returns what the attempt after a lost conflict returns, having waited once', async () => {
    const a = attempts([deadlock()]);
    const waits: number[] = [];
    await expect(retryLockConflicts(a.fn, { attempts: 3, backoffMs: 40, sleep: async (ms) => void waits.push(ms), random: () => 0 })).resolves.toBe(2);
    expect(waits).toEqual([20]);
  });

  it('throws the last conflict after `attempts` tries, each wait half to all of a doubling backoff', async () => {
    const a = attempts(Array(10).fill(deadlock()));
    const low: number[] = [];
    const high: number[] = [];
    const retried: number[] = [];
    await expect(retryLockConflicts(a.fn, { attempts: 4, backoffMs: 40, sleep: async (ms) => void low.push(ms), random: () => 0, onRetry: (_e, attempt) => retried.push(attempt) })).rejects.toMatchObject({ code: 'ER_LOCK_DEADLOCK' });
    expect(a.count()).toBe(4);
    expect(retried).toEqual([1, 2, 3]);
    await expect(retryLockConflicts(attempts(Array(10).fill(deadlock())).fn, { attempts: 4, backoffMs: 40, sleep: async (ms) => void high.push(ms), random: () => 0.999999 })).rejects.toThrow();
    expect(low).toEqual([20, 40, 80]);
    expect(high).toEqual([40, 80, 160]);
  });

  it('throws any other error at once', async () => {
    const a = attempts([Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY' })]);
    const waits: number[] = [];
    await expect(retryLockConflicts(a.fn, { attempts: 5, backoffMs: 10, sleep: async (ms) => void waits.push(ms) })).rejects.toThrow('Duplicate entry');
    expect(a.count()).toBe(1);
    expect(waits).toEqual([]);
  });

  it('stops when halted during the wait', async () => {
    let halted = false;
    const a = attempts(Array(10).fill(deadlock()));
    await expect(retryLockConflicts(a.fn, { attempts: 5, backoffMs: 10, sleep: async () => void (halted = true), halted: () => halted })).rejects.toMatchObject({ code: 'ER_LOCK_DEADLOCK' });
    expect(a.count()).toBe(1);
  });
});
