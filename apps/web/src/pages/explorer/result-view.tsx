import type { EvalResult, OutboxMessage } from '../../api/views';
import { Id } from '../../components/values';
import { formatNumber, tagValue } from '../../lib/format';

/** aos puts printed text in Output.data (a string, or {output} for Eval); other modules anything. */
function outputText(output: unknown): string {
  if (output === null || output === undefined || output === '') return '';
  if (typeof output === 'string') return output;
  const data = (output as { data?: unknown }).data;
  if (typeof data === 'string') return data;
  if (data && typeof (data as { output?: unknown }).output === 'string') return (data as { output: string }).output;
  return JSON.stringify(output, null, 2);
}

function Outbox({ title, items }: { title: string; items: OutboxMessage[] }) {
  if (items.length === 0) return null;
  return (
    <div className="outbox">
      <h4>
        {title} <span className="count">{items.length}</span>
      </h4>
      <ol>
        {items.map((m, i) => (
          <li key={i}>
            <p>
              {m.Target ? (
                <>
                  to <Id id={m.Target} explore />
                </>
              ) : (
                'no target'
              )}
              {tagValue(m.Tags, 'Action') && (
                <>
                  {' '}
                  · Action <code>{tagValue(m.Tags, 'Action')}</code>
                </>
              )}
            </p>
            {m.Tags && m.Tags.length > 0 && <TagList tags={m.Tags} />}
            {m.Data && <pre className="data">{m.Data.length > 2000 ? `${m.Data.slice(0, 2000)}…` : m.Data}</pre>}
          </li>
        ))}
      </ol>
    </div>
  );
}

export function TagList({ tags }: { tags: { name: string; value: string }[] }) {
  return (
    <dl className="tags">
      {tags.map((t, i) => (
        <div key={`${t.name}-${i}`}>
          <dt>{t.name}</dt>
          <dd>{t.value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A result as the CU committed it (or a dry-run answered): error, output, gas, outbox. */
export function ResultView({ result }: { result: EvalResult }) {
  const text = outputText(result.Output);
  return (
    <div className="result" data-testid="result">
      {result.Error ? (
        <p className="result-error" role="status">
          <strong>Error:</strong> {result.Error}
        </p>
      ) : (
        <p className="result-ok">No error.</p>
      )}
      <p className="muted">Gas used: {formatNumber(result.GasUsed ?? 0)} instructions</p>
      {text && (
        <>
          <h4>Output</h4>
          <pre className="data">{text}</pre>
        </>
      )}
      <Outbox title="Messages sent" items={result.Messages ?? []} />
      <Outbox title="Processes spawned" items={result.Spawns ?? []} />
      {(result.Assignments ?? []).length > 0 && (
        <div className="outbox">
          <h4>Assignments</h4>
          <ul>
            {result.Assignments.map((a, i) => (
              <li key={i}>
                <Id id={a.Message} /> to {a.Processes.map((p) => <Id key={p} id={p} explore />)}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
