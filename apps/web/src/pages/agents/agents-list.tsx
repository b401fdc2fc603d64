import { useQuery } from '@tanstack/react-query';
import type { MouseEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, body } from '../../api/client';
import type { components } from '../../api/schema';
import { Empty, ErrorNote, Loading } from '../../components/status';
import { Time } from '../../components/values';
import { formatCount, formatDuration } from '../../lib/format';
import { useTitle } from '../../lib/use-title';

export type Agent = components['schemas']['AgentDto'];
export type Blueprint = components['schemas']['BlueprintDto'];
const STATUSES = ['draft', 'running', 'paused', 'killed'] as const;

export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'running' ? 'good' : status === 'killed' ? 'bad' : status === 'paused' ? 'warn' : '';
  return <span className={`badge ${tone}`}>{status}</span>;
}

/** A market maker's PnL in quote atomic units with its return; a verifier's verdict counts; else a dash. */
function Performance({ live }: { live: Agent['live'] }) {
  if (live.pnl !== null) {
    const tone = live.pnl.startsWith('-') ? 'bad' : live.pnl === '0' ? '' : 'good';
    return (
      <span className={tone ? `tone-${tone}` : undefined}>
        <span className="mono">{live.pnl}</span> <span className="muted">quote units</span>
        {live.returnBps !== null && ` (${(live.returnBps / 100).toFixed(2)} %)`}
      </span>
    );
  }
  const verdicts = Object.entries(live.verdicts ?? {});
  if (verdicts.length) return <span>{verdicts.map(([k, n]) => `${k} ${n}`).join(' · ')}</span>;
  return <span className="muted">—</span>;
}

const PAGE = 200;
/** At most this many rows are drawn; the count says when there are more (filters narrow them). */
export const MAX_AGENTS = 5_000;

/** Every page of the list (newest first), following nextCursor, up to MAX_AGENTS. */
async function allAgents(status: Agent['status'] | undefined, blueprint: string | undefined): Promise<{ items: Agent[]; more: boolean }> {
  const items: Agent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await body<components['schemas']['AgentPageDto']>(api.GET('/api/agents', { params: { query: { status, blueprint, limit: PAGE, cursor } } }));
    items.push(...page.items);
    if (!page.nextCursor) return { items, more: false };
    if (items.length >= MAX_AGENTS) return { items, more: true };
    cursor = page.nextCursor;
  }
}

/** Every agent with its status, blueprint and version, PnL or verdicts, last tick and last error, filtered by blueprint and status (kept in the URL). */
export default function AgentsList() {
  useTitle('Agents');
  const search = new URLSearchParams(useSearch());
  const [location, navigate] = useLocation();
  const status = search.get('status') ?? '';
  const blueprint = search.get('blueprint') ?? '';
  // One handler for every row's links (a router Link per row would subscribe 1,000 times to the location).
  const followLink = (e: MouseEvent) => {
    const a = (e.target as Element).closest('a');
    if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(a.getAttribute('href') ?? '/agents');
  };
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    navigate(`${location}${next.size ? `?${next}` : ''}`, { replace: true });
  };
  const blueprints = useQuery({ queryKey: ['blueprints'], queryFn: () => body<Blueprint[]>(api.GET('/api/blueprints')), staleTime: 60_000 });
  const agents = useQuery({
    queryKey: ['agents', status, blueprint],
    queryFn: () => allAgents((status || undefined) as Agent['status'] | undefined, blueprint || undefined),
    refetchInterval: 5_000,
  });
  return (
    <div className="page">
      <div className="page-head">
        <h1>Agents</h1>
        <p className="muted">Processes spawned from the blueprint catalogue, driven by signed ao messages.</p>
        <Link href="/agents/new" className="button primary">
          Create agent
        </Link>
      </div>
      <div className="filters" role="group" aria-label="Filters">
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-blueprint">Blueprint</label>
          <select id="filter-blueprint" value={blueprint} onChange={(e) => setFilter('blueprint', e.target.value)}>
            <option value="">Any blueprint</option>
            {blueprints.data?.map((b) => (
              <option key={b.name} value={b.name}>
                {b.title} ({b.name})
              </option>
            ))}
          </select>
        </div>
      </div>
      {agents.isPending && <Loading what="the agents" />}
      {agents.isError && <ErrorNote error={agents.error} retry={() => void agents.refetch()} />}
      {agents.isSuccess &&
        (agents.data.items.length === 0 ? (
          <Empty title={status || blueprint ? 'No agent matches these filters.' : 'No agents yet.'}>
            <Link href="/agents/new">Create one from the catalogue.</Link>
          </Empty>
        ) : (
          <>
            <p>
              {formatCount(agents.data.items.length, 'agent')}
              {agents.data.more && ` (the newest ${MAX_AGENTS.toLocaleString()}; filter to see the others)`}
            </p>
            <div className="table-wrap">
              <table data-testid="agents">
                <caption className="visually-hidden">Agents</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col">Blueprint</th>
                    <th scope="col" className="num">
                      PnL (return) or verdicts
                    </th>
                    <th scope="col">Last tick</th>
                    <th scope="col">Last error</th>
                    <th scope="col" className="num">
                      Config version
                    </th>
                    <th scope="col">Cron</th>
                    <th scope="col" className="num">
                      Uptime
                    </th>
                    <th scope="col">Last change</th>
                  </tr>
                </thead>
                <tbody onClick={followLink}>
                  {agents.data.items.map((a) => (
                    <tr key={a.id}>
                      <td>
                        <a href={`/agents/${a.id}`}>{a.name}</a>
                      </td>
                      <td>
                        <StatusBadge status={a.status} />
                      </td>
                      <td>
                        {a.blueprint} <span className="muted">v{a.blueprintVersion}</span>
                      </td>
                      <td className="num">
                        <Performance live={a.live} />
                      </td>
                      <td>{a.live.lastTickAt ? <Time ms={Date.parse(a.live.lastTickAt)} /> : <span className="muted">—</span>}</td>
                      <td>
                        {a.live.lastError ? (
                          <a href={`/agents/${a.id}`} className="link-bad" title={`${a.live.lastError.message} (${a.live.lastError.source})`}>
                            {a.live.lastError.message.length > 48 ? `${a.live.lastError.message.slice(0, 47)}…` : a.live.lastError.message}
                          </a>
                        ) : (
                          <span className="muted">none</span>
                        )}
                      </td>
                      <td className="num">{a.configVersion}</td>
                      <td>{a.cronInterval ?? <span className="muted">none</span>}</td>
                      <td className="num">{formatDuration(a.uptimeMs)}</td>
                      <td>
                        <Time ms={Date.parse(a.updatedAt)} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ))}
    </div>
  );
}
