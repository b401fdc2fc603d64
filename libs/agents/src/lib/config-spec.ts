import { z } from 'zod';
import { hotKeys, luaValue, param, type Blueprint } from '../blueprint.js';

/**
 * Config formats shared by the agent blueprints, and the Lua view of a zod config schema: a
 * running agent validates each `Configure` patch itself (agent.lua), against a spec generated from
 * the same schema the platform validates with, so the two can never disagree on a type or range.
 */

/** A non-negative integer string of at most 78 digits (token atomic units). */
export const AMOUNT_PATTERN = /^\d{1,78}$/;
/** A positive integer string of at most 78 digits. */
export const POSITIVE_AMOUNT_PATTERN = /^[1-9]\d{0,77}$/;
/** An integer string, possibly negative. */
export const SIGNED_AMOUNT_PATTERN = /^-?\d{1,78}$/;
/** A positive integer string, or -1 for "off" (Hummingbot's price_ceiling/price_floor). */
export const AMOUNT_OR_OFF_PATTERN = /^(-1|[1-9]\d{0,77})$/;
/** A non-negative decimal with at most 6 digits before and 4 after the point ("1", "0.5", "2.25"). */
export const DECIMAL_PATTERN = /^\d{1,6}(\.\d{1,4})?$/;
/** A process id or wallet address (base64url, or 0x hex). */
export const ADDRESS_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A process id or wallet address, or empty for none. */
export const OPTIONAL_ADDRESS_PATTERN = /^[A-Za-z0-9_-]{0,64}$/;

export const amount = () => z.string().regex(AMOUNT_PATTERN, 'a non-negative integer string of at most 78 digits');
export const positiveAmount = () => z.string().regex(POSITIVE_AMOUNT_PATTERN, 'a positive integer string of at most 78 digits');
export const signedAmount = () => z.string().regex(SIGNED_AMOUNT_PATTERN, 'an integer string');
export const amountOrOff = () => z.string().regex(AMOUNT_OR_OFF_PATTERN, 'a positive integer string, or -1 for off');
export const decimal = () => z.string().regex(DECIMAL_PATTERN, 'a decimal like 1 or 0.5 (at most 4 places)');
export const address = () => z.string().regex(ADDRESS_PATTERN, 'a process id or wallet address');
export const optionalAddress = () => z.string().regex(OPTIONAL_ADDRESS_PATTERN, 'a process id or wallet address, or empty');

/** One node of the Lua spec (see agent.lua). */
export type LuaSpec =
  | { type: 'integer'; min?: number; max?: number; hot?: boolean }
  | { type: 'boolean'; hot?: boolean }
  | { type: 'amount'; min?: string; off?: string; hot?: boolean }
  | { type: 'string'; enum?: string[]; minLength?: number; maxLength?: number; pattern?: string; hot?: boolean }
  | { type: 'object'; fields: Record<string, LuaSpec>; hot?: boolean }
  | { type: 'array'; items: LuaSpec; maxItems?: number; hot?: boolean };

const STRING_FORMATS: Record<string, LuaSpec> = {
  [AMOUNT_PATTERN.source]: { type: 'amount', min: '0' },
  [POSITIVE_AMOUNT_PATTERN.source]: { type: 'amount', min: '1' },
  [SIGNED_AMOUNT_PATTERN.source]: { type: 'amount' },
  [AMOUNT_OR_OFF_PATTERN.source]: { type: 'amount', min: '1', off: '-1' },
  // the exact format is checked again by the blueprint (Lua patterns have no optional groups)
  [DECIMAL_PATTERN.source]: { type: 'string', minLength: 1, maxLength: 11, pattern: '^%d+%.?%d*$' },
  [ADDRESS_PATTERN.source]: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[%w_%-]+$' },
  [OPTIONAL_ADDRESS_PATTERN.source]: { type: 'string', maxLength: 64, pattern: '^[%w_%-]*$' },
};

/**
 * The subscription keys every agent's config has (read by Subscriptions.configPricing in
 * subscriptions.lua): no token or a zero price means all topics are free. All hot.
 */
