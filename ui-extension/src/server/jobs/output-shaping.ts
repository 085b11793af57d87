import type { AggregateResult, ShapedOutput } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { INTEGER_LITERAL, JsonNumber, numberText, stringifyExact } from '@protos/json-numbers';

/**
 * The DDL outputs to show for one host, as MCollective's `rpcclient` prints them: `display` says
 * whether an action's outputs are shown always, only for OK replies, or only for failed ones.
 */
export function shapeOutput(action: Pick<DdlAction__Output, 'display' | 'outputs'>, statuscode: number | null, data: Record<string, unknown> | null): ShapedOutput[] {
  if (!data || statuscode === null) return [];
  const ok = statuscode === 0;
  const display = action.display || 'failed';
  const shown = display === 'always' || (display === 'ok' && ok) || (display === 'failed' && !ok);
  if (!shown) return [];
  const declared = action.outputs.map((o) => ({ name: o.name, display_as: o.display_as || o.name, value: data[o.name] }));
  const known = new Set(action.outputs.map((o) => o.name));
  // Keys the DDL does not declare are still the agent's answer; show them under their own name.
  const extra = Object.keys(data)
    .filter((k) => !known.has(k))
    .sort()
    .map((k) => ({ name: k, display_as: k, value: data[k] }));
  return [...declared.filter((o) => o.value !== undefined), ...extra];
}

type Addend = { integer: bigint } | { float: number };

/** A reply value as a number to add: its exact text decides integer (bigint) or float. */
function toAddend(value: unknown): Addend | undefined {
  const text = numberText(value) ?? (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? value.trim() : undefined);
  if (text === undefined) return undefined;
  if (INTEGER_LITERAL.test(text)) return { integer: BigInt(text) };
  const n = Number(text);
  return Number.isFinite(n) ? { float: n } : undefined;
}

/** An aggregate number as JSON writes it: integers exact at any size, floats keep their `.0`. */
function aggregateNumber(value: Addend): number | JsonNumber {
  if ('integer' in value) {
    const n = Number(value.integer);
    return Number.isSafeInteger(n) ? n : new JsonNumber(value.integer.toString());
  }
  return Number.isInteger(value.float) && Number.isFinite(value.float) && Math.abs(value.float) < 1e21 ? new JsonNumber(`${value.float}.0`) : value.float;
}

function summaryKey(value: unknown): string {
  if (typeof value === 'string') return value;
  return numberText(value) ?? stringifyExact(value);
}

/**
 * The labels of a `boolean_summary` (Choria's puppet and other agents: `["enabled", {"true":
 * "enabled", "false": "disabled"}]`); without a map, `true` and `false` name themselves.
 */
function booleanLabels(argsJson: string): { true: string; false: string } {
  let options: unknown;
  try {
    options = argsJson ? JSON.parse(argsJson) : [];
  } catch {
    options = [];
  }
  const map = Array.isArray(options) && typeof options[0] === 'object' && options[0] !== null ? (options[0] as Record<string, unknown>) : {};
  const label = (key: 'true' | 'false') => (typeof map[key] === 'string' && map[key] !== '' ? (map[key] as string) : key);
  return { true: label('true'), false: label('false') };
}

/** The booleans an agent may send: JSON booleans, and the strings MCollective's Ruby agents sometimes use. */
function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return undefined;
}

/**
 * The DDL's aggregate functions over the replies with statuscode 0 (MCollective's aggregate plugins
 * only see successful replies). summary counts each distinct value (array elements each count);
 * boolean_summary counts true and false under the DDL's labels, skipping other values; sum and
 * average take numeric values and skip the rest, reading each reply's numbers exactly as stored. These are every function of MCollective 2.12's
 * aggregate plugins and of the DDLs shipped in proxy-plugin/ddl.
 */
export function computeAggregates(action: Pick<DdlAction__Output, 'aggregates'>, replies: Iterable<Record<string, unknown>>): AggregateResult[] {
  const states = action.aggregates.map((a) => ({
    fn: a.function,
    output: a.output,
    labels: a.function === 'boolean_summary' ? booleanLabels(a.args_json) : undefined,
    summary: {} as Record<string, number>,
    // Integers add up exactly (Ruby's Integer has no limit); one float makes the sum a float, as in Ruby.
    integerSum: 0n,
    floatSum: 0,
    anyFloat: false,
    n: 0,
  }));
  if (states.length === 0) return [];
  const count = (summary: Record<string, number>, key: string) => {
    summary[key] = (summary[key] ?? 0) + 1;
  };
  for (const data of replies) {
    for (const s of states) {
      const value = data[s.output];
      if (value === undefined || value === null) continue;
      if (s.fn === 'summary') {
        for (const v of Array.isArray(value) ? value : [value]) count(s.summary, summaryKey(v));
      } else if (s.labels) {
        const b = toBoolean(value);
        if (b !== undefined) count(s.summary, b ? s.labels.true : s.labels.false);
      } else {
        const addend = toAddend(value);
        if (addend === undefined) continue;
        if ('integer' in addend) s.integerSum += addend.integer;
        else {
          s.floatSum += addend.float;
          s.anyFloat = true;
        }
        s.n += 1;
      }
    }
  }
  return states.map((s) => {
    if (s.fn === 'summary' || s.fn === 'boolean_summary') return { function: s.fn, output: s.output, value: s.summary };
    const sum: Addend = s.anyFloat ? { float: Number(s.integerSum) + s.floatSum } : { integer: s.integerSum };
    // JsonNumbers where a JS number would print differently; stored and served with stringifyExact.
    if (s.fn === 'sum') return { function: s.fn, output: s.output, value: s.n === 0 ? null : (aggregateNumber(sum) as number) };
    if (s.fn === 'average') {
      if (s.n === 0) return { function: s.fn, output: s.output, value: null };
      // Integers that divide evenly stay an integer; otherwise the mean is a float (Ruby's average
      // plugin would divide integers with truncation: 3 / 2 = 1, which no one reading a mean expects).
      let mean: Addend;
      if ('integer' in sum) mean = sum.integer % BigInt(s.n) === 0n ? { integer: sum.integer / BigInt(s.n) } : { float: Number(sum.integer) / s.n };
      else mean = { float: sum.float / s.n };
      return { function: s.fn, output: s.output, value: aggregateNumber(mean) as number };
    }
    // Unknown aggregate plugins (custom Ruby ones) cannot run here; say so instead of guessing.
    return { function: s.fn, output: s.output, value: null };
  });
}

/**
 * Each aggregate with its output's `display_as` from the job's DDL (stored as JSON with the job),
 * for titles as mco prints them ("Summary of Service Status"); the output's name when the DDL
 * gives none. Done when the job is shown, so aggregates stored before the field have it too.
 */
export function withDisplayNames(aggregates: AggregateResult[], ddlJson: string | null): AggregateResult[] {
  let outputs: ReadonlyArray<{ name: string; display_as: string }> = [];
  try {
    outputs = ddlJson ? (JSON.parse(ddlJson) as Pick<DdlAction__Output, 'outputs'>).outputs ?? [] : [];
  } catch {
    // An unreadable DDL leaves the names as they are.
  }
  // An aggregate titled when computed (the Puppet run outcome, which is no DDL output) keeps its title.
  return aggregates.map((a) => ({ ...a, display_as: a.display_as || outputs.find((o) => o.name === a.output)?.display_as || a.output }));
}
