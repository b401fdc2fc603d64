import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, body } from '../../api/client';
import { ApiError } from '../../api/errors';
import { canCheckLinks, checkLinks } from '../../api/hash-chain';
import type { SuLogPage, SuProcess } from '../../api/views';
import { Empty, ErrorNote, Loading } from '../../components/status';
import { Id, Time } from '../../components/values';
import { formatNumber, tagValue } from '../../lib/format';
import { rememberProcess } from '../../lib/recent';
import { useTitle } from '../../lib/use-title';
import { DryRun } from './dry-run';
import { EntryDetail } from './entry-detail';
import { LogTable, type LogRow } from './log-table';
import { TagList } from './result-view';
import { VerifyPanel } from './verify-panel';

const PAGE = 100;

function ProcessFacts({ process }: { process: SuProcess }) {
  const u = process.uploads;
  const total = u.pending + u.uploaded + u.confirmed + u.failed;
  return (
    <dl className="facts wide" data-testid="process-facts">
      <dt>Owner</dt>
      <dd>
        <Id id={process.owner.address} />
      </dd>
      <dt>Module</dt>
      <dd>{tagValue(process.tags, 'Module') ? <Id id={tagValue(process.tags, 'Module') as string} /> : '—'}</dd>
      <dt>Created</dt>
      <dd>
        <Time ms={process.timestamp} />
      </dd>
      <dt>Log head</dt>
      <dd>
        {process.latest ? (
          <>
            nonce {formatNumber(process.latest.nonce)} at <Time ms={process.latest.timestamp} />
          </>
        ) : (
          '—'
        )}
      </dd>
      <dt>On Arweave</dt>
      <dd>
        {formatNumber(u.confirmed)} of {formatNumber(total)} items confirmed (each entry is a message and its assignment)
        {u.last_confirmed_nonce !== null && `, the log up to nonce ${u.last_confirmed_nonce} complete`}
        {u.failed > 0 && <span className="badge bad">{u.failed} failed</span>}
      </dd>
      {tagValue(process.tags, 'Cron-Interval') && (
        <>
          <dt>Cron</dt>
          <dd>
            every {tagValue(process.tags, 'Cron-Interval')} · <Link href="/cron">registrations</Link>
          </dd>
        </>
      )}
    </dl>
  );
}

