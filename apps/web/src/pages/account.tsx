import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, useSyncExternalStore, type FormEvent } from 'react';
import { api, body } from '../api/client';
import { ApiError, errorText } from '../api/errors';
import type { components } from '../api/schema';
import { apiFieldErrors } from '../components/schema-form';
import { Empty, ErrorNote, Loading } from '../components/status';
import { Id, Time } from '../components/values';
import { session } from '../lib/session';
import { useTitle } from '../lib/use-title';

type User = components['schemas']['UserDto'];
type Key = components['schemas']['ApiKeyDto'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ADDRESS = /^([A-Za-z0-9_-]{43}|0x[0-9a-fA-F]{40})$/;

/** My API keys: create one (its secret shown once), revoke one. */
function Keys() {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const keys = useQuery({ queryKey: ['keys'], queryFn: () => body<Key[]>(api.GET('/api/keys')) });
  const create = useMutation({
    mutationFn: () => body<components['schemas']['CreatedApiKeyDto']>(api.POST('/api/keys', { body: { name: name.trim() } })),
    onSuccess: () => {
      setName('');
      void client.invalidateQueries({ queryKey: ['keys'] });
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => body<void>(api.DELETE('/api/keys/{id}', { params: { path: { id } } })), onSuccess: () => void client.invalidateQueries({ queryKey: ['keys'] }) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate();
  };
  return (
    <section className="panel" aria-labelledby="keys-title">
      <h2 id="keys-title">My API keys</h2>
      <p className="muted">For scripts: send one as `Authorization: Bearer &lt;key&gt;`. A key acts as you, with your role.</p>
      <form onSubmit={submit} noValidate className="inline-form">
        <div className="field">
          <label htmlFor="key-name">Key name</label>
          <input id="key-name" value={name} maxLength={64} onChange={(e) => setName(e.target.value)} />
        </div>
        <button type="submit" className="button primary" disabled={create.isPending || !name.trim()}>
          Create key
        </button>
      </form>
      {create.isError && <ErrorNote error={create.error} />}
      {create.data && (
        <p role="status" className="panel" data-testid="new-key">
          Copy it now, it is not shown again: <Id id={create.data.secret} full />
        </p>
      )}
      {keys.isPending && <Loading what="your keys" />}
      {keys.isError && <ErrorNote error={keys.error} />}
      {keys.data &&
        (keys.data.length === 0 ? (
          <Empty title="No API keys." />
        ) : (
          <div className="table-wrap">
            <table data-testid="keys">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Starts with</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td>
                      <Time ms={Date.parse(k.createdAt)} />
                    </td>
                    <td>{k.lastUsedAt ? <Time ms={Date.parse(k.lastUsedAt)} /> : 'never'}</td>
                    <td>
                      {k.revokedAt ? (
                        <span className="badge bad">revoked</span>
                      ) : (
                        <button type="button" className="button small" onClick={() => revoke.mutate(k.id)} disabled={revoke.isPending} aria-label={`Revoke key ${k.name}`}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      {revoke.isError && <ErrorNote error={revoke.error} />}
    </section>
  );
}

/** Every user, and a form for a new one (admins). */
function Users() {
  const client = useQueryClient();
  const [form, setForm] = useState({ email: '', password: '', role: 'trader', walletAddress: '' });
  const [touched, setTouched] = useState(false);
  const users = useQuery({ queryKey: ['users'], queryFn: () => body<User[]>(api.GET('/api/users')) });
  const create = useMutation({
    mutationFn: () =>
      body<User>(api.POST('/api/users', { body: { email: form.email.trim(), password: form.password, role: form.role as User['role'], ...(form.walletAddress.trim() ? { walletAddress: form.walletAddress.trim() } : {}) } })),
    onSuccess: () => {
      setForm({ email: '', password: '', role: 'trader', walletAddress: '' });
      setTouched(false);
      void client.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const fromApi = create.error instanceof ApiError ? apiFieldErrors(create.error.details, '') : {};
  const errors: Record<string, string | undefined> = {
    email: touched && !EMAIL.test(form.email.trim()) ? 'email must be an email address' : fromApi.email,
    password: touched && form.password.length < 12 ? 'password must have at least 12 characters' : fromApi.password,
    walletAddress: form.walletAddress.trim() && !ADDRESS.test(form.walletAddress.trim()) ? 'an ao address: 43 base64url characters or 0x + 40 hex digits' : fromApi.walletAddress,
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!EMAIL.test(form.email.trim()) || form.password.length < 12 || (form.walletAddress.trim() && !ADDRESS.test(form.walletAddress.trim()))) return;
    create.mutate();
  };
  const field = (key: 'email' | 'password' | 'walletAddress', label: string, type = 'text') => (
    <div className="field">
      <label htmlFor={`user-${key}`}>{label}</label>
      <input id={`user-${key}`} type={type} autoComplete={type === 'password' ? 'new-password' : 'off'} value={form[key]} onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.value }))} aria-invalid={errors[key] ? true : undefined} aria-describedby={errors[key] ? `user-${key}-error` : undefined} />
      {errors[key] && (
        <p className="field-error" id={`user-${key}-error`} role="alert">
          {errors[key]}
        </p>
      )}
    </div>
  );
  return (
    <section className="panel" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <form onSubmit={submit} noValidate aria-label="New user">
        {field('email', 'Email', 'email')}
        {field('password', 'Password (12 characters or more)', 'password')}
        <div className="field">
          <label htmlFor="user-role">Role</label>
          <select id="user-role" value={form.role} onChange={(e) => setForm((f) => ({ ...f, role: e.target.value }))}>
            <option value="trader">trader</option>
            <option value="admin">admin</option>
          </select>
        </div>
        {field('walletAddress', 'Their own ao wallet address (optional; empty: the platform holds a key for them)')}
        {create.isError && !Object.keys(fromApi).length && (
          <p className="field-error" role="alert">
            {errorText(create.error)}
          </p>
        )}
        <button type="submit" className="button primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create user'}
        </button>
      </form>
      {users.isPending && <Loading what="the users" />}
      {users.isError && <ErrorNote error={users.error} />}
      {users.data && (
        <div className="table-wrap">
          <table data-testid="users">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">ao address</th>
                <th scope="col">Wallet</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => (
                <tr key={u.id}>
                  <td>{u.email}</td>
                  <td>{u.role}</td>
                  <td>
                    <Id id={u.aoAddress} />
                  </td>
                  <td>{u.walletMode === 'platform' ? 'held by the platform' : 'their own'}</td>
                  <td>
                    <Time ms={Date.parse(u.createdAt)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Users (admins) and my API keys (everyone signed in). */
export default function Account() {
  const user = useSyncExternalStore(session.subscribe, session.user);
  useTitle(user?.role === 'admin' ? 'Users and API keys' : 'API keys');
  return (
    <div className="page">
      <div className="page-head">
        <h1>{user?.role === 'admin' ? 'Users and API keys' : 'API keys'}</h1>
        {user && (
          <p className="muted">
            Signed in as {user.email} ({user.role}){user.aoAddress && <> · ao identity <Id id={user.aoAddress} /></>}
          </p>
        )}
      </div>
      <Keys />
      {user?.role === 'admin' && <Users />}
    </div>
  );
}
