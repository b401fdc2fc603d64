import { parseDataItem } from '../data-item/parse-data-item.js';
import type { Tag } from '../types.js';
import type { LogEntry } from './ports.js';

/**
 * A data item in the reference SU's JSON. `data` is the UTF-8 text when the bytes are valid UTF-8
 * (as the reference answers) and base64url otherwise; `data_encoding` says which, so binary data
 * round-trips (the reference answers null for it).
 */
export interface SuItemJson {
  id: string;
  owner: { address: string; key: string };
  tags: Tag[];
  signature: string;
  anchor: string | null;
  target: string | null;
  data: string;
  data_encoding: 'utf-8' | 'base64url';
}

export interface SuEdge {
  node: { message: SuItemJson; assignment: SuItemJson };
  cursor: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Encodes bytes as the SU's `data`: text when it is valid UTF-8, else base64url. */
export function encodeSuData(data: Uint8Array): { data: string; data_encoding: 'utf-8' | 'base64url' } {
  try {
    return { data: utf8.decode(data), data_encoding: 'utf-8' };
  } catch {
    return { data: Buffer.from(data).toString('base64url'), data_encoding: 'base64url' };
  }
}

/** The reference SU's JSON of a raw signed item. */
export function suItemJson(raw: Uint8Array): SuItemJson {
  const item = parseDataItem(raw);
  return {
    id: item.id,
    owner: { address: item.ownerAddress, key: item.owner.toString('base64url') },
    tags: item.tags,
    signature: item.signature.toString('base64url'),
    anchor: item.anchor || null,
    target: item.target || null,
    ...encodeSuData(item.data),
  };
}

/** One `{message, assignment}` node of a log entry. */
export function suNode(entry: LogEntry): { message: SuItemJson; assignment: SuItemJson } {
  return { message: suItemJson(entry.message), assignment: suItemJson(entry.assignment) };
}

/** One edge of `GET /{processId}`; the cursor is the nonce or the timestamp, as the query paged by. */
export function suEdge(entry: LogEntry, mode: 'nonce' | 'timestamp'): SuEdge {
  return { node: suNode(entry), cursor: String(mode === 'nonce' ? entry.nonce : entry.timestamp) };
}
