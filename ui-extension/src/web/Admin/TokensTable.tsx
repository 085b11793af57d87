import { Alert, Button, ClipboardCopy, Form, FormGroup, Label, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useId, useState } from 'react';
import type { TokenDto } from '@common/users';
import { ConfirmModal } from '../shared/ConfirmModal';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime, relativeTime } from '../shared/format';
import { useLoad } from '../shared/hooks';
import { errorMessage } from '../shared/http';
import { ListToolbar } from '../shared/ListToolbar';
import { useNotify } from '../shared/Notifications';
import { createToken, listTokens, revokeToken } from './api';

function tokenState(t: TokenDto): { text: string; color: 'green' | 'grey' | 'orange' } {
  if (t.revoked) return { text: 'revoked', color: 'grey' };
  if (!t.active) return { text: 'expired', color: 'orange' };
  return { text: 'active', color: 'green' };
}

/** Creates a token; its secret is shown once, in this dialog, as the API answers it only here. */
function CreateTokenModal({ user, onClose, onCreated }: { user: number; onClose(): void; onCreated(): void }) {
  const titleId = useId();
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<TokenDto>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      // A date input's day ends at local midnight; the API wants an instant.
      const token = await createToken(user, { name, expires_at: expires ? new Date(`${expires}T23:59:59`).toISOString() : null });
      setCreated(token);
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal isOpen variant="small" onClose={onClose} aria-labelledby={titleId}>
      <ModalHeader title={created ? `Token ${created.name} created` : 'Create personal access token'} labelId={titleId} />
      <ModalBody>
        {created ? (
          <>
            <Alert variant="warning" isInline title="Copy the token now: it is not shown again." />
            <ClipboardCopy isReadOnly hoverTip="Copy" clickTip="Copied" textAriaLabel="New token" toggleAriaLabel="Show the token" className="rex-section-title">{created.token_value ?? ''}</ClipboardCopy>
          </>
        ) : (
          <Form id="token-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
            <FormGroup label="Name" fieldId="token-name" isRequired>
              <TextInput id="token-name" value={name} onChange={(_e, v) => setName(v)} isRequired />
            </FormGroup>
            <FormGroup label="Expires (leave empty for never)" fieldId="token-expires">
              <TextInput id="token-expires" type="date" value={expires} onChange={(_e, v) => setExpires(v)} />
            </FormGroup>
            {error !== undefined && <Alert variant="danger" isInline role="alert" title="The token was not created">{errorMessage(error)}</Alert>}
          </Form>
        )}
      </ModalBody>
      <ModalFooter>
        {created ? <Button onClick={onClose}>Done</Button> : (
          <>
            <Button type="submit" form="token-form" isDisabled={busy || name.trim() === ''} isLoading={busy}>Create</Button>
            <Button variant="link" onClick={onClose}>Cancel</Button>
          </>
        )}
      </ModalFooter>
    </Modal>
  );
}

/**
 * A user's personal access tokens (Foreman's My Account > Personal Access Tokens): one's own, or
 * another's with manage_users (the API refuses an administrator's to a non-administrator, and the
 * refusal shows here). Create shows the secret once; revoke asks first.
 */
export function TokensTable({ user, login }: { user: number; login: string }) {
  const notify = useNotify();
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<TokenDto>();
  const tokens = useLoad(() => listTokens(user, { page: page.page, per_page: page.perPage }), [user, page]);
  const rows = tokens.data?.results ?? [];
  return (
    <>
      <ListToolbar
        id="tokens-toolbar"
        actions={<Button variant="secondary" onClick={() => setCreating(true)} isDisabled={tokens.error !== undefined}>Create token</Button>}
        total={tokens.data?.subtotal ?? 0}
        page={page.page}
        perPage={page.perPage}
        onPage={(p, pp) => setPage({ page: p, perPage: pp })}
      />
      <ErrorAlert error={tokens.error} title={`Cannot list the tokens of ${login}`} />
      <Table aria-label={`Personal access tokens of ${login}`} variant="compact">
        <Thead><Tr><Th>Name</Th><Th>State</Th><Th>Created</Th><Th>Expires</Th><Th>Last used</Th><Th screenReaderText="Revoke" /></Tr></Thead>
        <Tbody>
          {rows.map((t) => {
            const state = tokenState(t);
            return (
              <Tr key={t.id}>
                <Td dataLabel="Name">{t.name}</Td>
                <Td dataLabel="State"><Label isCompact color={state.color}>{state.text}</Label></Td>
                <Td dataLabel="Created" className="rex-nowrap">{formatTime(t.created_at)}</Td>
                <Td dataLabel="Expires" className="rex-nowrap">{t.expires_at ? formatTime(t.expires_at) : 'never'}</Td>
                <Td dataLabel="Last used">{relativeTime(t.last_used_at)}</Td>
                <Td isActionCell>{!t.revoked && <Button variant="link" isDanger onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>Revoke</Button>}</Td>
              </Tr>
            );
          })}
          {tokens.data && rows.length === 0 && <EmptyTableRow colSpan={6} title="No personal access tokens">The rex CLI and scripts log in with one.</EmptyTableRow>}
        </Tbody>
      </Table>
      {creating && <CreateTokenModal user={user} onClose={() => setCreating(false)} onCreated={tokens.reload} />}
      {revoking && (
        <ConfirmModal title={`Revoke token ${revoking.name}?`} confirm="Revoke" onClose={() => setRevoking(undefined)} onConfirm={() => revokeToken(user, revoking.id)} onDone={() => { notify('success', `Token ${revoking.name} revoked`); tokens.reload(); }}>
          Scripts and CLI logins using it stop working at once.
        </ConfirmModal>
      )}
    </>
  );
}
