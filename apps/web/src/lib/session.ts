/**
 * The signed-in user of this tab and the CSRF token their session cookie needs on changes. The
 * cookie itself is httpOnly (the API sets it); this keeps what the login answered, for this tab
 * only (sessionStorage), so a reload stays signed in and a closed tab forgets it.
 */
export interface SessionUser {
  id: string | null;
  email: string;
  role: 'admin' | 'trader';
  aoAddress: string | null;
}

interface Stored {
  user: SessionUser;
  csrfToken: string;
}

const KEY = 'ao.session';
const listeners = new Set<() => void>();
let cached: Stored | null | undefined;

function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

function read(): Stored | null {
  if (cached !== undefined) return cached;
  try {
    cached = JSON.parse(storage()?.getItem(KEY) ?? 'null') as Stored | null;
  } catch {
    cached = null;
  }
  return cached;
}

export const session = {
  get: (): Stored | null => read(),
  user: (): SessionUser | null => read()?.user ?? null,
  csrf: (): string => read()?.csrfToken ?? '',
  set(value: Stored | null): void {
    cached = value;
    if (value) storage()?.setItem(KEY, JSON.stringify(value));
    else storage()?.removeItem(KEY);
    for (const listener of listeners) listener();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
