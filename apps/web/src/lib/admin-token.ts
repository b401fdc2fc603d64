/**
 * The admin bearer token (`ADMIN_TOKEN` of the platform) for the admin routes (dead letters, cron),
 * kept for this browser tab only (sessionStorage): closing the tab signs out.
 */
const KEY = 'ao.adminToken';
const listeners = new Set<() => void>();

function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

export const adminToken = {
  get: (): string => storage()?.getItem(KEY) ?? '',
  set(token: string): void {
    if (token) storage()?.setItem(KEY, token);
    else storage()?.removeItem(KEY);
    for (const listener of listeners) listener();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
