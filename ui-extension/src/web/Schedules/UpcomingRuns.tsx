import { TextInput } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime, formatValue, toLocalInput } from '../shared/format';
import { useLoad } from '../shared/hooks';
import { ListToolbar } from '../shared/ListToolbar';
import { TargetingText } from '../shared/Targeting';
import { occurrences } from './api';

const DAY = 86_400_000;

/** Every run of the enabled schedules between two times, in time order: the calendar view. */
export function UpcomingRuns() {
  const [from, setFrom] = useState(() => toLocalInput(new Date()));
  const [to, setTo] = useState(() => toLocalInput(new Date(Date.now() + 7 * DAY)));
  const [page, setPage] = useState({ page: 1, perPage: 50 });
  const list = useLoad(() => occurrences({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), page: page.page, per_page: page.perPage }), [from, to, page]);
  const rows = list.data?.results ?? [];
  return (
    <>
      <ListToolbar
        id="upcoming-runs-toolbar"
        search={
          <div className="rex-filters">
            <label htmlFor="schedules-from">From</label>
            <TextInput id="schedules-from" type="datetime-local" value={from} onChange={(_e, v) => setFrom(v)} style={{ width: 210 }} />
            <label htmlFor="schedules-to">to</label>
            <TextInput id="schedules-to" type="datetime-local" value={to} onChange={(_e, v) => setTo(v)} style={{ width: 210 }} />
          </div>
        }
        total={list.data?.subtotal ?? 0}
        page={page.page}
        perPage={page.perPage}
        onPage={(p, pp) => setPage({ page: p, perPage: pp })}
      />
      <ErrorAlert error={list.error} title="Cannot list the upcoming runs" />
      <Table aria-label="Upcoming runs" variant="compact">
        <Thead>
          <Tr><Th>At</Th><Th>Action</Th><Th>Arguments</Th><Th>Target</Th><Th>Recurrence</Th><Th>Owner</Th></Tr>
        </Thead>
        <Tbody>
          {rows.map((o) => {
            const s = o.schedule;
            return (
              <Tr key={`${o.schedule_id}-${o.at}`}>
                <Td dataLabel="At" className="rex-nowrap">{formatTime(o.at)}</Td>
                <Td dataLabel="Action">{s.description || `${s.namespace}.${s.action}`}</Td>
                <Td dataLabel="Arguments" className="rex-mono">{Object.entries(s.arguments).map(([k, v]) => `${k}=${formatValue(v)}`).join(', ') || '—'}</Td>
                <Td dataLabel="Target"><TargetingText targeting={s.targeting} /></Td>
                <Td dataLabel="Recurrence" className="rex-mono">{s.cron_line ? `${s.cron_line} (${s.time_zone})` : 'once'}</Td>
                <Td dataLabel="Owner">{s.owner}</Td>
              </Tr>
            );
          })}
          {list.data && rows.length === 0 && <EmptyTableRow colSpan={6} title="No runs in this range">Enabled schedules run at the times listed here; pick another range to look further.</EmptyTableRow>}
        </Tbody>
      </Table>
    </>
  );
}
