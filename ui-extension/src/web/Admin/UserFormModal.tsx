import { Alert, Button, Checkbox, Form, FormGroup, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core';
import { useId, useState } from 'react';
import type { UserDto } from '@common/users';
import { useLoad } from '../shared/hooks';
import { errorMessage } from '../shared/http';
import { useSession } from '../shared/session';
import { createUser, listRoles, updateUser, type UserFields } from './api';

/**
 * Creates a user, or changes one (`user` given): login, names, mail, password, roles, and the
 * admin flag (shown to administrators only, as only they may set it). Only changed fields are
 * sent, so a manager of users may edit what the API lets it; refusals show the API's message.
 */
export function UserFormModal({ user, onClose, onSaved }: { user?: UserDto; onClose(): void; onSaved(u: UserDto): void }) {
  const session = useSession();
  const titleId = useId();
  const [login, setLogin] = useState(user?.login ?? '');
  const [firstname, setFirstname] = useState(user?.firstname ?? '');
  const [lastname, setLastname] = useState(user?.lastname ?? '');
  const [mail, setMail] = useState(user?.mail ?? '');
  const [password, setPassword] = useState('');
  const [admin, setAdmin] = useState(user?.admin ?? false);
  const [disabled, setDisabled] = useState(user?.disabled ?? false);
  const [roleIds, setRoleIds] = useState<number[]>(user?.roles.map((r) => r.id) ?? []);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const roles = useLoad(() => listRoles({ page: 1, per_page: 1000 }), []);

  const changes = (): UserFields => {
    const f: UserFields = {};
    if (!user || login !== user.login) f.login = login;
    if (password) f.password = password;
    if (!user || firstname !== (user.firstname ?? '')) f.firstname = firstname || null;
    if (!user || lastname !== (user.lastname ?? '')) f.lastname = lastname || null;
    if (!user || mail !== (user.mail ?? '')) f.mail = mail || null;
    if (session.user.admin && (!user || admin !== user.admin)) f.admin = admin;
    if (user && disabled !== user.disabled) f.disabled = disabled;
    const before = (user?.roles.map((r) => r.id) ?? []).sort().join(',');
    if (!user || [...roleIds].sort().join(',') !== before) f.role_ids = roleIds;
    return f;
  };

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const f = changes();
      const saved = user ? await updateUser(user.id, f) : await createUser(f);
      onSaved(saved);
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal isOpen variant="medium" onClose={onClose} aria-labelledby={titleId}>
      <ModalHeader title={user ? `Edit user ${user.login}` : 'Create user'} labelId={titleId} />
      <ModalBody>
        <Form id="user-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
          <FormGroup label="Login" fieldId="user-login" isRequired>
            <TextInput id="user-login" value={login} onChange={(_e, v) => setLogin(v)} isRequired autoComplete="off" />
          </FormGroup>
          <FormGroup label="First name" fieldId="user-firstname">
            <TextInput id="user-firstname" value={firstname} onChange={(_e, v) => setFirstname(v)} />
          </FormGroup>
          <FormGroup label="Last name" fieldId="user-lastname">
            <TextInput id="user-lastname" value={lastname} onChange={(_e, v) => setLastname(v)} />
          </FormGroup>
          <FormGroup label="Mail" fieldId="user-mail">
            <TextInput id="user-mail" type="email" value={mail} onChange={(_e, v) => setMail(v)} />
          </FormGroup>
          <FormGroup label={user ? 'New password (leave empty to keep it)' : 'Password'} fieldId="user-password" isRequired={!user}>
            <TextInput id="user-password" type="password" value={password} onChange={(_e, v) => setPassword(v)} isRequired={!user} autoComplete="new-password" />
          </FormGroup>
          {session.user.admin && <Checkbox id="user-admin" label="Administrator (every permission, every organization)" isChecked={admin} onChange={(_e, v) => setAdmin(v)} />}
          {user && <Checkbox id="user-disabled" label="Disabled (cannot log in; its tokens stop working)" isChecked={disabled} onChange={(_e, v) => setDisabled(v)} />}
          <FormGroup label="Roles" fieldId="user-roles" role="group">
            {(roles.data?.results ?? []).map((r) => (
              <Checkbox key={r.id} id={`user-role-${r.id}`} label={r.name} description={r.description ?? undefined} isChecked={roleIds.includes(r.id)} onChange={(_e, on) => setRoleIds((ids) => (on ? [...ids, r.id] : ids.filter((x) => x !== r.id)))} />
            ))}
            {roles.error !== undefined && <Alert variant="warning" isInline title="Cannot list roles">{errorMessage(roles.error)}</Alert>}
          </FormGroup>
          {error !== undefined && <Alert variant="danger" isInline role="alert" title={user ? 'The user was not changed' : 'The user was not created'}>{errorMessage(error)}</Alert>}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="user-form" isDisabled={busy || login.trim() === '' || (!user && password === '')} isLoading={busy}>{user ? 'Save' : 'Create'}</Button>
        <Button variant="link" onClick={onClose}>Cancel</Button>
      </ModalFooter>
    </Modal>
  );
}
