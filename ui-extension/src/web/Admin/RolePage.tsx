import { Alert, Button, Checkbox, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, Label, LabelGroup, Modal, ModalBody, ModalFooter, ModalHeader, PageSection, TextInput, Title } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useId, useState } from 'react';
import type { FilterDto, RoleDto } from '@common/users';
import { ConfirmModal } from '../shared/ConfirmModal';
import { EmptyTableRow, LoadFailure } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { useLoad } from '../shared/hooks';
import { errorMessage } from '../shared/http';
import { ListToolbar } from '../shared/ListToolbar';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { useRouter } from '../shared/router';
import { RowActions } from '../shared/RowActions';
import { useSession } from '../shared/session';
import { createFilter, deleteFilter, getRole, permissions as listPermissions, roleFilters, updateFilter } from './api';
import { RoleNameModal } from './RolesPage';

/** Adds a filter to a role, or changes one: the permissions it grants and the search that narrows them. */
function FilterModal({ role, filter, onClose, onSaved }: { role: RoleDto; filter?: FilterDto; onClose(): void; onSaved(): void }) {
  const titleId = useId();
  const all = useLoad(() => listPermissions(), []);
  const [chosen, setChosen] = useState<string[]>(filter?.permissions.map((p) => p.name) ?? []);
  const [search, setSearch] = useState(filter?.search ?? '');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const keys = Array.isArray(all.data?.filter_search_keys) ? (all.data.filter_search_keys as string[]) : [];
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const fields = { permissions: chosen, search: search.trim() || null };
      if (filter) await updateFilter(filter.id, fields);
      else await createFilter({ role_id: role.id, ...fields });
      onSaved();
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Modal isOpen variant="medium" onClose={onClose} aria-labelledby={titleId}>
      <ModalHeader title={filter ? `Edit filter ${filter.id} of ${role.name}` : `Add a filter to ${role.name}`} labelId={titleId} />
      <ModalBody>
        <Form id="filter-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
          <FormGroup label="Permissions" fieldId="filter-permissions" role="group" isRequired>
            {(all.data?.results ?? []).map((p) => (
              <Checkbox key={p.id} id={`filter-permission-${p.name}`} label={p.name} description={p.description} isChecked={chosen.includes(p.name)} onChange={(_e, on) => setChosen((c) => (on ? [...c, p.name] : c.filter((x) => x !== p.name)))} />
            ))}
            {all.error !== undefined && <Alert variant="danger" isInline title="Cannot list permissions">{errorMessage(all.error)}</Alert>}
          </FormGroup>
          <FormGroup label="Search (empty: unlimited)" fieldId="filter-search">
            <TextInput id="filter-search" value={search} onChange={(_e, v) => setSearch(v)} placeholder="e.g. hostgroup_title = base/web and namespace = service" />
            <FormHelperText><HelperText><HelperTextItem>{keys.length > 0 ? `Keys: ${keys.join(', ')}; join terms with "and", name several values with ^ (a, b).` : 'Terms joined with "and".'}</HelperTextItem></HelperText></FormHelperText>
          </FormGroup>
          {error !== undefined && <Alert variant="danger" isInline role="alert" title="The filter was not saved">{errorMessage(error)}</Alert>}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="filter-form" isDisabled={busy || chosen.length === 0} isLoading={busy}>Save</Button>
        <Button variant="link" onClick={onClose}>Cancel</Button>
      </ModalFooter>
    </Modal>
  );
}

/** A role's filters: each grants permissions, narrowed by its search. A locked (built-in) role is read-only; Clone makes an editable copy. */
export function RolePage({ id }: { id: string }) {
  const { can } = useSession();
  const { navigate } = useRouter();
  const notify = useNotify();
  const role = useLoad(() => getRole(id), [id]);
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const filters = useLoad(() => roleFilters(id, { page: page.page, per_page: page.perPage }), [id, page]);
  const [editing, setEditing] = useState<FilterDto | 'new'>();
  const [deleting, setDeleting] = useState<FilterDto>();
  const [cloning, setCloning] = useState(false);
  const r = role.data;
  const editable = !!r && !r.locked && can('manage_users');
  const rows = filters.data?.results ?? [];
  return (
    <>
      <PageHeader
        title={r?.name ?? `Role ${id}`}
        description={r?.description ?? undefined}
        crumbs={[{ to: '/roles', label: 'Roles' }]}
        actions={r && can('manage_users') && (
          <div className="rex-actions">
            {editable && <Button onClick={() => setEditing('new')}>Add filter</Button>}
            <Button variant="secondary" onClick={() => setCloning(true)}>Clone</Button>
          </div>
        )}
      />
      <PageSection>
        {role.error !== undefined && <LoadFailure error={role.error} what={`Role ${id}`} back={{ to: '/roles', label: 'All roles' }} title="Cannot load the role" />}
        {r?.locked && <Alert variant="info" isInline title="This role is built in and locked">Clone it to change what it grants; users keep it until you assign the clone.</Alert>}
        {r && (
          <>
            <Title headingLevel="h2" size="lg" className="rex-section-title">Filters</Title>
            <ListToolbar id="filters-toolbar" total={filters.data?.subtotal ?? 0} page={page.page} perPage={page.perPage} onPage={(p, pp) => setPage({ page: p, perPage: pp })} />
            <ErrorAlert error={filters.error} title="Cannot list the role's filters" />
            <Table aria-label={`Filters of ${r.name}`} variant="compact">
              <Thead><Tr><Th>Permissions</Th><Th>Search</Th><Th screenReaderText="Actions" /></Tr></Thead>
              <Tbody>
                {rows.map((f) => (
                  <Tr key={f.id}>
                    <Td dataLabel="Permissions"><LabelGroup numLabels={6}>{f.permissions.map((p) => <Label key={p.id} isCompact>{p.name}</Label>)}</LabelGroup></Td>
                    <Td dataLabel="Search" className="rex-mono">{f.unlimited ? <Label isCompact color="blue">unlimited</Label> : f.search}</Td>
                    <Td isActionCell>
                      {editable && <RowActions label={`filter ${f.id}`} actions={[{ title: 'Edit', onClick: () => setEditing(f) }, { title: 'Delete', onClick: () => setDeleting(f), isDanger: true, separated: true }]} />}
                    </Td>
                  </Tr>
                ))}
                {filters.data && rows.length === 0 && <EmptyTableRow colSpan={3} title="No filters">This role grants nothing yet.</EmptyTableRow>}
              </Tbody>
            </Table>
          </>
        )}
      </PageSection>
      {editing && r && <FilterModal role={r} filter={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} onSaved={() => { notify('success', editing === 'new' ? `Filter added to ${r.name}` : 'Filter saved'); filters.reload(); role.reload(); }} />}
      {deleting && (
        <ConfirmModal title={`Delete filter ${deleting.id}?`} confirm="Delete" onClose={() => setDeleting(undefined)} onConfirm={() => deleteFilter(deleting.id)} onDone={() => { notify('success', `Filter ${deleting.id} deleted`); filters.reload(); }}>
          The role&apos;s users lose {deleting.permissions.map((p) => p.name).join(', ')}{deleting.unlimited ? '' : ` on ${deleting.search}`} (unless another filter grants it).
        </ConfirmModal>
      )}
      {cloning && r && <RoleNameModal from={r} onClose={() => setCloning(false)} onSaved={(c) => { notify('success', `Role ${r.name} cloned as ${c.name}`); navigate(`/roles/${c.id}`); }} />}
    </>
  );
}
