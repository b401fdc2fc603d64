import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api/errors';
import { adminToken } from '../lib/admin-token';

/**
 * Admin routes answer 401 without a credential and 403 for a user without the admin role. On
 * either this asks for an admin bearer token (an admin's API key, or the ADMIN_TOKEN break-glass);
 * any other answer shows `children`.
 */
export function AdminGate({ error, children }: { error: unknown; children: ReactNode }) {
  const ids = useId();
  const client = useQueryClient();
  const [token, setToken] = useState('');
  if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 403)) return <>{children}</>;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    adminToken.set(token.trim());
    void client.invalidateQueries();
  };
  const hadToken = Boolean(adminToken.get());
  return (
    <form className="panel sign-in" onSubmit={submit} aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Admin sign-in</h2>
      <p className="muted">This page needs an admin's API key (POST /api/keys as an admin; ADMIN_TOKEN works as break-glass). It is kept for this tab only.</p>
      {hadToken && (
        <p className="field-error" role="alert">
          The API refused the token: {error.message}.
        </p>
      )}
      <div className="field">
        <label htmlFor={`${ids}-token`}>Admin token</label>
        <input id={`${ids}-token`} type="password" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} required />
      </div>
      <button type="submit" className="button primary" disabled={!token.trim()}>
        Sign in
      </button>
    </form>
  );
}
