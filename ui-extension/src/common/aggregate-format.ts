import type { AggregateResult } from './jobs';

/**
 * Aggregates as `mco rpc` and `choria req` print them after the replies (MCollective's
 * rpc/helpers.rb `text_for_aggregates` and its aggregate plugins):
 *
 *     Summary of Service Status:
 *
 *        running = 3
 *        stopped = 1
 *
 * The title names the output by its DDL `display_as`; summary and boolean_summary list each value
 * right-aligned with its count (the plugins' `%<width>s = %s`), most frequent first; sum and
 * average print one line under the output's name, as their plugins' formats do. Shared by the job
 * page (web/Job/JobAggregates.tsx) and `rex job show` / `--wait`.
 */
export function aggregateTitle(a: Pick<AggregateResult, 'output' | 'display_as'>): string {
  return `Summary of ${a.display_as || a.output}`;
}

/** The value -> count entries of a summary aggregate, most frequent first; [] for a numeric one. */
export function summaryEntries(a: Pick<AggregateResult, 'value'>): Array<[string, number]> {
  if (!a.value || typeof a.value !== 'object') return [];
  return Object.entries(a.value).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
}

export const NO_SUMMARY = 'No aggregate summary could be computed';

/** The lines under the title, without mco's three-space indent. */
export function aggregateLines(a: AggregateResult): string[] {
  const entries = summaryEntries(a);
  if (entries.length > 0) {
    const width = Math.max(...entries.map(([k]) => k.length));
    return entries.map(([k, n]) => `${k.padStart(width)} = ${n}`);
  }
  if (a.value === null || typeof a.value === 'object') return [NO_SUMMARY];
  const verb = a.function === 'sum' ? 'Sum' : a.function === 'average' ? 'Average' : a.function;
  return [`${verb} of ${a.output}: ${String(a.value)}`];
}

/** The whole block as mco prints it (title, blank line, indented lines). */
export function aggregateText(a: AggregateResult): string {
  return [`${aggregateTitle(a)}:`, '', ...aggregateLines(a).map((l) => `   ${l}`)].join('\n');
}
