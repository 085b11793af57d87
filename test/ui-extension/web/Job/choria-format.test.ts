import type { AggregateResult } from '@common/jobs';
import { aggregateLines, aggregateText, aggregateTitle, NO_SUMMARY } from '../../../../ui-extension/src/web/Job/choria-format';

describe(aggregateText.name, () => {
  it('prints a summary as mco rpc does: titled by display_as, values right-aligned, most frequent first', () => {
    const a: AggregateResult = { function: 'summary', output: 'status', display_as: 'Service Status', value: { stopped: 1, running: 3 } };
    expect(aggregateText(a)).toBe('Summary of Service Status:\n\n   running = 3\n   stopped = 1');
  });

  it('aligns values of different lengths on the equals sign', () => {
    expect(aggregateLines({ function: 'summary', output: 'ensure', value: { '1.22.1-9': 4, absent: 8 } })).toEqual(['  absent = 8', '1.22.1-9 = 4']);
  });

  it('prints sum and average under the output\'s name as their plugins do, and says when nothing could be computed', () => {
    expect(aggregateLines({ function: 'sum', output: 'bytes', value: 1024 })).toEqual(['Sum of bytes: 1024']);
    expect(aggregateLines({ function: 'average', output: 'load', value: 1.5 })).toEqual(['Average of load: 1.5']);
    expect(aggregateLines({ function: 'average', output: 'load', value: null })).toEqual([NO_SUMMARY]);
  });

  it('falls back to the output\'s name without a display_as', () => {
    expect(aggregateTitle({ output: 'status' })).toBe('Summary of status');
  });
});
