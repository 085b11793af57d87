import { Alert, Button, Form, FormGroup, Label, Modal, ModalBody, ModalFooter, ModalHeader, PageSection, TextInput } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useId, useState } from 'react';
import type { RoleDto } from '@common/users';
import { ConfirmModal } from '../shared/ConfirmModal';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { useLoad } from '../shared/hooks';
import { errorMessage } from '../shared/http';
import { ListToolbar } from '../shared/ListToolbar';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { Link, useRouter } from '../shared/router';
import { RowActions } from '../shared/RowActions';
import { SearchBar } from '../shared/SearchBar';
import { useSession } from '../shared/session';
import { cloneRole, createRole, deleteRole, listRoles } from './api';

/** Creates a role, or clones `from` under a new name (Foreman's way to change a locked built-in role). */
export function RoleNameModal({ from, onClose, onSaved }: { from?: RoleDto; onClose(): void; onSaved(r: RoleDto): void }) {
  const titleId = useId();
  const [name, setName] = useState(from ? `${from.name} (copy)` : '');
  const [description, setDescription] = useState(from?.description ?? '');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const role = from ? await cloneRole(from.id, { name }) : await createRole({ name, description: description || null });
      onSaved(role);
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Modal isOpen variant="small" onClose={onClose} aria-labelledby={titleId}>
      <ModalHeader title={from ? `Clone role ${from.name}` : 'Create role'} labelId={titleId} />
      <ModalBody>
        <Form id="role-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
          <FormGroup label="Name" fieldId="role-name" isRequired>
            <TextInput id="role-name" value={name} onChange={(_e, v) => setName(v)} isRequired />
          </FormGroup>
          {!from && (
            <FormGroup label="Description" fieldId="role-description">
              <TextInput id="role-description" value={description} onChange={(_e, v) => setDescription(v)} />
            </FormGroup>
          )}
          {error !== undefined && <Alert variant="danger" isInline role="alert" title={from ? 'The role was not cloned' : 'The role was not created'}>{errorMessage(error)}</Alert>}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="role-form" isDisabled={busy || name.trim() === ''} isLoading={busy}>{from ? 'Clone' : 'Create'}</Button>
        <Button variant="link" onClick={onClose}>Cancel</Button>
      </ModalFooter>
    </Modal>
  );
}

/** Foreman's Administer > Roles: built-in roles locked (clone to change), others created, cloned and deleted. */
export function RolesPage() {
  const { can } = useSession();
  const { navigate } = useRouter();
  const notify = useNotify();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const [naming, setNaming] = useState<{ from?: RoleDto }>();
  const [deleting, setDeleting] = useState<RoleDto>();
  const roles = useLoad(() => listRoles({ search, page: page.page, per_page: page.perPage }), [search, page]);
  const manage = can('manage_users');
  const rows = roles.data?.results ?? [];
  return (
    <>
      <PageHeader title="Roles" description="A role grants permissions through its filters; a filter's search narrows them to some hosts or actions." actions={manage && <Button onClick={() => setNaming({})}>Create role</Button>} />
      <PageSection>
        <ListToolbar
          id="roles-toolbar"
          search={<SearchBar value={search} onSearch={(s) => { setSearch(s); setPage({ ...page, page: 1 }); }} placeholder="e.g. name ~ web" ariaLabel="Search roles" />}
          total={roles.data?.subtotal ?? 0}
          page={page.page}
          perPage={page.perPage}
          onPage={(p, pp) => setPage({ page: p, perPage: pp })}
        />
        <ErrorAlert error={roles.error} title="Cannot list roles" />
        <Table aria-label="Roles" variant="compact">
          <Thead><Tr><Th>Name</Th><Th>Description</Th><Th>Filters</Th><Th>Users</Th><Th screenReaderText="Actions" /></Tr></Thead>
          <Tbody>
            {rows.map((r) => (
              <Tr key={r.id}>
                <Td dataLabel="Name"><Link to={`/roles/${r.id}`}>{r.name}</Link> {r.locked && <Label isCompact color="grey">locked</Label>}</Td>
                <Td dataLabel="Description">{r.description ?? '—'}</Td>
                <Td dataLabel="Filters">{r.filters.length}</Td>
                <Td dataLabel="Users">{r.users_count}</Td>
                <Td isActionCell>
                  {manage && (
                    <RowActions label={r.name} actions={[
                      { title: 'Filters', onClick: () => navigate(`/roles/${r.id}`) },
                      { title: 'Clone', onClick: () => setNaming({ from: r }) },
                      { title: 'Delete', onClick: () => setDeleting(r), isDanger: true, isDisabled: r.locked, description: r.locked ? 'Built-in roles cannot be deleted' : undefined, separated: true },
                    ]} />
                  )}
                </Td>
              </Tr>
            ))}
            {roles.data && rows.length === 0 && <EmptyTableRow colSpan={5} filtered={search !== ''} title={search ? 'No roles match this search' : 'No roles'} />}
          </Tbody>
        </Table>
      </PageSection>
      {naming && <RoleNameModal from={naming.from} onClose={() => setNaming(undefined)} onSaved={(r) => { notify('success', `Role ${r.name} ${naming.from ? 'cloned' : 'created'}`); navigate(`/roles/${r.id}`); }} />}
      {deleting && (
        <ConfirmModal title={`Delete role ${deleting.name}?`} confirm="Delete" onClose={() => setDeleting(undefined)} onConfirm={() => deleteRole(deleting.id)} onDone={() => { notify('success', `Role ${deleting.name} deleted`); roles.reload(); }}>
          Its {deleting.users_count} user{deleting.users_count === 1 ? '' : 's'} lose the permissions its filters grant.
        </ConfirmModal>
      )}
    </>
  );
}
