import { useId } from 'react';

/** One property of a blueprint's config schema (JSON Schema 2020-12, with `unit`, `hot` and `help`). */
export interface PropertySchema {
  type?: string | string[];
  description?: string;
  help?: string;
  unit?: string;
  hot?: boolean;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  items?: PropertySchema;
  maxItems?: number;
  anyOf?: PropertySchema[];
}

export interface ObjectSchema {
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

/** What a field holds while being edited: text for inputs, a flag for checkboxes. */
export type FieldValues = Record<string, string | boolean>;

function kindOf(schema: PropertySchema): 'integer' | 'number' | 'boolean' | 'string' | 'json' {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'integer' || type === 'number' || type === 'boolean' || type === 'string') return type;
  return 'json';
}

/** The form's starting values from config values (or the schema's defaults). */
export function toFieldValues(schema: ObjectSchema, values: Record<string, unknown>): FieldValues {
  const out: FieldValues = {};
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const value = key in values ? values[key] : prop.default;
    const kind = kindOf(prop);
    if (kind === 'boolean') out[key] = value === true;
    else if (kind === 'json') out[key] = value === undefined ? '' : JSON.stringify(value);
    else out[key] = value === undefined || value === null ? '' : String(value);
  }
  return out;
}

/**
 * Field values → config values and the reason each invalid one would be refused, checked
 * against the schema's own rules (type, bounds, length, pattern, enum) before anything is sent.
 * Empty optional fields are left out (the blueprint's default applies).
 */
export function parseFieldValues(schema: ObjectSchema, fields: FieldValues, only?: Set<string>): { config: Record<string, unknown>; errors: Record<string, string> } {
  const config: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const required = new Set(schema.required ?? []);
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (only && !only.has(key)) continue;
    const raw = fields[key];
    const kind = kindOf(prop);
    if (kind === 'boolean') {
      config[key] = raw === true;
      continue;
    }
    const text = String(raw ?? '').trim();
    if (text === '') {
      if (required.has(key) && prop.default === undefined) errors[key] = `${key} is required`;
      continue;
    }
    if (kind === 'integer' || kind === 'number') {
      const n = Number(text);
      if (!Number.isFinite(n)) errors[key] = `${key} must be a number`;
      else if (kind === 'integer' && !Number.isInteger(n)) errors[key] = `${key} must be a whole number`;
      else if (prop.minimum !== undefined && n < prop.minimum) errors[key] = `${key} must be at least ${prop.minimum}`;
      else if (prop.maximum !== undefined && n > prop.maximum) errors[key] = `${key} must be at most ${prop.maximum}`;
      else if (prop.exclusiveMinimum !== undefined && n <= prop.exclusiveMinimum) errors[key] = `${key} must be more than ${prop.exclusiveMinimum}`;
      else if (prop.exclusiveMaximum !== undefined && n >= prop.exclusiveMaximum) errors[key] = `${key} must be less than ${prop.exclusiveMaximum}`;
      else config[key] = n;
    } else if (kind === 'string') {
      if (prop.enum && !prop.enum.includes(text)) errors[key] = `${key} must be one of ${prop.enum.join(', ')}`;
      else if (prop.minLength !== undefined && text.length < prop.minLength) errors[key] = `${key} must have at least ${prop.minLength} characters`;
      else if (prop.maxLength !== undefined && text.length > prop.maxLength) errors[key] = `${key} must have at most ${prop.maxLength} characters`;
      else if (prop.pattern && !new RegExp(prop.pattern, 'u').test(text)) errors[key] = `${key} does not have the expected form (${prop.pattern})`;
      else config[key] = text;
    } else {
      try {
        const value: unknown = JSON.parse(text);
        if (Array.isArray(value) && prop.maxItems !== undefined && value.length > prop.maxItems) errors[key] = `${key} may hold at most ${prop.maxItems} items`;
        else config[key] = value;
      } catch {
        errors[key] = `${key} must be JSON (e.g. [] or ["…"])`;
      }
    }
  }
  return { config, errors };
}

/** The API's validation failures (`details.fields`, `config.<key>`) by config key. */
export function apiFieldErrors(details: unknown, prefix = 'config.'): Record<string, string> {
  const out: Record<string, string> = {};
  const fields = (details as { fields?: { field?: string; message?: string }[] } | undefined)?.fields;
  for (const f of Array.isArray(fields) ? fields : []) {
    if (typeof f.field === 'string' && f.field.startsWith(prefix)) out[f.field.slice(prefix.length).split('.')[0]] = f.message ?? 'refused';
  }
  return out;
}

/**
 * The fields of a config schema: each with its label, unit, help and bounds, its default as a
 * hint, and the reason beside it when it would be (or was) refused. `locked` keys are shown
 * read-only with why.
 */
export function SchemaFields({ schema, values, errors, onChange, locked }: { schema: ObjectSchema; values: FieldValues; errors: Record<string, string>; onChange: (key: string, value: string | boolean) => void; locked?: Record<string, string> }) {
  const ids = useId();
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([key, prop]) => {
        const id = `${ids}-${key}`;
        const kind = kindOf(prop);
        const help = prop.description ?? prop.help;
        const lockReason = locked?.[key];
        const error = errors[key];
        const hintId = `${id}-hint`;
        const errorId = `${id}-error`;
        const describedBy = [help || prop.unit || lockReason ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
        const bounds = [prop.minimum !== undefined ? `min ${prop.minimum}` : '', prop.maximum !== undefined ? `max ${prop.maximum}` : '', prop.default !== undefined ? `default ${JSON.stringify(prop.default)}` : ''].filter(Boolean).join(', ');
        const common = { id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined, disabled: Boolean(lockReason) } as const;
        return (
          <div className="field" key={key} data-field={key}>
            <label htmlFor={id}>
              {key}
              {prop.unit && <span className="muted"> ({prop.unit})</span>}
              {prop.hot && <span className="badge">hot</span>}
            </label>
            {kind === 'boolean' ? (
              <input type="checkbox" {...common} checked={values[key] === true} onChange={(e) => onChange(key, e.target.checked)} />
            ) : kind === 'string' && prop.enum ? (
              <select {...common} value={String(values[key] ?? '')} onChange={(e) => onChange(key, e.target.value)}>
                {prop.enum.map((v) => (
                  <option key={String(v)} value={String(v)}>
                    {String(v)}
                  </option>
                ))}
              </select>
            ) : (
              <input
                {...common}
                type="text"
                inputMode={kind === 'integer' ? 'numeric' : kind === 'number' ? 'decimal' : undefined}
                value={String(values[key] ?? '')}
                placeholder={prop.default !== undefined ? JSON.stringify(prop.default) : undefined}
                onChange={(e) => onChange(key, e.target.value)}
              />
            )}
            {(help || bounds || lockReason) && (
              <p className="hint muted" id={hintId}>
                {lockReason ? <strong>Locked: {lockReason}. </strong> : null}
                {help}
                {bounds && <span> ({bounds})</span>}
              </p>
            )}
            {error && (
              <p className="field-error" id={errorId} role="alert">
                {error}
              </p>
            )}
          </div>
        );
      })}
    </>
  );
}
