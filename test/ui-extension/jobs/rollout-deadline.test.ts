import { rolloutBudgetMs, rolloutDeadline } from '@server/jobs/rollout-deadline';

describe(rolloutBudgetMs.name, () => {
  it('counts every batch at its full timeout when 1,000 hosts go out in batches of 100', () => {
    expect(rolloutBudgetMs({ hostsPerProxy: [1000], concurrencyLevel: null, batchSize: 100, timeoutS: 10 })).toBe(100_000);
  });

  it('counts the batches of every concurrency chunk, the last one short', () => {
    // 250 hosts in chunks of 100 (100, 100, 50) and batches of 40: 3 + 3 + 2 batches.
    expect(rolloutBudgetMs({ hostsPerProxy: [250], concurrencyLevel: 100, batchSize: 40, timeoutS: 5 })).toBe(40_000);
  });

  it('takes the slowest proxy, as proxies run side by side', () => {
    expect(rolloutBudgetMs({ hostsPerProxy: [10, 300, 20], concurrencyLevel: 100, batchSize: null, timeoutS: 4 })).toBe(12_000);
  });

  it('adds the sleeps between the batches of a chunk, not between chunks', () => {
    // Two chunks of 4 hosts in batches of 2: one sleep inside each chunk.
    expect(rolloutBudgetMs({ hostsPerProxy: [8], concurrencyLevel: 4, batchSize: 2, batchSleepMs: 700, timeoutS: 1 })).toBe(4 * 1000 + 2 * 700);
  });

  it('is 0 for a job with no host to run', () => {
    expect(rolloutBudgetMs({ hostsPerProxy: [], concurrencyLevel: null, batchSize: null, timeoutS: 60 })).toBe(0);
  });
});

describe(rolloutDeadline.name, () => {
  it('is the start plus the budget plus one spare timeout', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    expect(rolloutDeadline(start, { hostsPerProxy: [1000], concurrencyLevel: null, batchSize: 100, timeoutS: 30 }).toISOString()).toBe('2026-01-01T00:05:30.000Z');
  });

  it('keeps at least 10 s spare with a short timeout, for a proxy that is still being reached', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    expect(rolloutDeadline(start, { hostsPerProxy: [1000], concurrencyLevel: null, batchSize: 100, timeoutS: 4 }).toISOString()).toBe('2026-01-01T00:00:50.000Z');
  });
});
