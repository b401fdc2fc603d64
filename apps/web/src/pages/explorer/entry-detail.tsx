import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, body } from '../../api/client';
import type { ResultAnswer, SuLogEntry } from '../../api/views';
import { ErrorNote, Loading } from '../../components/status';
import { Id, Time } from '../../components/values';
import { formatBytes, tagValue } from '../../lib/format';
import { ResultView, TagList } from './result-view';

const SHOWN_DATA = 4000;

function Data({ data, encoding }: { data: string; encoding: string }) {
  const [all, setAll] = useState(false);
  if (!data) return <p className="muted">No data.</p>;
  const long = data.length > SHOWN_DATA;
  return (
    <>
      <p className="muted">
        {encoding === 'base64url' ? 'Binary, shown as base64url' : 'Text'} · {formatBytes(encoding === 'base64url' ? Math.floor((data.length * 3) / 4) : new TextEncoder().encode(data).length)}
      </p>
      <pre className="data">{long && !all ? `${data.slice(0, SHOWN_DATA)}…` : data}</pre>
      {long && (
        <button type="button" className="button small ghost" onClick={() => setAll(!all)}>
          {all ? 'Show less' : 'Show all'}
        </button>
      )}
    </>
  );
}

function Result({ pid, messageId }: { pid: string; messageId: string }) {
  const result = useQuery({
    queryKey: ['result', pid, messageId],
    queryFn: () => body<ResultAnswer>(api.GET('/cu/result/{messageId}', { params: { path: { messageId }, query: { 'process-id': pid } } })),
    // Still being evaluated (202): ask again until it is committed.
    refetchInterval: (q) => (q.state.data && 'status' in q.state.data ? 1000 : false),
  });
  if (result.isPending) return <Loading what="the result" />;
  if (result.isError) return <ErrorNote error={result.error} retry={() => void result.refetch()} context="Result" />;
  if ('status' in result.data) return <p role="status">Being evaluated (nonce {result.data.nonce})…</p>;
  return <ResultView result={result.data} />;
}

/** One log entry: the message, its assignment by the SU, and its result from the CU. */
export function EntryDetail({ pid, entry, onClose }: { pid: string; entry: SuLogEntry; onClose: () => void }) {
  const { message, assignment } = entry;
  const nonce = tagValue(assignment.tags, 'Nonce');
  return (
    <section className="panel detail" aria-labelledby="detail-title" data-testid="entry-detail">
      <div className="panel-head">
        <h2 id="detail-title">Nonce {nonce}</h2>
        <button type="button" className="button small ghost" onClick={onClose} aria-label="Close the message details">
          Close
        </button>
      </div>
      <h3>Message</h3>
      <dl className="facts">
        <dt>Id</dt>
        <dd>
          <Id id={message.id} full />
        </dd>
        <dt>Signed by</dt>
        <dd>
          <Id id={message.owner.address} />
        </dd>
        {tagValue(message.tags, 'From-Process') && (
          <>
            <dt>From process</dt>
            <dd>
              <Id id={tagValue(message.tags, 'From-Process') as string} explore />
            </dd>
          </>
        )}
        <dt>Target</dt>
        <dd>{message.target ? <Id id={message.target} explore /> : <span className="muted">none (the process itself)</span>}</dd>
      </dl>
      <details open>
        <summary>Tags ({message.tags.length})</summary>
        <TagList tags={message.tags} />
      </details>
      <details>
        <summary>Data</summary>
        <Data data={message.data} encoding={message.data_encoding} />
      </details>
      <h3>Assignment</h3>
      <dl className="facts">
        <dt>Id</dt>
        <dd>
          <Id id={assignment.id} />
        </dd>
        <dt>Time</dt>
        <dd>
          <Time ms={Number(tagValue(assignment.tags, 'Timestamp'))} />
        </dd>
        <dt>Block height</dt>
        <dd>{Number(tagValue(assignment.tags, 'Block-Height') ?? 0)}</dd>
        <dt>Hash chain</dt>
        <dd>
          <code className="wrap">{tagValue(assignment.tags, 'Hash-Chain')}</code>
        </dd>
        <dt>Scheduler</dt>
        <dd>
          <Id id={assignment.owner.address} />
        </dd>
      </dl>
      <h3>Result</h3>
      <Result pid={pid} messageId={message.id} />
    </section>
  );
}
