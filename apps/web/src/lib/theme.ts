/** Light, dark, or whatever the system prefers; the choice is kept in localStorage. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'ao.theme';
const listeners = new Set<() => void>();

function stored(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

function systemDark(): boolean {
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
}

/** The theme in force: the choice, or the system's preference. */
export function resolvedTheme(choice = stored()): 'light' | 'dark' {
  return choice === 'system' ? (systemDark() ? 'dark' : 'light') : choice;
}

/** Sets `data-theme` on <html>, which the style sheet's colour variables follow. */
export function applyTheme(): void {
  document.documentElement.dataset.theme = resolvedTheme();
  for (const listener of listeners) listener();
}

export const theme = {
  get: stored,
  set(choice: ThemeChoice): void {
    try {
      if (choice === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // Private mode without storage: the choice holds for this page only.
    }
    applyTheme();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Follows the system's preference while the choice is `system`. */
  watchSystem(): void {
    globalThis.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
  },
};
