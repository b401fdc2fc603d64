import { hash } from 'node:crypto';
import { parseDataItem } from '../data-item/parse-data-item.js';
import { DEFAULT_PARSE_LIMITS } from '../data-item/item-limits.js';
import type { Tag } from '../types.js';

/** What a process's message needs of its data item; the Buffers are views of the log entry's bytes. */
export interface MessageFields {
  id: string;
  ownerAddress: string;
  target?: string;
  anchor?: string;
  tags: Tag[];
  signature: Buffer;
  data: Buffer;
}

// ANS-104 lengths of the signature and owner for the types read here (1 Arweave, 2 Ed25519).
const SIGNATURE_LENGTH = [0, 512, 64];
const OWNER_LENGTH = [0, 512, 32];
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
// A process hears from few signers: their addresses (a pure function of the owner bytes) are kept.
const MAX_ADDRESSES = 4096;
const addresses = new Map<string, string>();

/**
 * The fields of a log entry's message item, as `parseDataItem` reads them, without its generality:
 * one pass over the bytes, views instead of copies, one-shot hashes. Only the common shape is read
 * here (types 1 and 2, one Avro block of tags within the default limits); anything else, valid or
 * not, goes through `parseDataItem`, so results and errors are exactly its own. `knownId`, the
 * id the log already records for the item (the store keys items by it), saves hashing the
 * signature again.
 */
export function readMessageFields(raw: Uint8Array, knownId?: string): MessageFields {
  if (!(raw instanceof Uint8Array)) return fromParsed(raw);
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return readCommon(bytes, knownId) ?? fromParsed(bytes);
}

function fromParsed(raw: Uint8Array): MessageFields {
  const item = parseDataItem(raw);
  return {
    id: item.id,
    ownerAddress: item.ownerAddress,
    ...(item.target !== undefined ? { target: item.target } : {}),
    ...(item.anchor !== undefined ? { anchor: item.anchor } : {}),
    tags: item.tags,
    signature: item.signature,
    data: item.data,
  };
}

/** The fields of an item of the common shape; undefined for anything else (left to parseDataItem). */
function readCommon(b: Buffer, knownId: string | undefined): MessageFields | undefined {
  const length = b.length;
  if (length < 2 || length > DEFAULT_PARSE_LIMITS.maxBytes || b[1] !== 0) return undefined;
  const type = b[0];
  if (type !== 1 && type !== 2) return undefined;
  const signatureEnd = 2 + SIGNATURE_LENGTH[type];
  const ownerEnd = signatureEnd + OWNER_LENGTH[type];
  let at = ownerEnd;
  if (at >= length || b[at] > 1) return undefined;
  const targetAt = b[at] === 1 ? at + 1 : -1;
  at += targetAt < 0 ? 1 : 33;
  if (at >= length || b[at] > 1) return undefined;
  const anchorAt = b[at] === 1 ? at + 1 : -1;
  at += anchorAt < 0 ? 1 : 33;
  if (at + 16 > length) return undefined;
  const tagCount = smallLong(b, at);
  const tagBytes = smallLong(b, at + 8);
  if (tagCount < 0 || tagBytes < 0 || tagCount > DEFAULT_PARSE_LIMITS.maxTags || tagBytes > DEFAULT_PARSE_LIMITS.maxTagsBytes) return undefined;
  const tagsStart = at + 16;
  const dataStart = tagsStart + tagBytes;
  if (dataStart > length || (tagCount === 0) !== (tagBytes === 0)) return undefined;
  const tags = tagCount === 0 ? [] : readTagBlock(b, tagsStart, dataStart, tagCount);
  if (!tags) return undefined;

  const signature = b.subarray(2, signatureEnd);
  let anchor: string | undefined;
  if (anchorAt >= 0) {
    anchor = asciiText(b, anchorAt, anchorAt + 32);
    if (anchor === undefined) return undefined; // not ASCII: parseDataItem's text-or-base64url rule
  }
  // optional fields added in place, not spread in (one object, a shape per combination)
  const fields: MessageFields = { id: knownId ?? hash('sha256', signature, 'base64url'), ownerAddress: addressOf(b, signatureEnd, ownerEnd) } as MessageFields;
  if (targetAt >= 0) fields.target = b.toString('base64url', targetAt, targetAt + 32);
  if (anchor !== undefined) fields.anchor = anchor;
  fields.tags = tags;
  fields.signature = signature;
  fields.data = b.subarray(dataStart);
  return fields;
}

