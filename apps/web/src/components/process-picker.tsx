import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useLocation } from 'wouter';
import { ID_PATTERN } from '../lib/format';

/**
 * A process id field, checked before anything is looked up (the reason shown beside it), that
 * opens `hrefOf(id)`; below it the ids opened before, each drawn by `renderRecent`.
 */
export function ProcessPicker({
  label,
  placeholder,
  hrefOf,
  recent,
  renderRecent,
}: {
  label: string;
  placeholder?: string;
  hrefOf: (processId: string) => string;
  recent: readonly string[];
  renderRecent: (processId: string) => ReactNode;
}) {
  const [, navigate] = useLocation();
  const [pid, setPid] = useState('');
  const [problem, setProblem] = useState<string>();
  const inputId = useId();
  const recentTitleId = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = pid.trim();
    if (!ID_PATTERN.test(value)) {
      setProblem(`A process id is 43 characters of A–Z, a–z, 0–9, "-" and "_" (this one has ${value.length}).`);
      return;
    }
    navigate(hrefOf(value));
  };
  return (
    <>
      <form className="search" onSubmit={submit} noValidate>
        <label htmlFor={inputId}>{label}</label>
        <div className="row">
          <input
            id={inputId}
            name="pid"
            value={pid}
            onChange={(e) => {
              setPid(e.target.value);
              setProblem(undefined);
            }}
            spellCheck={false}
            autoComplete="off"
            placeholder={placeholder}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${inputId}-problem` : undefined}
            className="mono"
          />
          <button type="submit" className="button primary">
            Open
          </button>
        </div>
        {problem && (
          <p id={`${inputId}-problem`} className="field-error" role="alert">
            {problem}
          </p>
        )}
      </form>
      {recent.length > 0 && (
        <section aria-labelledby={recentTitleId}>
          <h2 id={recentTitleId}>Recently opened</h2>
          <ul className="plain-list">
            {recent.map((p) => (
              <li key={p}>{renderRecent(p)}</li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
