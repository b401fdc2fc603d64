/** Process ids last opened (newest first, at most 8), kept in localStorage: the explorer's and the venues'. */
const KEY = 'ao.recentProcesses';

export function recentIds(key: string): string[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string').slice(0, 8) : [];
  } catch {
    return [];
  }
}

export function rememberId(key: string, id: string): void {
  try {
    localStorage.setItem(key, JSON.stringify([id, ...recentIds(key).filter((p) => p !== id)].slice(0, 8)));
  } catch {
    // No storage: nothing to remember with.
  }
}

export const recentProcesses = (): string[] => recentIds(KEY);
export const rememberProcess = (pid: string): void => rememberId(KEY, pid);
export const VENUES_KEY = 'ao.recentVenues';
