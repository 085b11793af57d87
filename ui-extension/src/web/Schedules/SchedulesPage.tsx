import { Button, Modal, ModalBody, ModalFooter, ModalHeader, PageSection, Switch, TextInput } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime, formatValue, targetingText, toLocalInput } from '../shared/format';
import { errorMessage } from '../shared/http';
import { useLoad } from '../shared/hooks';
import { ListToolbar } from '../shared/ListToolbar';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import type { Schedule, ScheduleOccurrence } from '@common/schedules';
import { deleteSchedule, disableSchedule, enableSchedule, occurrences } from './api';

const DAY = 86_400_000;

/** Upcoming occurrences of scheduled actions in a date range; enable, disable and delete schedules. */
export function SchedulesPage() {
  const [from, setFrom] = useState(() => toLocalInput(new Date()));
  const [to, setTo] = useState(() => toLocalInput(new Date(Date.now() + 7 * DAY)));
  const [page, setPage] = useState({ page: 1, perPage: 50 });
  const [deleting, setDeleting] = useState<Schedule>();
  // The API lists occurrences of enabled schedules only; a schedule disabled here stays on screen
  // (switched off) so that it can be enabled again without searching for it.
  const [disabled, setDisabled] = useState<ScheduleOccurrence[]>([]);
  const notify = useNotify();
  const list = useLoad(() => occurrences({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), page: page.page, per_page: page.perPage }), [from, to, page]);

  const act = async (what: string, call: () => Promise<unknown>, after?: () => void) => {
    try {
      await call();
      notify('success', what);
      after?.();
      list.reload();
    } catch (error) {
      notify('danger', `${what}: failed`, errorMessage(error));
    }
  };

  return (
    <>
      <PageHeader title="Schedules" description="Upcoming runs of scheduled remote actions." />
      <PageSection>
        <ListToolbar
          id="schedules-toolbar"
          search={
            <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
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
        <ErrorAlert error={list.error} title="Cannot list schedules" />
        <Table aria-label="Scheduled runs" variant="compact">
          <Thead>
            <Tr><Th>At</Th><Th>Action</Th><Th>Arguments</Th><Th>Target</Th><Th>Recurrence</Th><Th>Owner</Th><Th>Enabled</Th><Th screenReaderText="Delete" /></Tr>
          </Thead>
          <Tbody>
            {[...(list.data?.results ?? []).filter((o) => !disabled.some((d) => d.schedule_id === o.schedule_id)), ...disabled].map((o) => {
              const s = o.schedule;
              return (
                <Tr key={`${o.schedule_id}-${o.at}`}>
                  <Td dataLabel="At" className="rex-nowrap">{formatTime(o.at)}</Td>
                  <Td dataLabel="Action">{s.description || `${s.namespace}.${s.action}`}</Td>
                  <Td dataLabel="Arguments" className="rex-mono">{Object.entries(s.arguments).map(([k, v]) => `${k}=${formatValue(v)}`).join(', ') || '—'}</Td>
                  <Td dataLabel="Target">{targetingText(s.targeting)}</Td>
                  <Td dataLabel="Recurrence">{s.cron_line ? `${s.cron_line} (${s.time_zone})` : 'once'}</Td>
                  <Td dataLabel="Owner">{s.owner}</Td>
                  <Td dataLabel="Enabled">
                    <Switch id={`schedule-${o.schedule_id}-${o.at}`} aria-label={`Schedule ${s.id} enabled`} isChecked={s.enabled} onChange={(_e, on) => act(`Schedule ${s.id} ${on ? 'enabled' : 'disabled'}`, () => (on ? enableSchedule(s.id) : disableSchedule(s.id)), () => setDisabled((d) => (on ? d.filter((x) => x.schedule_id !== s.id) : [...d, ...(list.data?.results ?? []).filter((x) => x.schedule_id === s.id).map((x) => ({ ...x, schedule: { ...x.schedule, enabled: false } }))])))} />
                  </Td>
                  <Td isActionCell><Button variant="link" isDanger onClick={() => setDeleting(s)}>Delete</Button></Td>
                </Tr>
              );
            })}
            {!list.loading && (list.data?.results.length ?? 0) === 0 && list.error === undefined && <Tr><Td colSpan={8}>No runs scheduled in this range.</Td></Tr>}
          </Tbody>
        </Table>
      </PageSection>
      {deleting && (
        <Modal isOpen variant="small" onClose={() => setDeleting(undefined)} aria-labelledby="delete-schedule-title">
          <ModalHeader title={`Delete schedule ${deleting.id}?`} labelId="delete-schedule-title" titleIconVariant="warning" />
          <ModalBody>{deleting.namespace}.{deleting.action} will not run again. Jobs it already ran stay in the history.</ModalBody>
          <ModalFooter>
            <Button variant="danger" onClick={() => { const s = deleting; setDeleting(undefined); void act(`Schedule ${s.id} deleted`, () => deleteSchedule(s.id), () => setDisabled((d) => d.filter((x) => x.schedule_id !== s.id))); }}>Delete</Button>
            <Button variant="link" onClick={() => setDeleting(undefined)}>Cancel</Button>
          </ModalFooter>
        </Modal>
      )}
    </>
  );
}
