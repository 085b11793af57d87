import { assignBatches, batchSizes, maxFailures, resolveCount, thresholdReason } from '@server/jobs/rollout-policy';

describe(batchSizes.name, () => {
  it('splits the hosts into batches of batch_size, the last one shorter, when there is no canary', () => {
    expect(batchSizes({ batch_size: 10 }, 35)).toEqual([10, 10, 10, 5]);
  });

  it('puts the canary first and batches the rest when a canary is set', () => {
    expect(batchSizes({ canary: { hosts: 5, then: 'wait' }, batch_size: '25%' }, 60)).toEqual([5, 15, 15, 15, 10]);
  });

  it('sends everything after the canary as one batch when batch_size is unset', () => {
    expect(batchSizes({ canary: { hosts: 2, then: 'continue' } }, 7)).toEqual([2, 5]);
  });

  it('makes no batch when the job has no host to run', () => {
    expect(batchSizes({ batch_size: 10 }, 0)).toEqual([]);
  });
});

describe(resolveCount.name, () => {
  it('rounds a percentage up and never to 0 when the value is a percentage', () => {
    expect([resolveCount('10%', 10_000), resolveCount('5%', 30), resolveCount('1%', 3), resolveCount(4, 100)]).toEqual([1000, 2, 1, 4]);
  });
});

describe(maxFailures.name, () => {
  it('is null without a threshold and a host count with one', () => {
    expect([maxFailures({}, 100), maxFailures({ max_failures: 3 }, 100), maxFailures({ max_failures: '5%' }, 100)]).toEqual([null, 3, 5]);
  });
});

describe(assignBatches.name, () => {
  it('numbers batches from 1 in row order when given sizes', () => {
    expect([...assignBatches([11, 12, 13, 14, 15], [2, 2, 1])]).toEqual([[11, 1], [12, 1], [13, 2], [14, 2], [15, 3]]);
  });
});

describe(thresholdReason.name, () => {
  it('names the threshold and the batch when hosts are not sent', () => {
    expect(thresholdReason(3, 2, 10)).toBe('not sent: failure threshold 3 reached in batch 2 of 10');
  });
});
