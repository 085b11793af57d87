import fs from 'node:fs';
import path from 'node:path';
import { parseExact, stringifyExact } from '@protos/json-numbers';
import { computeAggregates, shapeOutput, withDisplayNames } from '@server/jobs/output-shaping';

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

  it('counts true and false under the DDL labels when the function is boolean_summary', () => {
    // puppet#status as shipped in proxy-plugin/ddl/puppet.json (the real Choria DDL).
    const puppet = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../proxy-plugin/ddl/puppet.json'), 'utf8')) as { actions: Array<{ action: string; aggregate: Array<{ function: string; args: unknown[] }> }> };
    const status = puppet.actions.find((a) => a.action === 'status')!;
    const aggregates = status.aggregate.map((a) => ({ function: a.function, output: String(a.args[0]), args_json: JSON.stringify(a.args.slice(1)) }));
    const replies = [{ enabled: true, applying: false, daemon_present: false, idling: false, status: 'stopped' }, { enabled: false, applying: false, daemon_present: true, idling: true, status: 'idling' }, { enabled: true, applying: true, daemon_present: true, idling: false, status: 'applying' }];
    const byOutput = Object.fromEntries(computeAggregates({ aggregates }, replies).map((r) => [r.output, r.value]));
    expect(byOutput.enabled).toEqual({ enabled: 2, disabled: 1 });
    expect(byOutput.applying).toEqual({ true: 1, false: 2 });
    expect(byOutput.daemon_present).toEqual({ running: 2, stopped: 1 });
  });

  it('names true and false themselves when a boolean_summary has no labels, and skips non-booleans', () => {
    expect(computeAggregates({ aggregates: [agg('boolean_summary', 'ok')] }, [{ ok: true }, { ok: 'false' }, { ok: 3 }])[0].value).toEqual({ true: 1, false: 1 });
  });

  it('is null when no reply carried the output', () => {
    expect(computeAggregates({ aggregates: [agg('average', 'n')] }, [{}])[0].value).toBeNull();
  });

  describe('with replies read exactly (issue 26)', () => {
    const replies = (...texts: string[]) => texts.map((t) => parseExact(t) as Record<string, unknown>);
    const value = (fn: string, data: Array<Record<string, unknown>>) => stringifyExact(computeAggregates({ aggregates: [agg(fn, 'n')] }, data)[0].value);

    it('adds integers past 2^53 exactly when the function is sum', () => {
      expect(value('sum', replies('{"n":9007199254740993}', '{"n":1180591620717411303424}'))).toBe('1180600627916666044417');
    });

    it('keeps a sum of floats a float when it is whole', () => {
      expect(value('sum', replies('{"n":1.5}', '{"n":1.5}', '{"n":0.0}'))).toBe('3.0');
    });

    it('counts 0.0 and 0 apart when the function is summary, as Ruby keys them', () => {
      expect(JSON.parse(value('summary', replies('{"n":0.0}', '{"n":0}', '{"n":0.0}')))).toEqual({ '0.0': 2, '0': 1 });
    });

    it('averages integers to an integer when they divide evenly and to a float otherwise', () => {
      expect(value('average', replies('{"n":2}', '{"n":4}'))).toBe('3');
      expect(value('average', replies('{"n":1}', '{"n":2}'))).toBe('1.5');
      expect(value('average', replies('{"n":2.0}', '{"n":4.0}'))).toBe('3.0');
    });
  });
});

describe(withDisplayNames.name, () => {
  const ddl = JSON.stringify({ outputs: [{ name: 'status', display_as: 'Service Status' }, { name: 'plain', display_as: '' }] });

  it('names each aggregate by its output\'s display_as, as mco titles it', () => {
    expect(withDisplayNames([{ function: 'summary', output: 'status', value: { running: 2 } }], ddl)).toEqual([{ function: 'summary', output: 'status', display_as: 'Service Status', value: { running: 2 } }]);
  });

  it('falls back to the output\'s name without a display_as, or with an unreadable DDL', () => {
    expect(withDisplayNames([{ function: 'sum', output: 'plain', value: 3 }, { function: 'sum', output: 'gone', value: 1 }], ddl).map((a) => a.display_as)).toEqual(['plain', 'gone']);
    expect(withDisplayNames([{ function: 'sum', output: 'status', value: 3 }], '{not json').map((a) => a.display_as)).toEqual(['status']);
  });
});
