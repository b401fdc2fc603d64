import { useEffect, useSyncExternalStore, type ComponentType } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { session, type SessionUser } from '../lib/session';

/**
 * A page that needs a session (and, with `role`, that role): without one, goes to sign-in with
 * this page remembered (`?next=`), so an expired session comes back here after signing in.
 */
export function SignedIn<P extends object>({ page: Page, role, ...props }: { page: ComponentType<P>; role?: SessionUser['role'] } & P) {
  const user = useSyncExternalStore(session.subscribe, session.user);
  const [location, navigate] = useLocation();
  const search = useSearch();
  useEffect(() => {
    if (!user) navigate(`/sign-in?next=${encodeURIComponent(location + (search ? `?${search}` : ''))}`, { replace: true });
  }, [user, location, search, navigate]);
  if (!user) return null;
  if (role && user.role !== role) {
    return (
      <div className="empty" role="alert">
        <p className="empty-title">This page is for the {role} role.</p>
        <p className="muted">
          You are signed in as {user.email} ({user.role}). <Link href="/strategies">Strategies</Link>
        </p>
      </div>
    );
  }
  return <Page {...(props as P)} />;
}
