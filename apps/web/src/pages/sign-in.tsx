import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { api } from '../api/client';
import { ApiError, errorText, toApiError } from '../api/errors';
import { session, type SessionUser } from '../lib/session';
import { useTitle } from '../lib/use-title';

/** Where a signed-in user of this role starts. */
export function homeOf(role: SessionUser['role']): string {
  return role === 'admin' ? '/agents' : '/strategies';
}

/** Email + password → the session cookie (set by the API) and the CSRF token kept for this tab. */
export default function SignIn() {
  useTitle('Sign in');
  const ids = useId();
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const next = new URLSearchParams(useSearch()).get('next');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      const { data, error: failure, response } = await api.POST('/api/auth/login', { body: { email: email.trim(), password } });
      if (!response.ok || !data) throw toApiError(response.status, failure);
      const user = data.user as unknown as SessionUser;
      session.set({ user: { id: user.id, email: user.email, role: user.role, aoAddress: user.aoAddress }, csrfToken: data.csrfToken });
      client.clear();
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : homeOf(user.role));
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(false);
    }
  };
  const refused = error instanceof ApiError && error.status === 401;
  return (
    <div className="page">
      <form className="panel sign-in" onSubmit={(e) => void submit(e)} aria-labelledby={`${ids}-title`} noValidate>
        <h1 id={`${ids}-title`}>Sign in</h1>
        {next && <p className="muted">Sign in to open {next}.</p>}
        <div className="field">
          <label htmlFor={`${ids}-email`}>Email</label>
          <input id={`${ids}-email`} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-password`}>Password</label>
          <input id={`${ids}-password`} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </div>
        {error != null && (
          <p className="field-error" role="alert">
            {refused ? 'Wrong email or password.' : errorText(error)}
          </p>
        )}
        <button type="submit" className="button primary" disabled={pending || !email.trim() || !password}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
