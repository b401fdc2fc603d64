import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { api, body } from '../../api/client';
import { ApiError, errorText } from '../../api/errors';
import type { components } from '../../api/schema';
import { MessageGraph } from '../../components/message-graph';
import { DataTable } from '../../components/page';
import { LazyChart } from '../../components/lazy-chart';
import { apiFieldErrors, parseFieldValues, SchemaFields, toFieldValues, type FieldValues, type ObjectSchema } from '../../components/schema-form';
import { Empty, ErrorNote, Loading } from '../../components/status';
import type { ChartSeries } from '../../components/time-chart';
import { Id, Time } from '../../components/values';
import { formatDuration } from '../../lib/format';
import { useTitle } from '../../lib/use-title';
import { StatusBadge, type Agent, type Blueprint } from './agents-list';

type Detail = components['schemas']['AgentDetailDto'];
type AgentEvent = components['schemas']['AgentEventDto'];
const ACTION_LABEL: Record<string, string> = { start: 'Start', pause: 'Pause', resume: 'Resume', kill: 'Kill' };
const ACTION_EFFECT: Record<string, string> = {
  start: 'sends a signed Start message and resumes its ticks',
  pause: 'sends a signed Stop message and pauses its ticks',
  resume: 'sends a signed Start message and resumes its ticks',
  kill: 'sends a signed Kill message; a killed agent cannot be started again',
};

/** One lifecycle button; pressing it asks for confirmation before the message is sent. */
function LifecycleButton({ agent, action }: { agent: Agent; action: string }) {
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const act = useMutation({
    mutationFn: () => body<components['schemas']['AgentActionResultDto']>(api.POST('/api/agents/{id}/{action}', { params: { path: { id: agent.id, action: action as Agent['allowedActions'][number] } } })),
    onSuccess: () => {
      setAsking(false);
      void client.invalidateQueries({ queryKey: ['agent', agent.id] });
    },
  });
  if (!asking) {
    return (
      <button type="button" className={`button${action === 'kill' ? ' danger' : ''}`} onClick={() => setAsking(true)}>
        {ACTION_LABEL[action] ?? action}
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label={`Confirm ${action}`}>
      <p>
        {ACTION_LABEL[action]} {agent.name}? This {ACTION_EFFECT[action] ?? 'sends a signed message'}.
      </p>
      <button type="button" className={`button primary${action === 'kill' ? ' danger' : ''}`} onClick={() => act.mutate()} disabled={act.isPending} autoFocus>
        {act.isPending ? 'Sending…' : `Yes, ${action}`}
      </button>
      <button type="button" className="button ghost" onClick={() => setAsking(false)}>
        Cancel
      </button>
      {act.isError && <ErrorNote error={act.error} />}
    </div>
  );
}

/** The config form: hot keys editable any time, restart-only keys locked while running (with why). */
function ConfigEditor({ agent, blueprint, applied, setApplied }: { agent: Agent; blueprint: Blueprint; applied: string[] | null; setApplied: (keys: string[] | null) => void }) {
  const client = useQueryClient();
  const schema = blueprint.configSchema as ObjectSchema;
  const [fields, setFields] = useState<FieldValues>(() => toFieldValues(schema, agent.config));
  const hot = new Set(blueprint.hotKeys);
  const locked: Record<string, string> = {};
  if (agent.status === 'killed') for (const key of Object.keys(schema.properties ?? {})) locked[key] = 'the agent is killed';
  else if (agent.status === 'running') for (const key of Object.keys(schema.properties ?? {})) if (!hot.has(key)) locked[key] = 'restart-only key; pause the agent to change it';
  const original = useMemo(() => toFieldValues(schema, agent.config), [schema, agent.config]);
  const changed = new Set(Object.keys(fields).filter((k) => fields[k] !== original[k] && !locked[k]));
  const local = parseFieldValues(schema, fields, changed);
  const save = useMutation({
    mutationFn: (config: Record<string, unknown>) => body<components['schemas']['AgentConfigResultDto']>(api.PATCH('/api/agents/{id}/config', { params: { path: { id: agent.id } }, body: { config } })),
    onSuccess: (result) => {
      setApplied(result.applied);
      void client.invalidateQueries({ queryKey: ['agent', agent.id] });
    },
  });
  const apiErrors = save.error instanceof ApiError ? apiFieldErrors(save.error.details) : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(null);
    if (Object.keys(local.errors).length || changed.size === 0) return;
    save.mutate(local.config);
  };
  return (
    <form className="panel" onSubmit={submit} noValidate aria-labelledby="config-title" data-testid="config-form">
      <h2 id="config-title">
        Config <span className="muted">version {agent.configVersion}</span>
      </h2>
      <SchemaFields schema={schema} values={fields} errors={{ ...apiErrors, ...local.errors }} locked={locked} onChange={(key, value) => setFields((f) => ({ ...f, [key]: value }))} />
      {save.isError && Object.keys(apiErrors).length === 0 && (
        <p className="field-error" role="alert">
          {errorText(save.error)}
        </p>
      )}
      {applied && (
        <p role="status" data-testid="config-applied">
          Applied: {applied.join(', ') || 'nothing changed'}
        </p>
      )}
      <button type="submit" className="button primary" disabled={save.isPending || changed.size === 0}>
        {save.isPending ? 'Sending Configure…' : `Apply ${changed.size || ''} change${changed.size === 1 ? '' : 's'}`}
      </button>
    </form>
  );
}

