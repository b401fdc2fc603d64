import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The blueprint contract: one Lua source plus a typed descriptor per kind of agent. The API lists
 * the catalogue from these descriptors, the dashboard builds its forms from the same schemas, the
 * docs quote them: one source, three readers.
 */

/** What a blueprint's processes are, for filtering the catalogue. */
export type BlueprintKind = 'token' | 'venue' | 'oracle' | 'market-maker' | 'media-verifier';

/** Metadata of one config parameter, attached to its zod schema with {@link param}. */
export interface ParamMeta {
  /** Help text shown beside the field. */
  help: string;
  /** Unit of the value: `bps`, `ms`, `base atomic units`, `quote atomic units per base`, ... */
  unit?: string;
  /** Applied at the agent's next tick while it runs; otherwise the agent must be stopped first. */
  hot: boolean;
}

/** Attaches help, unit and hot-ness to a config field's schema (kept in zod's metadata). */
export function param<T extends z.ZodType>(schema: T, meta: ParamMeta): T {
  return schema.meta({ description: meta.help, unit: meta.unit, hot: meta.hot }) as T;
}

/** Who may send an action. */
export type ActionAudience = 'owner' | 'anyone' | 'subscriber' | 'venue' | 'token' | 'cron';

/** One message a blueprint's process answers, as the catalogue documents it. */
export interface ActionInfo {
  /** The `Action` tag (or `X-Action` of a Credit-Notice, written `Credit-Notice/X-Action`). */
  name: string;
  /** `query`: answers without changing state; `command`: changes state; `event`: input from another process. */
  kind: 'query' | 'command' | 'event';
  audience: ActionAudience;
  /** Tags it reads (name → meaning). */
  tags?: Record<string, string>;
  help: string;
}

/** A topic the process publishes to its subscribers, and the fields of each event. */
export interface TopicInfo {
  name: string;
  help: string;
  fields: Record<string, string>;
}

/** A blueprint: Lua source plus the descriptor that documents, validates and boots it. */
export interface Blueprint<S extends z.ZodObject = z.ZodObject> {
  /** Catalogue key, kebab-case: `market-maker`. */
  name: string;
  /** Semver; bumped whenever the source (or the boot code's shape) changes, checked by a spec. */
  version: string;
  kind: BlueprintKind;
  title: string;
  /** One paragraph for the catalogue. */
  description: string;
  /** Every config parameter with type, default, range (zod checks) and {@link param} metadata. */
  configSchema: S;
  topics: readonly TopicInfo[];
  actions: readonly ActionInfo[];
  /** The Lua the process runs after its config lines (shared Lua modules included), for hashing and display. */
  source: string;
  /** Boot code for the Process item's data: the validated config as Lua, then {@link source}. */
  bootCode(config: z.input<S>): string;
}

/** The catalogue entry a client sees: everything but the functions, the schema as JSON Schema. */
export interface BlueprintInfo {
  name: string;
  version: string;
  kind: BlueprintKind;
  title: string;
  description: string;
  /** JSON Schema (draft 2020-12) of the config, with `unit` and `hot` on each property. */
  configSchema: Record<string, unknown>;
  /** Config keys applied live; every other key needs the agent stopped. */
  hotKeys: string[];
  /** The defaults the schema fills in for an empty config (required keys without defaults absent). */
  defaults: Record<string, unknown>;
  topics: TopicInfo[];
  actions: ActionInfo[];
  /** SHA-256 (hex) of the source: the same value for the same version. */
  sourceSha256: string;
}

/** Config keys whose metadata says `hot: true`. */
export function hotKeys(blueprint: Blueprint): string[] {
  return Object.entries(blueprint.configSchema.shape)
    .filter(([, schema]) => (z.globalRegistry.get(schema as z.ZodType) as { hot?: boolean } | undefined)?.hot === true)
    .map(([key]) => key);
}

/** The catalogue entry of a blueprint. */
export function describeBlueprint(blueprint: Blueprint): BlueprintInfo {
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(blueprint.configSchema.shape)) {
    const parsed = (schema as z.ZodType).safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) defaults[key] = parsed.data;
  }
  return {
    name: blueprint.name,
    version: blueprint.version,
    kind: blueprint.kind,
    title: blueprint.title,
    description: blueprint.description,
    configSchema: z.toJSONSchema(blueprint.configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    hotKeys: hotKeys(blueprint),
    defaults,
    topics: [...blueprint.topics],
    actions: [...blueprint.actions],
    sourceSha256: sourceSha256(blueprint.source),
  };
}

/** SHA-256 (hex) of a blueprint's source. */
export function sourceSha256(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('hex');
}

/** A Lua string literal for any JS string (bytes of its UTF-8 form, escapes for the rest). */
export function luaString(value: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(value)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

/**
 * A JSON-like value as a Lua expression (objects → tables with string keys in sorted order,
 * arrays → sequences, integers stay integers, bigint → integer string). Floats are refused: config
 * that reaches a process is integers, strings and booleans, so replay never depends on float text.
 */
export function luaValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return luaString(value.toString());
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`config numbers must be safe integers, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `{ ${value.map(luaValue).join(', ')} }`;
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `[${luaString(key)}] = ${luaValue((value as Record<string, unknown>)[key])}`);
    return `{ ${entries.join(', ')} }`;
  }
  throw new TypeError(`cannot express a ${typeof value} in Lua`);
}

/** One reason a config was refused: the field's path and the rule it broke. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config that does not satisfy its blueprint's schema; `issues` name each field and rule. */
export class BlueprintConfigError extends RangeError {
  constructor(readonly blueprint: string, readonly issues: ConfigIssue[]) {
    super(`invalid ${blueprint} config: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'BlueprintConfigError';
  }
}

/** Validates a config against a blueprint's schema (defaults filled in) or throws {@link BlueprintConfigError}. */
export function parseConfig<S extends z.ZodObject>(blueprint: Blueprint<S>, input: unknown): z.output<S> {
  const parsed = blueprint.configSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new BlueprintConfigError(
    blueprint.name,
    parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
