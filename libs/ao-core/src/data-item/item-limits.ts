import { AoError } from '../errors.js';
import type { Tag } from '../types.js';

/** Size limits applied when an item is parsed or created. */
export interface ParseLimits {
  /** The whole binary item, in bytes. */
  maxBytes: number;
  maxTags: number;
  maxTagNameBytes: number;
  maxTagValueBytes: number;
  /**
   * The serialized tag block, in bytes. 4096 is arbundles' `MAX_TAG_BYTES`: its serializer cannot write
   * more and its verifier (used by bundlers and gateways) rejects more, so larger items would not travel.
   */
  maxTagsBytes: number;
}

/** ANS-104's limits (10 MiB, 128 tags, names 1024 bytes, values 3072 bytes) plus arbundles' 4096-byte tag block. */
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxTags: 128,
  maxTagNameBytes: 1024,
  maxTagValueBytes: 3072,
  maxTagsBytes: 4096,
});

/** The defaults overridden by whichever limits are given. */
export function resolveLimits(limits?: Partial<ParseLimits>): ParseLimits {
  const out = { ...DEFAULT_PARSE_LIMITS };
  if (limits) {
    for (const key of Object.keys(out) as (keyof ParseLimits)[]) {
      const value = limits[key];
      if (value !== undefined) out[key] = value;
    }
  }
  return out;
}

function badTag(message: string, details: Record<string, unknown>): AoError {
  return new AoError('INVALID_TAGS', message, details);
}

/**
 * Checks tags against the limits: at most `maxTags`, each a `{name, value}` of strings with a
 * non-empty name. Empty values are allowed (ANS-104 asks for non-empty ones, but ao clients and
 * the reference SU accept and produce them). Any character is allowed, U+0000 included: ANS-104
 * tags are byte strings and a signed item with a NUL in a tag is valid on Arweave; the stores keep
 * such tags in an exact form of their own (see libs/infra/src/database/stored-tags.ts).
 */
export function checkTags(tags: unknown, limits: ParseLimits): asserts tags is Tag[] {
  if (!Array.isArray(tags)) throw badTag('Tags must be an array of {name, value}', {});
  if (tags.length > limits.maxTags) {
    throw badTag(`Too many tags: ${tags.length} > ${limits.maxTags}`, { count: tags.length, max: limits.maxTags });
  }
  tags.forEach((tag: unknown, index) => {
    const { name, value } = (typeof tag === 'object' && tag !== null ? tag : {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || typeof value !== 'string') {
      throw badTag(`Tag ${index} must be {name: string, value: string}`, { index });
    }
    if (name.length === 0) throw badTag(`Tag ${index} has an empty name`, { index });
    const nameBytes = Buffer.byteLength(name);
    if (nameBytes > limits.maxTagNameBytes) {
      throw badTag(`Tag ${index} name is ${nameBytes} bytes > ${limits.maxTagNameBytes}`, { index, name: name.slice(0, 64) });
    }
    const valueBytes = Buffer.byteLength(value);
    if (valueBytes > limits.maxTagValueBytes) {
      throw badTag(`Tag ${index} (${name.slice(0, 64)}) value is ${valueBytes} bytes > ${limits.maxTagValueBytes}`, { index, name: name.slice(0, 64) });
    }
  });
}
