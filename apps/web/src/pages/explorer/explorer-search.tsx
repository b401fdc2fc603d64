import { useId, useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { Id } from '../../components/values';
import { ID_PATTERN } from '../../lib/format';
import { recentProcesses } from '../../lib/recent';
import { useTitle } from '../../lib/use-title';

/** The explorer's entry: any process id, checked before it is looked up. */
export default function ExplorerSearch() {
  useTitle('Explorer');
  const [, navigate] = useLocation();
  const [pid, setPid] = useState('');
  const [problem, setProblem] = useState<string>();
  const inputId = useId();
  const recent = recentProcesses();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = pid.trim();
    if (!ID_PATTERN.test(value)) {
      setProblem(`A process id is 43 characters of A–Z, a–z, 0–9, "-" and "_" (this one has ${value.length}).`);
      return;
    }
    navigate(`/explorer/${value}`);
  };
  return (
    <div className="page">
      <div className="page-head">
        <h1>Process explorer</h1>
        <p className="muted">
          Any process on this scheduler: its log with nonces, times and hash-chain links, each message and its result, a dry-run console, and
          verification of the whole log from Arweave.
        </p>
      </div>
      <form className="search" onSubmit={submit} noValidate>
        <label htmlFor={inputId}>Process id</label>
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
            placeholder="43-character process id"
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
        <section aria-labelledby="recent-title">
          <h2 id="recent-title">Recently opened</h2>
          <ul className="plain-list">
            {recent.map((p) => (
              <li key={p}>
                <Id id={p} explore full />
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
