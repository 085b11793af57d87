import { Button, Label, LabelGroup, PageSection } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { UserDto } from '@common/users';
import { ConfirmModal } from '../shared/ConfirmModal';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { useLoad } from '../shared/hooks';
import { ListToolbar } from '../shared/ListToolbar';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { Link, useRouter } from '../shared/router';
import { RowActions } from '../shared/RowActions';
import { SearchBar } from '../shared/SearchBar';
import { useSession } from '../shared/session';
import { deleteUser, listUsers } from './api';
import { UserFormModal } from './UserFormModal';

export const fullName = (u: Pick<UserDto, 'firstname' | 'lastname'>) => [u.firstname, u.lastname].filter(Boolean).join(' ');

/**
 * Foreman's Administer > Users: search, paging, create, edit and delete. Needs manage_users (the
 * navigation hides it otherwise; the API's refusal shows as an alert if the page is opened anyway).
 */
export function UsersPage() {
  const { can, user: me } = useSession();
  const { navigate } = useRouter();
  const notify = useNotify();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const [editing, setEditing] = useState<UserDto | 'new'>();
  const [deleting, setDeleting] = useState<UserDto>();
  const users = useLoad(() => listUsers({ search, page: page.page, per_page: page.perPage }), [search, page]);
  const manage = can('manage_users');
  const rows = users.data?.results ?? [];
  return (
    <>
      <PageHeader title="Users" actions={manage && <Button onClick={() => setEditing('new')}>Create user</Button>} />
      <PageSection>
        <ListToolbar
          id="users-toolbar"
          search={<SearchBar value={search} onSearch={(s) => { setSearch(s); setPage({ ...page, page: 1 }); }} placeholder="e.g. login ~ ops or admin = true" ariaLabel="Search users" />}
          total={users.data?.subtotal ?? 0}
          page={page.page}
          perPage={page.perPage}
          onPage={(p, pp) => setPage({ page: p, perPage: pp })}
        />
        <ErrorAlert error={users.error} title="Cannot list users" />
        <Table aria-label="Users" variant="compact">
          <Thead><Tr><Th>Login</Th><Th>Name</Th><Th>Mail</Th><Th>Roles</Th><Th>Status</Th><Th screenReaderText="Actions" /></Tr></Thead>
          <Tbody>
            {rows.map((u) => (
              <Tr key={u.id}>
                <Td dataLabel="Login"><Link to={`/users/${u.id}`}>{u.login}</Link></Td>
                <Td dataLabel="Name">{fullName(u) || '—'}</Td>
                <Td dataLabel="Mail">{u.mail ?? '—'}</Td>
                <Td dataLabel="Roles">{u.roles.length > 0 ? <LabelGroup>{u.roles.map((r) => <Label key={r.id} isCompact>{r.name}</Label>)}</LabelGroup> : '—'}</Td>
                <Td dataLabel="Status">
                  {u.admin && <Label isCompact color="purple">admin</Label>} {u.disabled ? <Label isCompact color="grey">disabled</Label> : <Label isCompact status="success">active</Label>}
                </Td>
                <Td isActionCell>
                  {manage && (
                    <RowActions label={u.login} actions={[
                      { title: 'Edit', onClick: () => setEditing(u) },
                      { title: 'Personal access tokens', onClick: () => navigate(`/users/${u.id}`) },
                      { title: 'Delete', onClick: () => setDeleting(u), isDisabled: u.id === me.id, description: u.id === me.id ? 'You cannot delete yourself' : undefined, isDanger: true, separated: true },
                    ]} />
                  )}
                </Td>
              </Tr>
            ))}
            {users.data && rows.length === 0 && <EmptyTableRow colSpan={6} filtered={search !== ''} title={search ? 'No users match this search' : 'No users'} />}
          </Tbody>
        </Table>
      </PageSection>
      {editing && <UserFormModal user={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} onSaved={(u) => { notify('success', `User ${u.login} ${editing === 'new' ? 'created' : 'saved'}`); users.reload(); }} />}
      {deleting && (
        <ConfirmModal title={`Delete user ${deleting.login}?`} confirm="Delete" onClose={() => setDeleting(undefined)} onConfirm={() => deleteUser(deleting.id)} onDone={() => { notify('success', `User ${deleting.login} deleted`); users.reload(); }}>
          {deleting.login} can no longer log in, and its personal access tokens stop working. Its jobs and audit entries stay.
        </ConfirmModal>
      )}
    </>
  );
}
