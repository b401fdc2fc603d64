import { useQueryClient } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { Link, useLocation } from 'wouter';
import { api } from '../api/client';
import { adminToken } from '../lib/admin-token';
import { session, type SessionUser } from '../lib/session';
import { theme, type ThemeChoice } from '../lib/theme';

type Item = { to: string; label: string };
const ADMIN_NAV: Item[] = [
  { to: '/', label: 'Overview' },
  { to: '/agents', label: 'Agents' },
  { to: '/strategies', label: 'Strategies' },
  { to: '/feed', label: 'Feed' },
  { to: '/venue', label: 'Venue' },
  { to: '/media', label: 'Media' },
  { to: '/explorer', label: 'Explorer' },
  { to: '/dead-letters', label: 'Dead letters' },
  { to: '/cron', label: 'Cron' },
  { to: '/account', label: 'Users & keys' },
];
const TRADER_NAV: Item[] = [
  { to: '/strategies', label: 'Strategies' },
  { to: '/subscriptions', label: 'My subscriptions' },
  { to: '/feed', label: 'Feed' },
  { to: '/venue', label: 'Venue' },
  { to: '/media', label: 'Media' },
  { to: '/explorer', label: 'Explorer' },
  { to: '/account', label: 'API keys' },
];
const SIGNED_OUT_NAV: Item[] = [
  { to: '/', label: 'Overview' },
  { to: '/explorer', label: 'Explorer' },
];

/** The pages a role sees in the menu (the API decides what each may do; this only hides what it would refuse). */
export function navFor(user: SessionUser | null, token: string): Item[] {
  if (user) return user.role === 'admin' ? ADMIN_NAV : TRADER_NAV;
  return token ? ADMIN_NAV.filter((i) => !['/agents', '/strategies', '/feed', '/venue', '/media', '/account'].includes(i.to)) : SIGNED_OUT_NAV;
}

function isCurrent(location: string, to: string): boolean {
  return to === '/' ? location === '/' : location === to || location.startsWith(`${to}/`);
}

export function Header() {
  const [location] = useLocation();
  const choice = useSyncExternalStore(theme.subscribe, theme.get);
  const token = useSyncExternalStore(adminToken.subscribe, adminToken.get);
  const stored = useSyncExternalStore(session.subscribe, session.get);
  const user = stored?.user ?? null;
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const signOut = async () => {
    await api.POST('/api/auth/logout').catch(() => undefined);
    session.set(null);
    client.clear();
    navigate('/sign-in');
  };
  return (
    <header className="top">
      <Link href="/" className="brand">
        <img src="/favicon.svg" alt="" width="24" height="24" /> ao platform
      </Link>
      <nav aria-label="Main">
        <ul>
          {navFor(user, token).map((item) => (
            <li key={item.to}>
              <Link href={item.to} aria-current={isCurrent(location, item.to) ? 'page' : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="top-tools">
        {user ? (
          <>
            <span className="muted" data-testid="signed-in">
              {user.email} · {user.role}
            </span>
            <button type="button" className="button small ghost" onClick={() => void signOut()}>
              Sign out
            </button>
          </>
        ) : (
          <Link href="/sign-in" className="button small ghost">
            Sign in
          </Link>
        )}
        {token && !user && (
          <button type="button" className="button small ghost" onClick={() => adminToken.set('')}>
            Sign out admin
          </button>
        )}
        <label className="theme-pick">
          <span className="visually-hidden">Theme</span>
          <select value={choice} onChange={(e) => theme.set(e.target.value as ThemeChoice)}>
            <option value="system">System theme</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
      </div>
    </header>
  );
}
