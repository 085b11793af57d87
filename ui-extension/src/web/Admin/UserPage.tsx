import { Button, PageSection, Title } from '@patternfly/react-core';
import { useState } from 'react';
import { ConfirmModal } from '../shared/ConfirmModal';
import { LoadFailure } from '../shared/EmptyStates';
import { useLoad } from '../shared/hooks';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { useRouter } from '../shared/router';
import { useSession } from '../shared/session';
import { deleteUser, getUser } from './api';
import { TokensTable } from './TokensTable';
import { UserDetails } from './UserDetails';
import { UserFormModal } from './UserFormModal';

/** One user (Administer > Users > a user): its account, Edit and Delete, and its personal access tokens. */
export function UserPage({ id }: { id: string }) {
  const { can, user: me } = useSession();
  const { navigate } = useRouter();
  const notify = useNotify();
  const user = useLoad(() => getUser(id), [id]);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const u = user.data;
  const manage = can('manage_users');
  return (
    <>
      <PageHeader
        title={u?.login ?? `User ${id}`}
        crumbs={[{ to: '/users', label: 'Users' }]}
        actions={u && manage && (
          <div className="rex-actions">
            <Button variant="secondary" onClick={() => setEditing(true)}>Edit</Button>
            {u.id !== me.id && <Button variant="danger" onClick={() => setDeleting(true)}>Delete</Button>}
          </div>
        )}
      />
      <PageSection>
        {user.error !== undefined && <LoadFailure error={user.error} what={`User ${id}`} back={{ to: '/users', label: 'All users' }} title="Cannot load the user" />}
        {u && (
          <>
            <UserDetails user={u} />
            <Title headingLevel="h2" size="lg" className="rex-section-title">Personal access tokens</Title>
            <TokensTable user={u.id} login={u.login} />
          </>
        )}
      </PageSection>
      {editing && u && <UserFormModal user={u} onClose={() => setEditing(false)} onSaved={(saved) => { notify('success', `User ${saved.login} saved`); user.reload(); }} />}
      {deleting && u && (
        <ConfirmModal title={`Delete user ${u.login}?`} confirm="Delete" onClose={() => setDeleting(false)} onConfirm={() => deleteUser(u.id)} onDone={() => { notify('success', `User ${u.login} deleted`); navigate('/users'); }}>
          {u.login} can no longer log in, and its personal access tokens stop working. Its jobs and audit entries stay.
        </ConfirmModal>
      )}
    </>
  );
}
