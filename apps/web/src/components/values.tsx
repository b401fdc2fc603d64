import { useState, type ReactNode } from 'react';
import { Link } from 'wouter';
import { formatRelative, formatTime, ID_PATTERN, shortId } from '../lib/format';

/** A time in the user's locale; the relative time on hover. */
export function Time({ ms }: { ms: number | null | undefined }) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return <span className="muted">—</span>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={formatRelative(ms)}>
      {formatTime(ms)}
    </time>
  );
}

/** An id: shortened, the whole on hover and for screen readers, a copy button; a process id links to the explorer. */
export function Id({ id, explore = false, full = false }: { id: string; explore?: boolean; full?: boolean }) {
  const [copied, setCopied] = useState(false);
  const text = full ? id : shortId(id);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(id);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard refused (no permission, insecure origin): the id stays selectable.
    }
  };
  return (
    <span className={full ? 'id full' : 'id'}>
      {explore && ID_PATTERN.test(id) ? (
        <Link href={`/explorer/${id}`} title={`Explore process ${id}`}>
          <code>{text}</code>
        </Link>
      ) : (
        <code title={id}>{text}</code>
      )}
      <button type="button" className="copy" onClick={copy} aria-label={`Copy ${id}`} title="Copy">
        {copied ? (
          '✓'
        ) : (
          <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
            <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
            <path d="M11 5V3.5A1.5 1.5 0 0 0 9.5 2h-6A1.5 1.5 0 0 0 2 3.5v6A1.5 1.5 0 0 0 3.5 11H5" fill="none" stroke="currentColor" strokeWidth="1.5" />
          </svg>
        )}
      </button>
    </span>
  );
}

/** A figure with its label and unit, and an optional note under it. */
export function Figure({ label, value, unit, note, tone }: { label: string; value: string; unit?: string; note?: ReactNode; tone?: 'bad' | 'warn' | 'good' }) {
  return (
    <div className={`figure${tone ? ` tone-${tone}` : ''}`}>
      <dt>{label}</dt>
      <dd>
        <span className="figure-value">{value}</span>
        {unit && <span className="figure-unit"> {unit}</span>}
        {note && <span className="figure-note">{note}</span>}
      </dd>
    </div>
  );
}
