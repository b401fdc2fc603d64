import { useEffect, useState, useSyncExternalStore } from 'react';
import { connection } from '../api/client';

/** Shown while the API does not answer: why, when the next try is, and a way to try now. */
export function ConnectionBanner() {
  const state = useSyncExternalStore(connection.subscribe, connection.get);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (state.up) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [state.up]);
  if (state.up) return null;
  const seconds = state.retryAt ? Math.max(0, Math.ceil((state.retryAt - now) / 1000)) : 0;
  return (
    <div className="banner banner-down" role="alert" data-testid="api-down">
      <p>
        <strong>The API is not answering</strong> ({state.reason}). What you see may be out of date.{' '}
        {seconds > 0 ? `Trying again in ${seconds} s.` : 'Trying again…'}
      </p>
      <button type="button" className="button small" onClick={() => connection.retryNow()}>
        Retry now
      </button>
    </div>
  );
}
