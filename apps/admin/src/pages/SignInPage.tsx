// Sign in with the admin token or a tenant token. The form never submits to a URL: the token stays
// out of the address bar, history and logs, and is kept in this tab's sessionStorage only.
import { useState, type FormEvent } from 'react';
import { useSignIn } from '../session/SessionContext';
import { HeraldApiError } from '@herald/sdk/browser';
import { ErrorMessage } from '../components/ErrorMessage';

export function SignInPage() {
  const signIn = useSignIn();
  const [token, setToken] = useState('');
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const value = token.trim();
    setMissing(!value);
    if (!value) return;
    setBusy(true);
    try {
      await signIn(value);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <h1>Herald console</h1>
      <form method="post" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        <p>Use the admin token, or a tenant token to see only that tenant&apos;s webhooks.</p>
        <div className="field">
          <label htmlFor="token">Token</label>
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(event) => setToken(event.target.value)}
            aria-invalid={missing || undefined}
            aria-describedby={missing ? 'token-error' : undefined}
            autoFocus
          />
          {missing ? (
            <p id="token-error" className="field-error">
              Enter a token.
            </p>
          ) : null}
        </div>
        <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
          Sign in
        </button>
        {error instanceof HeraldApiError && error.status === 401 ? (
          <div role="alert" className="error">
            <strong>Sign-in failed: </strong>the API refused this token. It is neither the admin token nor a tenant token.
          </div>
        ) : (
          <ErrorMessage error={error} context="Sign-in failed" />
        )}
      </form>
    </main>
  );
}
