import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api, body } from '../../api/client';
import type { EvalResult } from '../../api/views';
import { ErrorNote } from '../../components/status';
import { ResultView } from './result-view';

interface TagRow {
  key: number;
  name: string;
  value: string;
}

/** The API's limits on a dry-run message (DryRunDto): checked here first, so nothing it refuses is sent. */
const LIMITS = { tagName: 1024, tagValue: 3072, data: 1024 * 1024, owner: 256 };

function problems(action: string, tags: TagRow[], data: string, owner: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (action.length > LIMITS.tagValue) out.action = `At most ${LIMITS.tagValue} characters.`;
  tags.forEach((t) => {
    if (!t.name.trim() && t.value) out[`tag-${t.key}`] = 'A tag needs a name.';
    else if (t.name.length > LIMITS.tagName) out[`tag-${t.key}`] = `A tag name has at most ${LIMITS.tagName} characters.`;
    else if (t.value.length > LIMITS.tagValue) out[`tag-${t.key}`] = `A tag value has at most ${LIMITS.tagValue} characters.`;
  });
  if (new TextEncoder().encode(data).length > LIMITS.data) out.data = 'At most 1 MB of data.';
  if (owner.length > LIMITS.owner) out.owner = `At most ${LIMITS.owner} characters.`;
  return out;
}

/** Sends an unsigned message to the process's latest state and shows what it would answer; nothing is stored. */
export function DryRun({ pid }: { pid: string }) {
  const ids = useId();
  const [action, setAction] = useState('Info');
  const [data, setData] = useState('');
  const [owner, setOwner] = useState('');
  const [tags, setTags] = useState<TagRow[]>([]);
  const [nextKey, setNextKey] = useState(1);
  const [shown, setShown] = useState<Record<string, string>>({});
  const run = useMutation({
    mutationFn: (message: { Tags: { name: string; value: string }[]; Data: string; Owner?: string; From?: string }) =>
      body<EvalResult>(api.POST('/cu/dry-run', { params: { query: { 'process-id': pid } }, body: { Target: pid, ...message } })),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = problems(action, tags, data, owner);
    setShown(found);
    if (Object.keys(found).length) return;
    const all = [...(action ? [{ name: 'Action', value: action }] : []), ...tags.filter((t) => t.name.trim()).map((t) => ({ name: t.name.trim(), value: t.value }))];
    run.mutate({ Tags: all, Data: data, ...(owner ? { Owner: owner, From: owner } : {}) });
  };
  const field = (name: string) => (shown[name] ? { 'aria-invalid': true as const, 'aria-describedby': `${ids}-${name}-error` } : {});
  const fieldError = (name: string) =>
    shown[name] && (
      <p id={`${ids}-${name}-error`} className="field-error">
        {shown[name]}
      </p>
    );
  return (
    <section className="panel" aria-labelledby={`${ids}-title`} data-testid="dry-run">
      <h2 id={`${ids}-title`}>Dry run</h2>
      <p className="muted">Evaluates a message against the latest state without storing it or changing anything.</p>
      <form onSubmit={submit} noValidate className="form">
        <div className="field">
          <label htmlFor={`${ids}-action`}>Action</label>
          <input id={`${ids}-action`} value={action} onChange={(e) => setAction(e.target.value)} {...field('action')} />
          {fieldError('action')}
        </div>
        <fieldset className="field">
          <legend>More tags</legend>
          {tags.map((t, i) => (
            <div key={t.key} className="tag-row">
              <input
                aria-label={`Tag ${i + 1} name`}
                placeholder="Name"
                value={t.name}
                onChange={(e) => setTags(tags.map((x) => (x.key === t.key ? { ...x, name: e.target.value } : x)))}
                {...field(`tag-${t.key}`)}
              />
              <input aria-label={`Tag ${i + 1} value`} placeholder="Value" value={t.value} onChange={(e) => setTags(tags.map((x) => (x.key === t.key ? { ...x, value: e.target.value } : x)))} />
              <button type="button" className="button small ghost" onClick={() => setTags(tags.filter((x) => x.key !== t.key))} aria-label={`Remove tag ${i + 1}`}>
                Remove
              </button>
              {fieldError(`tag-${t.key}`)}
            </div>
          ))}
          <button
            type="button"
            className="button small"
            onClick={() => {
              setTags([...tags, { key: nextKey, name: '', value: '' }]);
              setNextKey(nextKey + 1);
            }}
          >
            Add a tag
          </button>
        </fieldset>
        <div className="field">
          <label htmlFor={`${ids}-data`}>Data</label>
          <textarea id={`${ids}-data`} rows={3} value={data} onChange={(e) => setData(e.target.value)} {...field('data')} />
          {fieldError('data')}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-owner`}>From (optional address)</label>
          <input id={`${ids}-owner`} className="mono" value={owner} onChange={(e) => setOwner(e.target.value)} {...field('owner')} />
          {fieldError('owner')}
        </div>
        <button type="submit" className="button primary" disabled={run.isPending}>
          {run.isPending ? 'Running…' : 'Run'}
        </button>
      </form>
      <div aria-live="polite">
        {run.isError && <ErrorNote error={run.error} context="Dry run" />}
        {run.data && <ResultView result={run.data} />}
      </div>
    </section>
  );
}