/** base64url(SHA-256(owner)), the address of a type 1 or 2 owner. */
function addressOf(b: Buffer, start: number, end: number): string {
  const key = b.toString('latin1', start, end);
  let address = addresses.get(key);
  if (address === undefined) {
    if (addresses.size >= MAX_ADDRESSES) addresses.clear();
    address = hash('sha256', b.subarray(start, end), 'base64url');
    addresses.set(key, address);
  }
  return address;
}

/** A little-endian 8-byte length that fits 32 bits, else -1. */
function smallLong(b: Buffer, at: number): number {
  if (b[at + 4] !== 0 || b[at + 5] !== 0 || b[at + 6] !== 0 || b[at + 7] !== 0) return -1;
  return b.readUInt32LE(at);
}

/**
 * Tags written as ANS-104 writers write them: one Avro block of `count` pairs of strings, then the
 * terminating 0, filling the block exactly; each name non-empty and within the default limits.
 */
function readTagBlock(b: Buffer, start: number, end: number, count: number): Tag[] | undefined {
  const cursor = { at: start };
  if (varint(b, cursor, end) !== count) return undefined;
  const tags: Tag[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const name = avroString(b, cursor, end, DEFAULT_PARSE_LIMITS.maxTagNameBytes);
    if (!name) return undefined;
    const value = avroString(b, cursor, end, DEFAULT_PARSE_LIMITS.maxTagValueBytes);
    if (value === undefined) return undefined;
    tags[i] = { name, value };
  }
  if (cursor.at !== end - 1 || b[cursor.at] !== 0) return undefined;
  return tags;
}

/** A non-negative zigzag varint of at most 3 bytes (below 2^20), else -1. */
function varint(b: Buffer, cursor: { at: number }, end: number): number {
  let n = 0;
  for (let shift = 0; shift < 21; shift += 7) {
    if (cursor.at >= end) return -1;
    const byte = b[cursor.at++];
    n |= (byte & 0x7f) << shift;
    if (byte < 0x80) return n & 1 ? -1 : n >>> 1;
  }
  return -1;
}

function avroString(b: Buffer, cursor: { at: number }, end: number, maxBytes: number): string | undefined {
  const len = varint(b, cursor, end);
  if (len < 0 || len > maxBytes || cursor.at + len > end) return undefined;
  const start = cursor.at;
  cursor.at += len;
  const ascii = len <= INTERN_MAX_LENGTH ? internedAscii(b, start, start + len) : asciiText(b, start, start + len);
  if (ascii !== undefined) return ascii;
  try {
    return strictUtf8.decode(b.subarray(start, start + len));
  } catch {
    return undefined;
  }
}

// Tag names and most tag values repeat from message to message (protocol tags, actions, the
// accounts a process hears from): short ASCII ones are kept in a small table indexed by a hash
// of their bytes and reused when the bytes match, instead of a new string per tag.
const INTERN_MAX_LENGTH = 64;
const INTERN_SLOTS = 4096;
const interned: Array<string | undefined> = new Array(INTERN_SLOTS).fill(undefined);

/** asciiText, answering the string kept for the same bytes when there is one. */
function internedAscii(b: Buffer, start: number, end: number): string | undefined {
  let h = end - start;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c >= 0x80) return undefined;
    h = (Math.imul(h, 31) + c) | 0;
  }
  const slot = (h ^ (h >>> 13)) & (INTERN_SLOTS - 1);
  const kept = interned[slot];
  if (kept !== undefined && kept.length === end - start) {
    let same = true;
    for (let i = start, j = 0; i < end; i++, j++) {
      if (kept.charCodeAt(j) !== b[i]) {
        same = false;
        break;
      }
    }
    if (same) return kept;
  }
  const text = b.toString('latin1', start, end);
  interned[slot] = text;
  return text;
}

/** The bytes as text when they are all ASCII (then UTF-8 and Latin-1 agree), else undefined. */
function asciiText(b: Buffer, start: number, end: number): string | undefined {
  for (let i = start; i < end; i++) if (b[i] >= 0x80) return undefined;
  return b.toString('latin1', start, end);
}
