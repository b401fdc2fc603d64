import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'wouter';
import { ApiError } from '../api/errors';
import { adminToken } from '../lib/admin-token';

/**
 * Admin routes answer 401 without the platform's admin token and 403 when the platform has none
 * (ADMIN_TOKEN unset). A signed-in admin's session cookie passes. On 401 this offers sign-in or the token; any other answer shows `children`.
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
      <p>
        <Link href={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`}>Sign in with an admin account</Link>, or use the platform's break-glass token.
      </p>
      <p className="muted">The admin token (ADMIN_TOKEN) is kept for this tab only.</p>
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