/** The explorer's view of one process: facts, Verify, the log with each entry's detail, a dry-run console. */
export default function ProcessPage({ pid }: { pid: string }) {
  useTitle(`Process ${pid.slice(0, 8)}…`);
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const selected = search.has('nonce') ? Number(search.get('nonce')) : undefined;
  // A deep link to a nonce starts the log a little before it.
  const [start, setStart] = useState(() => (selected !== undefined && selected > 50 ? selected - 50 : -1));
  const [failureNonce, setFailureNonce] = useState<number>();
  const [jump, setJump] = useState('');

  const process = useQuery({
    queryKey: ['process', pid],
    queryFn: () => body<SuProcess>(api.GET('/su/processes/{id}', { params: { path: { id: pid } } })),
    // Not while in error: a query without data goes back to pending at each refetch, which would
    // unmount the page below it (and a Verify running for a process only on the gateway with it).
    refetchInterval: (query) => (query.state.status === 'error' ? false : 5_000),
  });
  useEffect(() => {
    if (process.data) rememberProcess(pid);
  }, [process.data, pid]);

  const log = useInfiniteQuery({
    queryKey: ['log', pid, start],
    queryFn: ({ pageParam }) => body<SuLogPage>(api.GET('/su/{id}', { params: { path: { id: pid }, query: { 'from-nonce': String(pageParam), limit: PAGE } } })),
    initialPageParam: start,
    getNextPageParam: (last) => (last.page_info.has_next_page && last.edges.length ? Number(last.edges[last.edges.length - 1].cursor) : undefined),
    enabled: process.isSuccess,
  });
  const entries = useMemo(() => (log.data?.pages ?? []).flatMap((p) => p.edges.map((e) => ({ nonce: Number(e.cursor), entry: e.node }))), [log.data]);
  const links = useQuery({
    queryKey: ['links', pid, start, entries.length],
    queryFn: () =>
      checkLinks(
        pid,
        entries.map((e) => ({ nonce: e.nonce, assignmentId: e.entry.assignment.id, hashChain: tagValue(e.entry.assignment.tags, 'Hash-Chain') ?? '' })),
      ),
    enabled: entries.length > 0 && canCheckLinks(),
    staleTime: Infinity,
  });
  const rows: LogRow[] = entries.map((e, i) => ({ ...e, link: links.data?.[i] ?? null }));
  const selectedEntry = entries.find((e) => e.nonce === selected)?.entry;
  const select = (nonce: number | undefined) => navigate(nonce === undefined ? `/explorer/${pid}` : `/explorer/${pid}?nonce=${nonce}`, { replace: true });

  if (process.isPending) return <Loading what="the process" />;
  if (process.isError) {
    const missing = process.error instanceof ApiError && process.error.status === 404;
    return (
      <div className="page">
        <h1>Process</h1>
        <p>
          <Id id={pid} full />
        </p>
        {missing ? (
          <>
            <Empty title="This scheduler has no such process.">
              Check the id, or <Link href="/explorer">look up another one</Link>. A process of another scheduler can still be verified from Arweave.
            </Empty>
            <VerifyPanel pid={pid} onFailure={setFailureNonce} />
          </>
        ) : (
          <ErrorNote error={process.error} retry={() => void process.refetch()} context="Process" />
        )}
      </div>
    );
  }
  const p = process.data;
  const broken = rows.filter((r) => r.link === false).length;
  const head = p.latest?.nonce ?? 0;
  return (
    <div className="page">
      <div className="page-head">
        <h1>{tagValue(p.tags, 'Name') ?? 'Process'}</h1>
        <p>
          <Id id={pid} full />
        </p>
      </div>
      <ProcessFacts process={p} />
      <details>
        <summary>Process tags ({p.tags.length})</summary>
        <TagList tags={p.tags} />
      </details>
      <VerifyPanel pid={pid} process={p} onFailure={setFailureNonce} />
      <div className="explorer-grid">
        <section aria-labelledby="log-title" className="log-section">
          <div className="section-head">
            <h2 id="log-title">Log</h2>
            <p className="muted">
              {formatNumber(head + 1)} entries · links recomputed in this browser:{' '}
              {canCheckLinks() ? (broken ? <strong className="bad">{broken} broken</strong> : `${rows.filter((r) => r.link).length} match`) : 'not available here (needs https)'}
            </p>
            <form
              className="row"
              onSubmit={(e) => {
                e.preventDefault();
                const n = Number(jump);
                if (Number.isInteger(n) && n >= 0 && n <= head) {
                  setStart(Math.max(-1, n - 1));
                  select(n);
                }
              }}
            >
              <label htmlFor="jump" className="visually-hidden">
                Go to nonce
              </label>
              <input id="jump" type="number" min={0} max={head} value={jump} onChange={(e) => setJump(e.target.value)} placeholder="nonce" className="narrow" />
              <button type="submit" className="button small">
                Go
              </button>
              <button type="button" className="button small ghost" onClick={() => setStart(Math.max(-1, head - PAGE))}>
                Latest
              </button>
              {start > -1 && (
                <button type="button" className="button small ghost" onClick={() => setStart(-1)}>
                  From the start
                </button>
              )}
            </form>
          </div>
          {failureNonce !== undefined && !entries.some((e) => e.nonce === failureNonce) && (
            <p>
              <button type="button" className="button small" onClick={() => setStart(Math.max(-1, failureNonce - 10))}>
                Show nonce {failureNonce}, where verification fails
              </button>
            </p>
          )}
          {log.isPending && <Loading what="the log" />}
          {log.isError && <ErrorNote error={log.error} retry={() => void log.refetch()} context="Log" />}
          {log.isSuccess && (rows.length ? <LogTable rows={rows} selected={selected} failureNonce={failureNonce} onSelect={select} /> : <Empty title="No entries in this range." />)}
          {log.hasNextPage && (
            <button type="button" className="button" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
              {log.isFetchingNextPage ? 'Loading…' : `Load ${PAGE} more`}
            </button>
          )}
        </section>
        {selectedEntry && <EntryDetail pid={pid} entry={selectedEntry} onClose={() => select(undefined)} />}
      </div>
      <DryRun pid={pid} />
    </div>
  );
}
