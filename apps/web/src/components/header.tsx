import { useSyncExternalStore } from 'react';
import { Link, useLocation } from 'wouter';
import { adminToken } from '../lib/admin-token';
import { theme, type ThemeChoice } from '../lib/theme';

const NAV = [
  { to: '/', label: 'Overview' },
  { to: '/explorer', label: 'Explorer' },
  { to: '/dead-letters', label: 'Dead letters' },
  { to: '/cron', label: 'Cron' },
];

function isCurrent(location: string, to: string): boolean {
  return to === '/' ? location === '/' : location === to || location.startsWith(`${to}/`);
}

export function Header() {
  const [location] = useLocation();
  const choice = useSyncExternalStore(theme.subscribe, theme.get);
  const token = useSyncExternalStore(adminToken.subscribe, adminToken.get);
  return (
    <header className="top">
      <Link href="/" className="brand">
        <img src="/favicon.svg" alt="" width="24" height="24" /> ao platform
      </Link>
      <nav aria-label="Main">
        <ul>
          {NAV.map((item) => (
            <li key={item.to}>
              <Link href={item.to} aria-current={isCurrent(location, item.to) ? 'page' : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="top-tools">
        {token && (
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
