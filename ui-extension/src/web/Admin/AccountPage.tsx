import { Alert, Button, Form, FormGroup, PageSection, TextInput, Title } from '@patternfly/react-core';
import { useState } from 'react';
import { LoadFailure } from '../shared/EmptyStates';
import { useLoad } from '../shared/hooks';
import { errorMessage } from '../shared/http';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { useSession } from '../shared/session';
import { getUser, updateUser } from './api';
import { TokensTable } from './TokensTable';
import { UserDetails } from './UserDetails';

/** Changing one's own password: the API asks for the current one (and throttles wrong ones like logins). */
function PasswordForm({ userId }: { userId: number }) {
  const notify = useNotify();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await updateUser(userId, { current_password: current, password: next });
      notify('success', 'Password changed');
      setCurrent('');
      setNext('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Form id="password-form" onSubmit={(e) => { e.preventDefault(); void submit(); }} maxWidth="480px">
      <FormGroup label="Current password" fieldId="password-current" isRequired>
        <TextInput id="password-current" type="password" value={current} onChange={(_e, v) => setCurrent(v)} autoComplete="current-password" isRequired />
      </FormGroup>
      <FormGroup label="New password (at least 8 characters)" fieldId="password-new" isRequired>
        <TextInput id="password-new" type="password" value={next} onChange={(_e, v) => setNext(v)} autoComplete="new-password" isRequired />
      </FormGroup>
      {error !== undefined && <Alert variant="danger" isInline role="alert" title="The password was not changed">{errorMessage(error)}</Alert>}
      <div><Button type="submit" isDisabled={busy || current === '' || next === ''} isLoading={busy}>Change password</Button></div>
    </Form>
  );
}

/** Foreman's My Account: one's own account, password and personal access tokens; needs no permission. */
export function AccountPage() {
  const { user: me } = useSession();
  const user = useLoad(() => getUser(me.id), [me.id]);
  return (
    <>
      <PageHeader title="My account" />
      <PageSection>
        {user.error !== undefined && <LoadFailure error={user.error} what="Your account" back={{ to: '/hosts', label: 'Hosts' }} title="Cannot load your account" />}
        {user.data && <UserDetails user={user.data} />}
        <Title headingLevel="h2" size="lg" className="rex-section-title">Password</Title>
        <PasswordForm userId={me.id} />
        <Title headingLevel="h2" size="lg" className="rex-section-title">Personal access tokens</Title>
        <TokensTable user={me.id} login={me.login} />
      </PageSection>
    </>
  );
}
