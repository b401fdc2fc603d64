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
    <span className="id">
      {explore && ID_PATTERN.test(id) ? (
        <Link href={`/explorer/${id}`} title={id} aria-label={`Explore process ${id}`}>
          <code>{text}</code>
        </Link>
      ) : (
        <code title={id}>{text}</code>
      )}
      <button type="button" className="copy" onClick={copy} aria-label={`Copy ${id}`} title="Copy">
        {copied ? '✓' : '⧉'}
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