/** Payload fields that are ids, clocks or counters of the envelope, not figures worth a line. */
const NOT_PLOTTED = /^(seq|timestamp|at|nonce)$|Version$|Seq$/;

/** Numeric fields of published events as series over time, and events per topic (cumulative). */
export function eventSeries(events: AgentEvent[]): ChartSeries[] {
  const series = new Map<string, ChartSeries['points']>();
  const counts = new Map<string, number>();
  const push = (name: string, at: number, value: number) => {
    if (!series.has(name)) series.set(name, []);
    series.get(name)!.push({ at, value });
  };
  for (const e of [...events].sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)))) {
    const at = Date.parse(e.at);
    const n = (counts.get(e.topic) ?? 0) + 1;
    counts.set(e.topic, n);
    push(`${e.topic} events`, at, n);
    if (e.payload && typeof e.payload === 'object' && !Array.isArray(e.payload)) {
      for (const [k, v] of Object.entries(e.payload as Record<string, unknown>)) {
        const value = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
        if (Number.isFinite(value) && !NOT_PLOTTED.test(k)) push(`${e.topic}.${k}`, at, value);
      }
    }
  }
  const colours = ['--series-1', '--series-2', '--series-3'];
  return [...series]
    .slice(0, 6)
    .map(([name, points], i) => ({ name, color: colours[i % colours.length], points }));
}

