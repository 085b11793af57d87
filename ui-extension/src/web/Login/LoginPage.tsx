import { LoginForm, LoginPage as PfLoginPage } from '@patternfly/react-core';
import { ExclamationCircleIcon } from '@patternfly/react-icons';
import { useState, type FormEvent } from 'react';
import type { SessionResponse } from '@common/session';
import { errorMessage } from '../shared/http';
import { login } from './api';

/** Foreman-style login: user name and password, the API's message on failure. */
export function LoginPage({ onLoggedIn, notice }: { onLoggedIn(session: SessionResponse): void; notice?: string }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(notice);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onLoggedIn(await login({ login: user, password }));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <PfLoginPage loginTitle="Log in to your account" textContent="mco-rex: remote execution over MCollective and Choria." brandImgSrc={undefined}>
      <LoginForm
        showHelperText={error !== undefined}
        helperText={error}
        helperTextIcon={<ExclamationCircleIcon />}
        usernameLabel="Username"
        usernameValue={user}
        onChangeUsername={(_e, v) => setUser(v)}
        isValidUsername={error === undefined}
        passwordLabel="Password"
        passwordValue={password}
        onChangePassword={(_e, v) => setPassword(v)}
        isValidPassword={error === undefined}
        onLoginButtonClick={submit}
        loginButtonLabel="Log in"
        isLoginButtonDisabled={busy || user === '' || password === ''}
      />
    </PfLoginPage>
  );
}
