import { AoError } from './errors.js';
import type { Tag } from './types.js';

/** Names of the tags ao items carry (see PROTOCOL.md, "Tags by Type"). */
export const TAG = {
  DataProtocol: 'Data-Protocol',
  Variant: 'Variant',
  Type: 'Type',
  Action: 'Action',
  Name: 'Name',
  Module: 'Module',
  Scheduler: 'Scheduler',
  Process: 'Process',
  Nonce: 'Nonce',
  Epoch: 'Epoch',
  HashChain: 'Hash-Chain',
  BlockHeight: 'Block-Height',
  Timestamp: 'Timestamp',
  Message: 'Message',
  Exclude: 'Exclude',
  FromProcess: 'From-Process',
  FromModule: 'From-Module',
  PushedFor: 'Pushed-For',
  ForwardedBy: 'Forwarded-By',
  Reference: 'Reference',
  XReference: 'X-Reference',
  Cron: 'Cron',
  CronInterval: 'Cron-Interval',
  Authority: 'Authority',
  OnBoot: 'On-Boot',
  ModuleFormat: 'Module-Format',
  InputEncoding: 'Input-Encoding',
  OutputEncoding: 'Output-Encoding',
  ContentType: 'Content-Type',
  ContentEncoding: 'Content-Encoding',
  MemoryLimit: 'Memory-Limit',
  ComputeLimit: 'Compute-Limit',
  Url: 'Url',
  TimeToLive: 'Time-To-Live',
  Sha256: 'SHA-256',
} as const;

/** `Cron-Tag-<Name>` on a Process becomes tag `<Name>` on each of its cron messages. */
export const CRON_TAG_PREFIX = 'Cron-Tag-';

/** The value of `Data-Protocol` on every ao item. */
export const AO_DATA_PROTOCOL = 'ao';

/** The value of `Variant` this network speaks. */
export const AO_VARIANT = 'ao.TN.1';

/** The `Type` values ao defines. */
export const AO_TYPES = ['Process', 'Message', 'Module', 'Assignment', 'Scheduler-Location', 'Checkpoint'] as const;

/** One of ao's `Type` values. */
export type AoType = (typeof AO_TYPES)[number];

/** The tags each Type must carry besides Data-Protocol and Type. */
const REQUIRED_BY_TYPE: Record<AoType, readonly string[]> = {
  Process: [TAG.Module, TAG.Scheduler],
  Message: [],
  Module: [TAG.ModuleFormat],
  Assignment: [TAG.Process, TAG.Epoch, TAG.Nonce, TAG.HashChain, TAG.BlockHeight, TAG.Timestamp],
  'Scheduler-Location': [TAG.Url, TAG.TimeToLive],
  Checkpoint: [TAG.Process, TAG.Module, TAG.Nonce, TAG.Timestamp],
};

/** The value of the first tag with this name (names are case-sensitive), or undefined. */
export function getTag(tags: readonly Tag[], name: string): string | undefined {
  return tags.find((t) => t.name === name)?.value;
}

/** The values of every tag with this name, in order. */
export function getTags(tags: readonly Tag[], name: string): string[] {
  return tags.filter((t) => t.name === name).map((t) => t.value);
}

/** True when a tag with this name (and this value, when given) is present. */
export function hasTag(tags: readonly Tag[], name: string, value?: string): boolean {
  return tags.some((t) => t.name === name && (value === undefined || t.value === value));
}

/** The three tags every ao item starts with: `Data-Protocol: ao`, `Variant: ao.TN.1`, `Type: <type>`. */
export function aoTags(type: AoType): Tag[] {
  return [
    { name: TAG.DataProtocol, value: AO_DATA_PROTOCOL },
    { name: TAG.Variant, value: AO_VARIANT },
    { name: TAG.Type, value: type },
  ];
}

function invalid(message: string, details: Record<string, unknown>): AoError {
  return new AoError('INVALID_PROTOCOL', message, details);
}

/**
 * Checks an item speaks ao and returns its Type: one `Data-Protocol` value is `ao`, `Type` is present
 * (and one of `expectedTypes` when given), and the Type's required tags are there (Process: Module
 * and Scheduler; Module: Module-Format; Assignment: Process, Epoch, Nonce, Hash-Chain, Block-Height,
 * Timestamp; Scheduler-Location: Url, Time-To-Live; Checkpoint: Process, Module, Nonce, Timestamp);
 * a Message needs a target. Types ao does not define pass when no `expectedTypes` are given.
 * Throws AoError INVALID_PROTOCOL with `details.tag` naming the first offending tag.
 */
export function validateAoItem(item: { tags: readonly Tag[]; target?: string }, expectedTypes?: readonly AoType[]): string {
  const protocols = getTags(item.tags, TAG.DataProtocol);
  if (!protocols.includes(AO_DATA_PROTOCOL)) {
    throw invalid(`Data-Protocol must be "ao", got ${protocols.length ? protocols.map((p) => `"${p}"`).join(', ') : 'none'}`, {
      tag: TAG.DataProtocol,
      got: protocols,
    });
  }
  const type = getTag(item.tags, TAG.Type);
  if (!type) throw invalid('A Type tag is required', { tag: TAG.Type });
  if (expectedTypes && !(expectedTypes as readonly string[]).includes(type)) {
    throw invalid(`Type must be ${expectedTypes.join(' or ')}, got "${type}"`, { tag: TAG.Type, got: type, expected: expectedTypes });
  }
  const required = (REQUIRED_BY_TYPE as Record<string, readonly string[] | undefined>)[type] ?? [];
  for (const name of required) {
    if (!getTag(item.tags, name)) throw invalid(`A ${type} needs a ${name} tag`, { tag: name, type });
  }
  if (type === 'Message' && !item.target) throw invalid('A Message needs a target (the process id)', { field: 'target', type });
  return type;
}
