import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { api, body } from '../../api/client';
import { ApiError, errorText } from '../../api/errors';
import { apiFieldErrors, parseFieldValues, SchemaFields, toFieldValues, type FieldValues, type ObjectSchema } from '../../components/schema-form';
import { ErrorNote, Loading } from '../../components/status';
import { useTitle } from '../../lib/use-title';
import type { Agent, Blueprint } from './agents-list';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const CRON = /^\d+-(seconds?|minutes?|hours?|days?)$/;

function BlueprintForm({ blueprint }: { blueprint: Blueprint }) {
  const ids = useId();
  const [, navigate] = useLocation();
  const schema = blueprint.configSchema as ObjectSchema;
  const [name, setName] = useState('');
  const [cron, setCron] = useState('');
  const [fields, setFields] = useState<FieldValues>(() => toFieldValues(schema, blueprint.defaults));
  const [touched, setTouched] = useState(false);
  const local = useMemo(() => parseFieldValues(schema, fields), [schema, fields]);
  const create = useMutation({
    mutationFn: (input: { name: string; config: Record<string, unknown>; cronInterval?: string }) => body<Agent>(api.POST('/api/agents', { body: { blueprint: blueprint.name, ...input } })),
    onSuccess: (agent) => navigate(`/agents/${agent.id}`),
  });
  const apiErrors = create.error instanceof ApiError ? apiFieldErrors(create.error.details) : {};
  const apiOther = create.error instanceof ApiError ? apiFieldErrors(create.error.details, '') : {};
  const nameError = !NAME.test(name) && (touched || name) ? 'name must be 1 to 64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit' : apiOther.name;
  const cronError = cron && !CRON.test(cron.trim()) ? 'cron interval looks like 10-seconds, 5-minutes or 1-hour' : apiOther.cronInterval;
  const errors = { ...apiErrors, ...(touched ? local.errors : {}) };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!NAME.test(name) || (cron && !CRON.test(cron.trim())) || Object.keys(local.errors).length) return;
    // Only what differs from the defaults is sent: the rest the API fills in the same way.
    const config = Object.fromEntries(Object.entries(local.config).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(blueprint.defaults[k])));
    create.mutate({ name: name.trim(), config, cronInterval: cron.trim() || undefined });
  };
  return (
    <form className="panel" onSubmit={submit} noValidate aria-label={`New ${blueprint.title}`} data-testid="create-agent-form">
      <h2>{blueprint.title}</h2>
      <p className="muted">{blueprint.description}</p>
      <div className="field">
        <label htmlFor={`${ids}-name`}>Name</label>
        <input id={`${ids}-name`} value={name} onChange={(e) => setName(e.target.value)} aria-invalid={nameError ? true : undefined} aria-describedby={nameError ? `${ids}-name-error` : undefined} />
        {nameError && (
          <p className="field-error" id={`${ids}-name-error`} role="alert">
            {nameError}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${ids}-cron`}>Tick interval (Cron-Interval)</label>
        <input id={`${ids}-cron`} value={cron} placeholder="e.g. 10-seconds; empty: no ticks" onChange={(e) => setCron(e.target.value)} aria-describedby={cronError ? `${ids}-cron-error` : undefined} />
        {cronError && (
          <p className="field-error" id={`${ids}-cron-error`} role="alert">
            {cronError}
          </p>
        )}
      </div>
      <fieldset>
        <legend>Config</legend>
        <SchemaFields schema={schema} values={fields} errors={errors} onChange={(key, value) => setFields((f) => ({ ...f, [key]: value }))} />
      </fieldset>
      {create.isError && Object.keys(apiErrors).length === 0 && !apiOther.name && (
        <p className="field-error" role="alert">
          {errorText(create.error)}
        </p>
      )}
      <button type="submit" className="button primary" disabled={create.isPending}>
        {create.isPending ? 'Spawning…' : 'Create agent'}
      </button>
    </form>
  );
}

/** Create an agent: pick a blueprint, fill the form generated from its config schema. */
export default function CreateAgent() {
  useTitle('Create agent');
  const [location, navigate] = useLocation();
  const chosen = new URLSearchParams(useSearch()).get('blueprint') ?? '';
  const blueprints = useQuery({ queryKey: ['blueprints'], queryFn: () => body<Blueprint[]>(api.GET('/api/blueprints')), staleTime: 60_000 });
  const blueprint = blueprints.data?.find((b) => b.name === chosen);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Create agent</h1>
        <p className="muted">The agent is spawned as a draft (its process exists, its ticks paused); start it from its page.</p>
      </div>
      {blueprints.isPending && <Loading what="the catalogue" />}
      {blueprints.isError && <ErrorNote error={blueprints.error} retry={() => void blueprints.refetch()} />}
      {blueprints.isSuccess && (
        <div className="field">
          <label htmlFor="blueprint-pick">Blueprint</label>
          <select id="blueprint-pick" value={chosen} onChange={(e) => navigate(`${location}?blueprint=${encodeURIComponent(e.target.value)}`, { replace: true })}>
            <option value="">Choose a blueprint…</option>
            {blueprints.data.map((b) => (
              <option key={b.name} value={b.name}>
                {b.title} ({b.name} v{b.version})
              </option>
            ))}
          </select>
        </div>
      )}
      {blueprint && <BlueprintForm key={blueprint.name} blueprint={blueprint} />}
    </div>
  );
}
