import { ChartDonut } from '@patternfly/react-charts/victory';
import { ToggleGroup, ToggleGroupItem } from '@patternfly/react-core';
import { useRef } from 'react';
import { HOST_STATES, type HostCounts, type HostState } from '@common/jobs';

/** Each state's colour: CSS variables of rex.css (PatternFly's status colours), shared with the legend's swatches. */
const COLOUR = (s: HostState) => `var(--rex-state-${s})`;
const TEXT: Record<HostState, string> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  no_response: 'no response',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

interface Slice {
  x: string;
  y: number;
  state: HostState;
}

/**
 * Foreman's job page donut: the job's hosts by state, the share done in its middle. A slice or a
 * legend entry filters the host table to that state (another click takes it off); states not in
 * the filter fade. The legend is HTML toggle buttons, so the filter works from the keyboard too;
 * the slices (SVG) are a mouse shortcut with the same effect.
 */
export function HostStateDonut(props: { counts: HostCounts; total: number; progress: number; selected: readonly HostState[]; onToggle(state: HostState): void }) {
  const { counts, total, progress, selected } = props;
  // Victory keeps the first event handlers it was given: read the latest callback through a ref.
  const toggle = useRef(props.onToggle);
  toggle.current = props.onToggle;
  const slices: Slice[] = HOST_STATES.filter((s) => counts[s] > 0).map((s) => ({ x: TEXT[s], y: counts[s], state: s }));
  const faded = (s: HostState) => selected.length > 0 && !selected.includes(s);
  const description = slices.map((d) => `${d.x}: ${d.y}`).join(', ') || 'no hosts';
  return (
    <div className="rex-donut" data-testid="host-state-donut">
      <div className="rex-donut-chart">
        <ChartDonut
          name="host-states"
          ariaTitle="Hosts by state"
          ariaDesc={description}
          constrainToVisibleArea
          data={slices.length > 0 ? slices : [{ x: 'no hosts', y: 1, state: 'pending' }]}
          colorScale={slices.length > 0 ? slices.map((d) => COLOUR(d.state)) : [COLOUR('pending')]}
          labels={({ datum }: { datum: Slice }) => (slices.length > 0 ? `${datum.x}: ${datum.y}` : 'no hosts')}
          title={`${progress}%`}
          subTitle={`of ${total} done`}
          width={220}
          height={220}
          padding={10}
          style={{ data: { cursor: slices.length > 0 ? 'pointer' : 'default', fillOpacity: ({ datum }: { datum?: Slice }) => (datum && faded(datum.state) ? 0.3 : 1) } }}
          events={slices.length === 0 ? [] : [{
            target: 'data',
            eventHandlers: {
              onClick: () => [{ target: 'data', mutation: (p: { datum: Slice }) => { toggle.current(p.datum.state); return null; } }],
            },
          }]}
        />
      </div>
      <ToggleGroup aria-label="Filter hosts by state" className="rex-donut-legend" isCompact>
        {HOST_STATES.map((s) => (
          <ToggleGroupItem
            key={s}
            buttonId={`state-${s}`}
            icon={<span className="rex-swatch" data-swatch={s} />}
            text={`${TEXT[s]} ${counts[s]}`}
            isSelected={selected.includes(s)}
            onChange={() => toggle.current(s)}
          />
        ))}
      </ToggleGroup>
    </div>
  );
}
