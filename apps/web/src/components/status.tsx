import type { ReactNode } from 'react';
import { ApiError, errorText } from '../api/errors';

/** A loading state that screen readers announce. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

/** What a list looks like with nothing in it, and why. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <p className="muted">{children}</p>}
    </div>
  );
}

/** An error from the API, next to what caused it: its message, its code, and a retry when given. */
export function ErrorNote({ error, retry, context }: { error: unknown; retry?: () => void; context?: string }) {
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className="error-note" role="alert">
      <p>
        {context && <strong>{context}: </strong>}
        {errorText(error)}
        {code && <code className="error-code">{code}</code>}
      </p>
      {retry && (
        <button type="button" className="button small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
