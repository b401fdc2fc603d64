import { isId } from '../../data-item/ids.js';
import { parseDataItem, type SignedDataItem } from '../../data-item/parse-data-item.js';
import { verifyDataItem } from '../../data-item/verify-data-item.js';
import { AoError } from '../../errors.js';
import type { Tag } from '../../types.js';
import type { AoMessage } from '../evaluator.js';
import type { ArweaveItemSource } from '../ports.js';

/** An item a process may read, checked against its id (signature and deep hash) before use. */
export interface ReadItem {
  id: string;
  /** The signer's address: the item's author. */
  owner: string;
  signatureType: number;
  target?: string;
  anchor?: string;
  tags: Tag[];
  data: Uint8Array;
  /** Height of the block that confirmed it. */
  blockHeight: number;
}

/** Why an id cannot be read: the same for every replay of the message (see docs/agents-media.md). */
export type ReadRefusal = 'not-admissible' | 'too-large' | 'invalid-id' | 'too-many' | 'unsupported';

export type ReadOutcome = { ok: true; item: ReadItem } | { ok: false; code: ReadRefusal; message: string; size?: number };

/** What a message may read, resolved before it is evaluated: one outcome per id it names. */
export type ReadSet = ReadonlyMap<string, ReadOutcome>;

/** A process's read rules, from its tags (`Read-Tags`, `Read-Limit`) within the unit's limits. */
export interface ReadRules {
  /** Names of the message tags whose values name readable items. */
  tags: readonly string[];
  /** Bytes of item data a message may read in all. */
  limitBytes: number;
  /** Ids a message may name. */
  maxItems: number;
}

/** The platform CU's Read-Limit default and maximum (CU_READ_LIMIT_*): a verifier must use the same. */
export const PLATFORM_READ_LIMITS = { defaultBytes: 16 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 } as const;

/** Default tag naming readable items, bytes per message and items per message. */
export const READ_DEFAULTS = { tags: ['Read'], limitBytes: 16 * 1024 * 1024, maxItems: 8 } as const;

/** The largest item ANS-104 data items carry here (the SU's and arbundles' parse limit). */
const MAX_ITEM_BYTES = 64 * 1024 * 1024;

/** The ids a message names in its readable tags, in tag order, each once. */
export function namedIds(msg: Pick<AoMessage, 'Tags'>, rules: Pick<ReadRules, 'tags'>): string[] {
  if (rules.tags.length === 0) return [];
  const out: string[] = [];
  for (const tag of msg.Tags) {
    if (rules.tags.includes(tag.name) && !out.includes(tag.value)) out.push(tag.value);
  }
  return out;
}

const refuse = (code: ReadRefusal, message: string, size?: number): ReadOutcome => ({ ok: false, code, message, ...(size !== undefined ? { size } : {}) });

/**
 * Resolves what a message may read. The rule (docs/agents-media.md): an item is admissible when
 * the message names its id in one of the process's readable tags (so its signer asked for it) and
 * it is an ANS-104 data item confirmed at a block height at or below the message's `Block-Height`.
 * Neither depends on when or where the message is evaluated, provided the source has indexed up
 * to that height: until it has, this throws a transient error (the evaluation is retried). Bytes
 * are checked against the id (signature over the deep hash) before a process sees them; a source
 * serving bytes that do not check out is a transient failure too, never a verdict.
 */
export async function resolveReads(msg: AoMessage, rules: ReadRules, source: ArweaveItemSource): Promise<ReadSet> {
  const ids = namedIds(msg, rules);
  const out = new Map<string, ReadOutcome>();
  if (ids.length === 0) return out;
  const height = msg['Block-Height'];
  // a message whose Read tags hold no id at all needs no gateway (its answers are all invalid-id)
  if (ids.slice(0, rules.maxItems).some(isId) && !(await source.reached(height))) {
    throw new AoError('GATEWAY_UNAVAILABLE', `the gateway has not indexed up to block ${height}, where the message reads`, { height }, 'transient');
  }
  let budget = rules.limitBytes;
  for (const [i, id] of ids.entries()) {
    if (i >= rules.maxItems) {
      out.set(id, refuse('too-many', `a message may name at most ${rules.maxItems} items to read`));
      continue;
    }
    if (!isId(id)) {
      out.set(id, refuse('invalid-id', `${JSON.stringify(id.slice(0, 64))} is not an item id (43 base64url characters)`));
      continue;
    }
    const meta = await source.lookup(id);
    if (!meta || meta.blockHeight === undefined || meta.blockHeight > height) {
      out.set(id, refuse('not-admissible', `item ${id} is not confirmed on Arweave at or before block ${height} (the message's Block-Height)`));
      continue;
    }
    if (!meta.bundled) {
      out.set(id, refuse('unsupported', `item ${id} is a base-layer transaction; only ANS-104 data items can be read`));
      continue;
    }
    if (meta.dataSize > budget || meta.dataSize > MAX_ITEM_BYTES) {
      out.set(id, refuse('too-large', `item ${id} has ${meta.dataSize} bytes of data, over the ${budget} bytes this message may still read (Read-Limit)`, meta.dataSize));
      continue;
    }
    const item = await fetchChecked(source, id);
    if (item.data.length > budget) {
      out.set(id, refuse('too-large', `item ${id} has ${item.data.length} bytes of data, over the ${budget} bytes this message may still read (Read-Limit)`, item.data.length));
      continue;
    }
    budget -= item.data.length;
    out.set(id, {
      ok: true,
      item: {
        id,
        owner: item.ownerAddress,
        signatureType: item.signatureType,
        ...(item.target ? { target: item.target } : {}),
        ...(item.anchor ? { anchor: item.anchor } : {}),
        tags: item.tags,
        data: item.data,
        blockHeight: meta.blockHeight,
      },
    });
  }
  return out;
}

async function fetchChecked(source: ArweaveItemSource, id: string): Promise<SignedDataItem> {
  const raw = await source.raw(id);
  const unusable = (why: string) => new AoError('GATEWAY_UNAVAILABLE', `item ${id}: ${why}`, { id }, 'transient');
  if (!raw) throw unusable('the gateway indexes it but does not serve its bytes');
  let item: SignedDataItem;
  try {
    item = parseDataItem(raw, { maxBytes: MAX_ITEM_BYTES + 65536 });
  } catch (error) {
    throw unusable(`the gateway served bytes that are not an ANS-104 item (${(error as Error).message})`);
  }
  if (item.id !== id) throw unusable(`the gateway served another item (${item.id})`);
  if (!(await verifyDataItem(item))) throw unusable('the signature of the bytes served does not verify');
  return item;
}

/** The read rules of a process: `Read-Tags` (comma-separated; `none` for no reads) and `Read-Limit` (bytes, e.g. `16-mb`), within `maxBytes`. */
export function readRulesFor(processTags: readonly Tag[], defaults: { limitBytes: number; maxBytes: number }, parseSize: (t: string | undefined) => number | undefined): ReadRules {
  const tagText = processTags.find((t) => t.name === 'Read-Tags')?.value;
  const tags =
    tagText === undefined ? [...READ_DEFAULTS.tags] : tagText.trim().toLowerCase() === 'none' ? [] : tagText.split(',').map((s) => s.trim()).filter(Boolean);
  const limit = parseSize(processTags.find((t) => t.name === 'Read-Limit')?.value) ?? defaults.limitBytes;
  return { tags, limitBytes: Math.min(limit, defaults.maxBytes), maxItems: READ_DEFAULTS.maxItems };
}