export function subscriptionConfigShape<T extends string>(topics: readonly [T, ...T[]]) {
  return {
    subscriptionToken: param(optionalAddress().default(''), {
      help: 'Token process that subscription payments must come from (Credit-Notice with X-Action: Pay-For-Subscription); empty: every topic is free.',
      hot: true,
    }),
    subscriptionPrice: param(amount().default('0'), {
      help: 'Price of one period of access to the paid topics, in atomic units of the subscription token; 0: free. A payment buys floor(quantity × period ÷ price) ms.',
      unit: 'token atomic units per period',
      hot: true,
    }),
    subscriptionPeriodMs: param(z.number().int().min(1000).max(31_536_000_000).default(86_400_000), {
      help: 'Length of the period the price buys.',
      unit: 'ms',
      hot: true,
    }),
    paidTopics: param(z.array(z.enum(topics)).max(topics.length).default([...topics]), {
      help: 'Topics that need a paid subscription (whitelisted subscribers, registered by the owner, never pay).',
      hot: true,
    }),
  };
}

type JsonSchema = Record<string, unknown>;

function specOf(node: JsonSchema, path: string): LuaSpec {
  const type = node.type;
  if (type === 'integer') {
    const min = (node.minimum as number | undefined) ?? (node.exclusiveMinimum !== undefined ? (node.exclusiveMinimum as number) + 1 : undefined);
    const max = (node.maximum as number | undefined) ?? (node.exclusiveMaximum !== undefined ? (node.exclusiveMaximum as number) - 1 : undefined);
    return { type: 'integer', ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
  }
  if (type === 'boolean') return { type: 'boolean' };
  if (type === 'string') {
    if (Array.isArray(node.enum)) return { type: 'string', enum: node.enum as string[] };
    if (typeof node.pattern === 'string') {
      const known = STRING_FORMATS[node.pattern];
      if (!known) throw new Error(`config key ${path}: no Lua check for the string pattern ${node.pattern}; use a format of config-spec.ts`);
      return { ...known };
    }
    return {
      type: 'string',
      ...(node.minLength !== undefined && { minLength: node.minLength as number }),
      ...(node.maxLength !== undefined && { maxLength: node.maxLength as number }),
    };
  }
  if (type === 'object') {
    const props = (node.properties ?? {}) as Record<string, JsonSchema>;
    return { type: 'object', fields: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, specOf(v, `${path}.${k}`)])) };
  }
  if (type === 'array') {
    return { type: 'array', items: specOf(node.items as JsonSchema, `${path}[]`), ...(node.maxItems !== undefined && { maxItems: node.maxItems as number }) };
  }
  throw new Error(`config key ${path}: no Lua check for ${JSON.stringify(node)}`);
}

/** The Lua spec of a blueprint's config schema: one node per key, with `hot` from its metadata. */
export function luaConfigSpec(blueprint: Pick<Blueprint, 'configSchema' | 'name'>): Record<string, LuaSpec> {
  const json = z.toJSONSchema(blueprint.configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const hot = new Set(hotKeys(blueprint as Blueprint));
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  return Object.fromEntries(Object.entries(props).map(([key, node]) => [key, { ...specOf(node, key), hot: hot.has(key) }]));
}

/** `ConfigSpec = {...}` for a blueprint's Lua prelude. */
export function configSpecLua(blueprint: Pick<Blueprint, 'configSchema' | 'name'>): string {
  return `ConfigSpec = ${luaValue(luaConfigSpec(blueprint))}\n`;
}

/** Boot code of an agent: its validated config (kept on a re-boot: `Config = Config or ...`), then its source. */
export function agentBootCode(config: Record<string, unknown>, source: string, globals: Record<string, unknown> = {}): string {
  const lines = [`Config = Config or ${luaValue(config)}`];
  for (const [name, value] of Object.entries(globals)) lines.push(`${name} = ${luaValue(value)}`);
  return `${lines.join('\n')}\n${source}`;
}
