/** The processes last opened in the explorer (newest first, at most 8), kept in localStorage. */
const KEY = 'ao.recentProcesses';

export function recentProcesses(): string[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string').slice(0, 8) : [];
  } catch {
    return [];
  }
}

export function rememberProcess(pid: string): void {
  try {
    localStorage.setItem(KEY, JSON.stringify([pid, ...recentProcesses().filter((p) => p !== pid)].slice(0, 8)));
  } catch {
    // No storage: nothing to remember with.
  }
}
