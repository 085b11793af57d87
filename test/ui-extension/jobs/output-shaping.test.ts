import { computeAggregates, shapeOutput } from '@server/jobs/output-shaping';

const outputs = [
  { name: 'status', description: '', display_as: 'Service Status', type: 'string', default_json: '' },
  { name: 'pid', description: '', display_as: 'PID', type: 'integer', default_json: '' },
];

describe(shapeOutput.name, () => {
  it('shows outputs with their display_as when display is always', () => {
    expect(shapeOutput({ display: 'always', outputs }, 0, { status: 'running', pid: 12 })).toEqual([
      { name: 'status', display_as: 'Service Status', value: 'running' },
      { name: 'pid', display_as: 'PID', value: 12 },
    ]);
  });

  it('hides outputs of an OK reply when display is failed', () => {
    expect(shapeOutput({ display: 'failed', outputs }, 0, { status: 'running' })).toEqual([]);
  });

  it('shows outputs of a failed reply when display is failed', () => {
    expect(shapeOutput({ display: 'failed', outputs }, 1, { status: 'stopped' })).toEqual([{ name: 'status', display_as: 'Service Status', value: 'stopped' }]);
  });

  it('hides outputs of a failed reply when display is ok', () => {
    expect(shapeOutput({ display: 'ok', outputs }, 4, { status: 'x' })).toEqual([]);
  });

  it('shows undeclared keys under their own name after the declared ones', () => {
    expect(shapeOutput({ display: 'always', outputs }, 0, { zeta: 1, status: 'ok' }).map((o) => o.name)).toEqual(['status', 'zeta']);
  });

  it('is empty when the host never replied', () => {
    expect(shapeOutput({ display: 'always', outputs }, null, null)).toEqual([]);
  });
});

describe(computeAggregates.name, () => {
  const agg = (fn: string, output: string) => ({ function: fn, output, args_json: '' });

  it('counts each distinct value when the function is summary', () => {
    const result = computeAggregates({ aggregates: [agg('summary', 'status')] }, [{ status: 'running' }, { status: 'stopped' }, { status: 'running' }]);
    expect(result).toEqual([{ function: 'summary', output: 'status', value: { running: 2, stopped: 1 } }]);
  });

  it('counts every element when summary values are arrays', () => {
    expect(computeAggregates({ aggregates: [agg('summary', 'tags')] }, [{ tags: ['a', 'b'] }, { tags: ['a'] }])[0].value).toEqual({ a: 2, b: 1 });
  });

  it('adds numbers and numeric strings when the function is sum', () => {
    expect(computeAggregates({ aggregates: [agg('sum', 'n')] }, [{ n: 2 }, { n: '3' }, { n: 'x' }, {}])[0].value).toBe(5);
  });

  it('averages the numeric values only when the function is average', () => {
    expect(computeAggregates({ aggregates: [agg('average', 'n')] }, [{ n: 2 }, { n: 4 }, { n: 'nope' }])[0].value).toBe(3);
  });

  it('is null when no reply carried the output', () => {
    expect(computeAggregates({ aggregates: [agg('average', 'n')] }, [{}])[0].value).toBeNull();
  });
});
