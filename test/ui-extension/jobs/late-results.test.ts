import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { HostResult__Output } from '@protos/generated/rex/proxy/v1/HostResult';
import { silentLogger } from '@server/logger';
import type { LateResult } from '@server/jobs/job-invocation.repository';
import { createLateResultCollector } from '@server/jobs/late-results';
import { resultsOf } from '@server/jobs/running-job';

const reply = (identity: string, state: HostResult__Output['state'] = 'HOST_STATE_SUCCEEDED'): HostResult__Output => ({
  identity, state, statuscode: 0, statusmsg: 'OK', data_json: '{}', sent_at_ms: 1000, received_at_ms: 2000, unexpected: false, cause: 'HOST_CAUSE_UNSPECIFIED', reason: '',
} as HostResult__Output);

describe(resultsOf.name, () => {
  it('numbers the results of a batch from its first sequence when the event is a batch', () => {
    const event: ExecuteEvent__Output = { sequence: 12, event: 'results', results: { first_sequence: 10, results: [reply('a'), reply('b'), reply('c')] } };
    expect(resultsOf(event).map((r) => [r.result.identity, r.sequence])).toEqual([['a', 10], ['b', 11], ['c', 12]]);
  });

  it('gives the single result with the event sequence when the event is one result', () => {
    expect(resultsOf({ sequence: 4, event: 'result', result: reply('a') }).map((r) => [r.result.identity, r.sequence])).toEqual([['a', 4]]);
  });

  it('gives nothing when the event carries no result or lacks its payload', () => {
    expect(resultsOf({ sequence: 1, event: 'summary', summary: null })).toEqual([]);
    expect(resultsOf({ sequence: 2, event: 'result', result: null })).toEqual([]);
    expect(resultsOf({ sequence: 3, event: 'results', results: null })).toEqual([]);
  });
});

describe(createLateResultCollector.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('stores the late replies of a result batch when the proxy sends batches', async () => {
    const stored: LateResult[] = [];
    const collector = createLateResultCollector({
      proxies: {
        cancel: async () => ({ found: true }) as never,
        getResults: async (_url, _request, onEvent) => {
          await onEvent({ sequence: 7, event: 'results', results: { first_sequence: 6, results: [reply('h1'), reply('h2', 'HOST_STATE_FAILED'), reply('outside')] } });
        },
      },
      store: { recordLateResults: async (_job, results) => { stored.push(...results); return results.length; } },
      clock: () => new Date('2026-12-06T15:00:00Z'),
      logger: silentLogger(),
      windowMs: 60_000,
      onStored: () => undefined,
    });
    collector.follow({ jobId: 1, proxyName: 'px', url: 'px:1', executionId: '1-1-1', afterSequence: 5, hosts: new Map([['h1', 11], ['h2', 12]]) });
    for (let i = 0; i < 10 && collector.active() > 0; i++) await jest.advanceTimersByTimeAsync(10);
    expect(collector.active()).toBe(0);
    expect(stored.map((r) => [r.rowId, r.state])).toEqual([[11, 'succeeded'], [12, 'failed']]);
  });
});
