import { Button, Label, LabelGroup, Modal, ModalBody, ModalFooter, ModalHeader, PageSection } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useId, useState } from 'react';
import type { WebhookDeliveryDto, WebhookDto } from '@common/webhooks';
import { ConfirmModal } from '../shared/ConfirmModal';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime } from '../shared/format';
import { useLoad } from '../shared/hooks';
import { errorMessage } from '../shared/http';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { Link } from '../shared/router';
import { RowActions } from '../shared/RowActions';
import { deleteWebhook, listDeliveries, listWebhooks, updateWebhook } from './api';
import { EVENT_LABELS, WebhookFormModal } from './WebhookFormModal';

const DELIVERY_COLOR: Record<WebhookDeliveryDto['state'], 'green' | 'red' | 'blue'> = { delivered: 'green', failed: 'red', pending: 'blue' };

/** A webhook's newest deliveries: state, attempts, the receiver's last answer, and when. */
function DeliveriesModal({ webhook, onClose }: { webhook: WebhookDto; onClose(): void }) {
  const titleId = useId();
  const deliveries = useLoad(() => listDeliveries(webhook.id), [webhook.id]);
  const rows = deliveries.data?.results ?? [];
  return (
    <Modal isOpen variant="large" onClose={onClose} aria-labelledby={titleId}>
      <ModalHeader title={`Deliveries of ${webhook.name}`} labelId={titleId} description="The newest 20, newest first. A failed attempt is retried with backoff until it is delivered or gives up." />
      <ModalBody>
        <ErrorAlert error={deliveries.error} title="Cannot list deliveries" />
        <Table aria-label={`Deliveries of ${webhook.name}`} variant="compact">
          <Thead><Tr><Th>Event</Th><Th>Job</Th><Th>State</Th><Th>Attempts</Th><Th>Last answer</Th><Th>Last attempt</Th><Th>Next attempt</Th></Tr></Thead>
          <Tbody>
            {rows.map((d) => (
              <Tr key={d.id}>
                <Td dataLabel="Event">{d.event}</Td>
                <Td dataLabel="Job">{d.job_id !== null ? <Link to={`/jobs/${d.job_id}`}>{d.job_id}</Link> : '—'}</Td>
                <Td dataLabel="State"><Label isCompact color={DELIVERY_COLOR[d.state]}>{d.state}</Label></Td>
                <Td dataLabel="Attempts">{d.attempts}</Td>
                <Td dataLabel="Last answer">{d.last_status_code !== null ? `HTTP ${d.last_status_code}` : d.last_error ?? '—'}</Td>
                <Td dataLabel="Last attempt">{d.last_attempt_at ? formatTime(d.last_attempt_at) : '—'}</Td>
                <Td dataLabel="Next attempt">{d.next_attempt_at ? formatTime(d.next_attempt_at) : '—'}</Td>
              </Tr>
            ))}
            {deliveries.data && rows.length === 0 && <EmptyTableRow colSpan={7} title="No deliveries yet">A delivery is made when one of the webhook's events happens: a job is created or ends, a schedule occurrence fires.</EmptyTableRow>}
          </Tbody>
        </Table>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={onClose}>Close</Button>
      </ModalFooter>
    </Modal>
  );
}

/**
 * Administer > Webhooks (issue #19): other systems told when a job ends. Administrators only, as
 * the API says; the navigation shows the entry to them alone, and the API's refusal shows as an
 * alert if the page is opened anyway.
 */
export function WebhooksPage() {
  const notify = useNotify();
  const [editing, setEditing] = useState<WebhookDto | 'new'>();
  const [deleting, setDeleting] = useState<WebhookDto>();
  const [watching, setWatching] = useState<WebhookDto>();
  const webhooks = useLoad(() => listWebhooks(), []);
  const rows = webhooks.data?.results ?? [];
  const toggle = async (w: WebhookDto) => {
    try {
      await updateWebhook(w.id, { enabled: !w.enabled });
      notify('success', `Webhook ${w.name} ${w.enabled ? 'disabled' : 'enabled'}`);
      webhooks.reload();
    } catch (err) {
      notify('danger', `Webhook ${w.name} was not changed`, errorMessage(err));
    }
  };
  return (
    <>
      <PageHeader title="Webhooks" description="Each is told, with a signed POST, when one of its events happens: a job is created or ends, a schedule occurrence fires." actions={<Button onClick={() => setEditing('new')}>Create webhook</Button>} />
      <PageSection>
        <ErrorAlert error={webhooks.error} title="Cannot list webhooks" />
        <Table aria-label="Webhooks" variant="compact">
          <Thead><Tr><Th>Name</Th><Th>URL</Th><Th>Events</Th><Th>Status</Th><Th screenReaderText="Actions" /></Tr></Thead>
          <Tbody>
            {rows.map((w) => (
              <Tr key={w.id}>
                <Td dataLabel="Name">{w.name}</Td>
                <Td dataLabel="URL" modifier="breakWord">{w.url}</Td>
                <Td dataLabel="Events"><LabelGroup>{w.events.map((e) => <Label key={e} isCompact>{EVENT_LABELS[e]}</Label>)}</LabelGroup></Td>
                <Td dataLabel="Status">{w.enabled ? <Label isCompact status="success">enabled</Label> : <Label isCompact color="grey">disabled</Label>}</Td>
                <Td isActionCell>
                  <RowActions label={w.name} actions={[
                    { title: 'Edit', onClick: () => setEditing(w) },
                    { title: w.enabled ? 'Disable' : 'Enable', onClick: () => void toggle(w) },
                    { title: 'Deliveries', onClick: () => setWatching(w) },
                    { title: 'Delete', onClick: () => setDeleting(w), isDanger: true, separated: true },
                  ]} />
                </Td>
              </Tr>
            ))}
            {webhooks.data && rows.length === 0 && <EmptyTableRow colSpan={5} title="No webhooks">Create one to tell a chat room or a ticket system when jobs end.</EmptyTableRow>}
          </Tbody>
        </Table>
      </PageSection>
      {editing && <WebhookFormModal webhook={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} onSaved={(w) => { notify('success', `Webhook ${w.name} ${editing === 'new' ? 'created' : 'saved'}`); webhooks.reload(); }} />}
      {watching && <DeliveriesModal webhook={watching} onClose={() => setWatching(undefined)} />}
      {deleting && (
        <ConfirmModal title={`Delete webhook ${deleting.name}?`} confirm="Delete" onClose={() => setDeleting(undefined)} onConfirm={() => deleteWebhook(deleting.id)} onDone={() => { notify('success', `Webhook ${deleting.name} deleted`); webhooks.reload(); }}>
          {deleting.url} is no longer told when jobs end, and the webhook's delivery log is deleted with it.
        </ConfirmModal>
      )}
    </>
  );
}
