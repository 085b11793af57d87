import { Chart, ChartAxis, ChartBar } from '@patternfly/react-charts/victory';
import { Card, CardBody, CardTitle, Gallery } from '@patternfly/react-core';
import type { AggregateResult } from '@common/jobs';
import { aggregateLines, aggregateTitle, summaryEntries } from './choria-format';

/** Bars drawn per summary; the text below lists every value. */
const BARS = 12;

function SummaryChart({ a }: { a: AggregateResult }) {
  const entries = summaryEntries(a).slice(0, BARS);
  // Most frequent on top: a horizontal chart draws its first category at the bottom.
  const data = entries.map(([k, n]) => ({ x: k === '' ? '(empty)' : k, y: n })).reverse();
  const longest = Math.max(...data.map((d) => d.x.length));
  return (
    <Chart
      ariaTitle={aggregateTitle(a)}
      ariaDesc={entries.map(([k, n]) => `${k || '(empty)'}: ${n}`).join(', ')}
      horizontal
      domainPadding={{ x: [14, 14] }}
      height={40 + data.length * 28}
      width={360}
      padding={{ top: 8, bottom: 28, right: 36, left: Math.min(160, 16 + longest * 7) }}
    >
      <ChartAxis />
      <ChartAxis dependentAxis showGrid tickFormat={(t: number) => (Number.isInteger(t) ? String(t) : '')} />
      <ChartBar data={data} barWidth={16} labels={({ datum }: { datum: { y: number } }) => String(datum.y)} style={{ data: { fill: 'var(--pf-t--global--color--brand--default)' } }} />
    </Chart>
  );
}

/**
 * The DDL's aggregates of a finished job, titled and shaped as `mco rpc` prints them ("Summary of
 * Service Status" with `running = 3` lines), with a bar chart for summary aggregates.
 */
export function JobAggregates({ aggregates }: { aggregates: AggregateResult[] }) {
  return (
    <Gallery hasGutter minWidths={{ default: '320px' }} data-testid="job-aggregates">
      {aggregates.map((a) => (
        <Card key={`${a.function}-${a.output}`} isCompact>
          <CardTitle component="h3">{aggregateTitle(a)}</CardTitle>
          <CardBody>
            {summaryEntries(a).length > 0 && <SummaryChart a={a} />}
            <pre className="rex-mono rex-aggregate">{aggregateLines(a).join('\n')}</pre>
          </CardBody>
        </Card>
      ))}
    </Gallery>
  );
}
