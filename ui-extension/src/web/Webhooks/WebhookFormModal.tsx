import { Alert, Button, Checkbox, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core';
import { useId, useState } from 'react';
import { JOB_END_EVENTS, WEBHOOK_EVENTS, type WebhookDto, type WebhookEvent } from '@common/webhooks';
import { errorMessage } from '../shared/http';
import { createWebhook, updateWebhook, type WebhookFields } from './api';

export const EVENT_LABELS: Record<WebhookEvent, string> = {
  job_succeeded: 'Job succeeded',
  job_failed: 'Job failed',
  job_cancelled: 'Job cancelled',
  job_created: 'Job created',
  schedule_occurrence_fired: 'Schedule occurrence fired',
};

/**
 * Adds a webhook, or changes one (`webhook` given): name, URL, events and the signing secret. The
 * API never sends a secret back, so on a change the secret field is empty and sent only when filled.
 * The API's refusals (a URL that is not http(s), a short secret) show as its message.
 */
export function WebhookFormModal({ webhook, onClose, onSaved }: { webhook?: WebhookDto; onClose(): void; onSaved(w: WebhookDto): void }) {
  const titleId = useId();
  const [name, setName] = useState(webhook?.name ?? '');
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [secret, setSecret] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>(webhook?.events ?? [...JOB_END_EVENTS]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const changes = (): WebhookFields => {
    const f: WebhookFields = {};
    if (!webhook || name !== webhook.name) f.name = name;
    if (!webhook || url !== webhook.url) f.url = url;
    if (secret !== '') f.secret = secret;
    if (!webhook || [...events].sort().join(',') !== [...webhook.events].sort().join(',')) f.events = events;
    return f;
  };

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const saved = webhook ? await updateWebhook(webhook.id, changes()) : await createWebhook(changes());
      onSaved(saved);
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal isOpen variant="medium" onClose={onClose} aria-labelledby={titleId}>
      <ModalHeader title={webhook ? `Edit webhook ${webhook.name}` : 'Create webhook'} labelId={titleId} />
      <ModalBody>
        <Form id="webhook-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
          <FormGroup label="Name" fieldId="webhook-name" isRequired>
            <TextInput id="webhook-name" value={name} onChange={(_e, v) => setName(v)} isRequired autoComplete="off" />
          </FormGroup>
          <FormGroup label="URL" fieldId="webhook-url" isRequired>
            <TextInput id="webhook-url" type="url" value={url} onChange={(_e, v) => setUrl(v)} isRequired placeholder="https://chat.example.com/rex" />
          </FormGroup>
          <FormGroup label={webhook ? 'New secret (leave empty to keep it)' : 'Secret'} fieldId="webhook-secret" isRequired={!webhook}>
            <TextInput id="webhook-secret" type="password" value={secret} onChange={(_e, v) => setSecret(v)} isRequired={!webhook} autoComplete="new-password" aria-describedby="webhook-secret-help" />
            <FormHelperText>
              <HelperText id="webhook-secret-help"><HelperTextItem>At least 16 characters. Each delivery carries X-Rex-Signature: sha256=HMAC of the body with it.</HelperTextItem></HelperText>
            </FormHelperText>
          </FormGroup>
          <FormGroup label="Events" fieldId="webhook-events" role="group" isRequired>
            {WEBHOOK_EVENTS.map((e) => (
              <Checkbox key={e} id={`webhook-event-${e}`} label={EVENT_LABELS[e]} isChecked={events.includes(e)} onChange={(_ev, on) => setEvents((list) => (on ? [...list, e] : list.filter((x) => x !== e)))} />
            ))}
          </FormGroup>
          {error !== undefined && <Alert variant="danger" isInline role="alert" title={webhook ? 'The webhook was not changed' : 'The webhook was not created'}>{errorMessage(error)}</Alert>}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="webhook-form" isDisabled={busy || name.trim() === '' || url.trim() === '' || events.length === 0 || (!webhook && secret === '')} isLoading={busy}>{webhook ? 'Save' : 'Create'}</Button>
        <Button variant="link" onClick={onClose}>Cancel</Button>
      </ModalFooter>
    </Modal>
  );
}
