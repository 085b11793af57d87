import { Label, List, ListItem, Switch, Title } from '@patternfly/react-core';
import { ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { ScheduleDefinition } from '@common/schedules';
import { ConfirmModal } from '../shared/ConfirmModal';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime, formatValue } from '../shared/format';
import { useLoad } from '../shared/hooks';
import { errorMessage } from '../shared/http';
import { ListToolbar } from '../shared/ListToolbar';
import { useNotify } from '../shared/Notifications';
import { Link } from '../shared/router';
import { RowActions } from '../shared/RowActions';
import { useSession } from '../shared/session';
import { StateLabel } from '../shared/StateLabel';
import { TargetingText } from '../shared/Targeting';
import { definitions, deleteSchedule, disableSchedule, enableSchedule, scheduleDetail } from './api';

const STATE_COLOUR = { active: 'green', disabled: 'grey', finished: 'blue' } as const;

/** A schedule's occurrences: the next ones, and how the recent ones went (loaded when the row opens). */
function Occurrences({ d }: { d: ScheduleDefinition }) {
  const detail = useLoad(() => scheduleDetail(d.id), [d.id]);
  const runs = detail.data?.runs ?? [];
  return (
    <div className="rex-occurrences" data-testid={`schedule-${d.id}-occurrences`}>
      <div>
        <Title headingLevel="h3" size="md">Next occurrences</Title>
        {d.upcoming.length > 0 ? <List isPlain>{d.upcoming.map((at) => <ListItem key={at}>{formatTime(at)}</ListItem>)}</List> : <p>None: the schedule is {d.state}.</p>}
      </div>
      <div>
        <Title headingLevel="h3" size="md">Recent runs</Title>
        <ErrorAlert error={detail.error} title="Cannot load the runs" />
        {detail.data && runs.length === 0 && <p>It has not run yet.</p>}
        {runs.length > 0 && (
          <Table aria-label={`Recent runs of schedule ${d.id}`} variant="compact" borders={false}>
            <Thead><Tr><Th>Occurrence</Th><Th>Outcome</Th><Th>Job</Th><Th>Reason</Th></Tr></Thead>
            <Tbody>
              {runs.map((r) => (
                <Tr key={r.at}>
                  <Td dataLabel="Occurrence" className="rex-nowrap">{formatTime(r.at)}</Td>
                  <Td dataLabel="Outcome"><StateLabel state={r.state} /></Td>
                  <Td dataLabel="Job">{r.job_id !== null ? <Link to={`/jobs/${r.job_id}`}>job {r.job_id}</Link> : '—'}</Td>
                  <Td dataLabel="Reason">{r.reason ?? ''}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </div>
    </div>
  );
}

/**
 * The schedules themselves, as Foreman lists recurring logics: cron line and time zone, next and
 * last run, iterations, state; enable or disable with the switch, cancel (delete) from the row's
 * menu; a row opens onto its occurrences. Controls show to manage_schedules holders; the API still
 * decides each one (another user's schedule needs manage_others_schedules) and its refusal shows.
 */
export function ScheduleDefinitions() {
  const { can } = useSession();
  const notify = useNotify();
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  const [cancelling, setCancelling] = useState<ScheduleDefinition>();
  const [busy, setBusy] = useState<number>();
  const list = useLoad(() => definitions({ page: page.page, per_page: page.perPage }), [page]);
  const manage = can('manage_schedules');
  const rows = list.data?.results ?? [];

  const setEnabled = async (d: ScheduleDefinition, on: boolean) => {
    setBusy(d.id);
    try {
      await (on ? enableSchedule(d.id) : disableSchedule(d.id));
      notify('success', `Schedule ${d.id} ${on ? 'enabled' : 'disabled'}`);
      list.reload();
    } catch (error) {
      notify('danger', `Schedule ${d.id} was not ${on ? 'enabled' : 'disabled'}`, errorMessage(error));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <>
      <ListToolbar id="schedule-definitions-toolbar" total={list.data?.subtotal ?? 0} page={page.page} perPage={page.perPage} onPage={(p, pp) => setPage({ page: p, perPage: pp })} />
      <ErrorAlert error={list.error} title="Cannot list schedules" />
      <Table aria-label="Schedules" variant="compact">
        <Thead>
          <Tr>
            <Th screenReaderText="Occurrences" />
            <Th>Schedule</Th><Th>Target</Th><Th>Recurrence</Th><Th>Next run</Th><Th>Last run</Th><Th>Iterations</Th><Th>Owner</Th><Th>State</Th>
            <Th screenReaderText="Actions" />
          </Tr>
        </Thead>
        {rows.map((d, i) => {
          const open = expanded.has(d.id);
          const args = Object.entries(d.arguments).map(([k, v]) => `${k}=${formatValue(v)}`).join(', ');
          return (
            <Tbody key={d.id} isExpanded={open}>
              <Tr>
                <Td expand={{ rowIndex: i, isExpanded: open, onToggle: () => setExpanded((s) => { const n = new Set(s); if (n.has(d.id)) n.delete(d.id); else n.add(d.id); return n; }) }} />
                <Td dataLabel="Schedule">
                  <div>{d.description || `${d.namespace}.${d.action}`}</div>
                  <div className="rex-mono">{d.namespace}.{d.action}{args ? ` ${args}` : ''}</div>
                </Td>
                <Td dataLabel="Target"><TargetingText targeting={d.targeting} /></Td>
                <Td dataLabel="Recurrence" className="rex-mono">{d.cron_line ? `${d.cron_line} (${d.time_zone})` : `once, ${formatTime(d.start_at)}`}</Td>
                <Td dataLabel="Next run" className="rex-nowrap">{formatTime(d.next_run_at)}</Td>
                <Td dataLabel="Last run" className="rex-nowrap">
                  {d.last_run ? <>{formatTime(d.last_run.at)} {d.last_run.job_id !== null ? <Link to={`/jobs/${d.last_run.job_id}`} aria-label={`job ${d.last_run.job_id}, ${d.last_run.state}`}><StateLabel state={d.last_run.state} /></Link> : <StateLabel state={d.last_run.state} />}</> : 'never'}
                </Td>
                <Td dataLabel="Iterations">{d.max_iterations !== null ? `${d.iterations} of ${d.max_iterations}` : d.iterations}</Td>
                <Td dataLabel="Owner">{d.owner}</Td>
                <Td dataLabel="State">
                  {manage && d.state !== 'finished'
                    ? <span className="rex-nowrap"><Switch id={`schedule-${d.id}-enabled`} aria-label={`Schedule ${d.id} enabled`} isChecked={d.enabled} isDisabled={busy === d.id} onChange={(_e, on) => void setEnabled(d, on)} /> {d.state}</span>
                    : <Label isCompact color={STATE_COLOUR[d.state]}>{d.state}</Label>}
                </Td>
                <Td isActionCell>
                  {manage && <RowActions label={`schedule ${d.id}`} actions={[{ title: 'Cancel schedule', onClick: () => setCancelling(d), isDanger: true }]} />}
                </Td>
              </Tr>
              <Tr isExpanded={open}>
                <Td colSpan={10}><ExpandableRowContent>{open && <Occurrences d={d} />}</ExpandableRowContent></Td>
              </Tr>
            </Tbody>
          );
        })}
        {list.data && rows.length === 0 && (
          <Tbody><EmptyTableRow colSpan={10} title="No schedules">Schedule an action from Run remote action (&quot;Schedule at a date and time&quot; or a cron line), or with rex schedule create.</EmptyTableRow></Tbody>
        )}
      </Table>
      {cancelling && (
        <ConfirmModal title={`Cancel schedule ${cancelling.id}?`} confirm="Cancel schedule" onClose={() => setCancelling(undefined)} onConfirm={() => deleteSchedule(cancelling.id)} onDone={() => { notify('success', `Schedule ${cancelling.id} cancelled`); list.reload(); }}>
          {cancelling.description || `${cancelling.namespace}.${cancelling.action}`} will not run again: the schedule is deleted, and its pending job cancelled. Jobs it already ran stay in the history.
        </ConfirmModal>
      )}
    </>
  );
}