/** Publishes the agent as a strategy traders can subscribe to (title, description, some of its topics). */
function PublishForm({ agent, blueprint }: { agent: Agent; blueprint: Blueprint }) {
  const client = useQueryClient();
  const [title, setTitle] = useState(agent.name);
  const [description, setDescription] = useState('');
  const [topics, setTopics] = useState<string[]>(() => blueprint.topics.map((t) => t.name));
  const publish = useMutation({
    mutationFn: () => body<components['schemas']['StrategyDto']>(api.POST('/api/strategies', { body: { agentId: agent.id, title: title.trim(), description, topics } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['strategies'] }),
  });
  const fields = publish.error instanceof ApiError ? apiFieldErrors(publish.error.details, '') : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (title.trim() && topics.length) publish.mutate();
  };
  if (publish.isSuccess) {
    return (
      <p role="status" className="panel">
        Published as <Link href="/strategies">{publish.data.title}</Link>.
      </p>
    );
  }
  return (
    <details className="panel">
      <summary>Publish as a strategy</summary>
      <form onSubmit={submit} noValidate aria-label="Publish as a strategy">
        <div className="field">
          <label htmlFor="publish-title">Title</label>
          <input id="publish-title" value={title} maxLength={120} onChange={(e) => setTitle(e.target.value)} aria-invalid={!title.trim() || fields.title ? true : undefined} />
          {(!title.trim() || fields.title) && <p className="field-error">{fields.title ?? 'A title is required'}</p>}
        </div>
        <div className="field">
          <label htmlFor="publish-description">Description</label>
          <textarea id="publish-description" value={description} maxLength={4000} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <fieldset>
          <legend>Topics traders may subscribe to</legend>
          {blueprint.topics.map((t) => (
            <label key={t.name} className="check">
              <input type="checkbox" checked={topics.includes(t.name)} onChange={(e) => setTopics((all) => (e.target.checked ? [...all, t.name] : all.filter((x) => x !== t.name)))} /> {t.name} <span className="muted">{t.help}</span>
            </label>
          ))}
          {(topics.length === 0 || fields.topics) && <p className="field-error">{fields.topics ?? 'Choose at least one topic'}</p>}
        </fieldset>
        {publish.isError && !Object.keys(fields).length && <ErrorNote error={publish.error} />}
        <button type="submit" className="button" disabled={publish.isPending || !title.trim() || topics.length === 0}>
          {publish.isPending ? 'Publishing…' : 'Publish'}
        </button>
      </form>
    </details>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="panel" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** One agent: status and lifecycle, config with history, a live chart of what it publishes, logs, events, messages, subscribers. */
export default function AgentPage({ id }: { id: string }) {
  const agent = useQuery({ queryKey: ['agent', id], queryFn: () => body<Detail>(api.GET('/api/agents/{id}', { params: { path: { id } } })), refetchInterval: 5_000 });
  useTitle(agent.data ? `Agent ${agent.data.name}` : 'Agent');
  const blueprints = useQuery({ queryKey: ['blueprints'], queryFn: () => body<Blueprint[]>(api.GET('/api/blueprints')), staleTime: 60_000 });
  const path = { params: { path: { id }, query: { limit: 100 } } };
  const events = useQuery({ queryKey: ['agent', id, 'events'], queryFn: () => body<components['schemas']['EventPageDto']>(api.GET('/api/agents/{id}/events', path)), refetchInterval: 3_000 });
  const logs = useQuery({ queryKey: ['agent', id, 'logs'], queryFn: () => body<components['schemas']['LogPageDto']>(api.GET('/api/agents/{id}/logs', path)), refetchInterval: 5_000 });
  const messages = useQuery({ queryKey: ['agent', id, 'messages'], queryFn: () => body<components['schemas']['AgentMessagesDto']>(api.GET('/api/agents/{id}/messages', path)), refetchInterval: 5_000 });
  const audit = useQuery({ queryKey: ['agent', id, 'audit'], queryFn: () => body<components['schemas']['AuditPageDto']>(api.GET('/api/agents/{id}/audit', path)), refetchInterval: 5_000 });
  const state = useQuery({ queryKey: ['agent', id, 'state'], queryFn: () => body<components['schemas']['AgentStateDto']>(api.GET('/api/agents/{id}/state', { params: { path: { id } } })), refetchInterval: 10_000 });
  const series = useMemo(() => eventSeries(events.data?.items ?? []), [events.data]);
  // Kept here, not in the editor: the editor is rebuilt for each config version, which the
  // applied Configure itself produces.
  const [applied, setApplied] = useState<string[] | null>(null);
  if (agent.isPending) return <Loading what="the agent" />;
  if (agent.isError) return <ErrorNote error={agent.error} retry={() => void agent.refetch()} />;
  const a = agent.data;
  const blueprint = blueprints.data?.find((b) => b.name === a.blueprint);
  const subscribers = Array.isArray(state.data?.subscriptions.data) ? (state.data.subscriptions.data as { subscriber?: string; topics?: string[] }[]) : [];
  const errorsLogged = logs.data?.items.filter((l) => l.error).length ?? 0;
  return (
    <div className="page">
      <div className="page-head">
        <p>
          <Link href="/agents">Agents</Link> /
        </p>
        <h1>
          {a.name} <StatusBadge status={a.status} />
        </h1>
        <p className="muted">
          {a.blueprint} v{a.blueprintVersion} · process <Id id={a.processId} explore /> · up {formatDuration(a.uptimeMs)} · ticks {a.cronInterval ?? 'none'}
          {' · '}
          <Link href={`/explorer/${a.processId}`}>Verify its history</Link>
          {a.blueprint === 'order-book' && (
            <>
              {' · '}
              <Link href={`/venue/${a.processId}`}>Open the venue</Link>
            </>
          )}
        </p>
      </div>
      <div className="actions" role="group" aria-label="Lifecycle" data-testid="lifecycle">
        {a.allowedActions.map((action) => (
          <LifecycleButton key={action} agent={a} action={action} />
        ))}
      </div>
      <dl className="figures">
        <div className="figure">
          <dt>Last tick or message</dt>
          <dd>{logs.data?.items[0] ? <Time ms={Date.parse(logs.data.items[0].at)} /> : '—'}</dd>
        </div>
        <div className={`figure${errorsLogged ? ' tone-bad' : ''}`}>
          <dt>Errors in the last {logs.data?.items.length ?? 0} results</dt>
          <dd>{errorsLogged}</dd>
        </div>
        {a.figures &&
          Object.entries(a.figures)
            .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
            .slice(0, 8)
            .map(([k, v]) => (
              <div className="figure" key={k}>
                <dt>{k}</dt>
                <dd>{String(v)}</dd>
              </div>
            ))}
      </dl>
      {a.figuresError && <p className="muted">Live figures unavailable: {a.figuresError}</p>}
      <Section title="What it publishes">
        {series.length ? <LazyChart series={series} label={`Events published by ${a.name}`} /> : <Empty title="Nothing published yet.">Events appear here as the agent publishes them.</Empty>}
      </Section>
      {blueprint && a.status !== 'killed' && <PublishForm agent={a} blueprint={blueprint} />}
      {blueprint ? <ConfigEditor key={`${a.configVersion}-${a.status}`} agent={a} blueprint={blueprint} applied={applied} setApplied={setApplied} /> : <Loading what="the blueprint" />}
      <Section title="History">
        {audit.data?.items.length ? (
          <DataTable testId="audit" columns={['When', 'Who', 'Action', 'Details', 'Message']}>
            {audit.data.items.map((e) => (
              <tr key={e.id}>
                <td>
                  <Time ms={Date.parse(e.at)} />
                </td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>
                  <code className="wrap">{JSON.stringify((e.details as { patch?: unknown }).patch ?? e.details)}</code>
                </td>
                <td>{e.messageId ? <Id id={e.messageId} /> : '—'}</td>
              </tr>
            ))}
          </DataTable>
        ) : (
          <Empty title="No history yet." />
        )}
      </Section>
      <Section title="Events">
        {events.data?.items.length ? (
          <DataTable testId="events" columns={['Seq', 'Topic', 'Payload', 'When']}>
            {events.data.items.map((e) => (
              <tr key={e.id}>
                <td className="num">{e.eventSeq}</td>
                <td>{e.topic}</td>
                <td>
                  <code className="wrap">{JSON.stringify(e.payload)}</code>
                </td>
                <td>
                  <Link href={`/explorer/${e.processId}?nonce=${e.nonce}`}>
                    <Time ms={Date.parse(e.at)} />
                  </Link>
                </td>
              </tr>
            ))}
          </DataTable>
        ) : (
          <Empty title="No events yet." />
        )}
      </Section>
      <Section title="Messages">
        {messages.isError && <ErrorNote error={messages.error} />}
        {messages.data && (messages.data.incoming.length || messages.data.outgoing.length || messages.data.spawned.length) ? (
          <MessageGraph agent={a.processId} messages={messages.data} label={`Messages of ${a.name}`} />
        ) : null}
        {messages.isPending && <Loading what="the messages" />}
        {messages.data && (
          <DataTable testId="messages" columns={['Direction', 'Action or kind', 'From / to', 'Message']}>
            {messages.data.incoming.map((m) => (
              <tr key={`in-${m.id}`}>
                <td>incoming #{m.nonce}</td>
                <td>{m.action ?? '—'}</td>
                <td>{m.from ? <Id id={m.from} explore /> : '—'}</td>
                <td>
                  <Link href={`/explorer/${a.processId}?nonce=${m.nonce}`}>
                    <code>{m.id.slice(0, 8)}…</code>
                  </Link>
                </td>
              </tr>
            ))}
            {[...messages.data.outgoing.map((m) => ({ ...m, dir: 'outgoing' })), ...messages.data.spawned.map((m) => ({ ...m, dir: 'spawned' }))].map((m, i) => (
              <tr key={`out-${m.id ?? i}`}>
                <td>
                  {m.dir} (from #{m.fromNonce})
                </td>
                <td>
                  {m.kind} · {m.status}
                  {m.error && <span className="field-error"> {m.error}</span>}
                </td>
                <td>{m.target ? <Id id={m.target} explore /> : '—'}</td>
                <td>{m.id ? <code>{m.id.slice(0, 8)}…</code> : '—'}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
      <Section title="Logs">
        {logs.data?.items.length ? (
          <DataTable testId="logs" columns={['Nonce', 'Action', 'Output or error', { label: 'Gas', num: true }, 'When']}>
            {logs.data.items.map((l) => (
              <tr key={l.messageId}>
                <td className="num">
                  <Link href={`/explorer/${a.processId}?nonce=${l.nonce}`}>{l.nonce}</Link>
                </td>
                <td>{l.action ?? '—'}</td>
                <td className={l.error ? 'reason' : undefined}>{l.error ?? l.output ?? ''}</td>
                <td className="num">{l.gasUsed}</td>
                <td>
                  <Time ms={Date.parse(l.at)} />
                </td>
              </tr>
            ))}
          </DataTable>
        ) : (
          <Empty title="No results yet." />
        )}
      </Section>
      <Section title="Subscribers">
        {subscribers.length ? (
          <ul data-testid="subscribers">
            {subscribers.map((s) => (
              <li key={s.subscriber}>
                {s.subscriber ? <Id id={s.subscriber} /> : '?'} · {(s.topics ?? []).join(', ')}
              </li>
            ))}
          </ul>
        ) : (
          <Empty title="No subscribers." />
        )}
      </Section>
    </div>
  );
}
