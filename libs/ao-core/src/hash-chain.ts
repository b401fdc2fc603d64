import { createHash } from 'node:crypto';
import { decodeId } from './data-item/ids.js';
import { AoError } from './errors.js';

// Byte convention, as the reference computes it (permaweb/ao servers/su/src/domain/core/scheduler.rs
// `gen_hash_chain`, and servers/cu/src/effects/worker/hashChain/main.js): every input is the
// base64url-DECODED 32 bytes of the id or previous link (not its UTF-8 text), previous assignment id
// first, previous hash chain second; the result is unpadded base64url. The reference SU refuses
// inputs that do not decode to exactly 32 bytes; so does this module.

function idBytes(value: string, what: string): Buffer {
  const bytes = decodeId(value);
  if (!bytes) throw new AoError('INVALID_REQUEST', `${what} must be a 43-character base64url id (32 bytes)`, { [what]: value });
  return bytes;
}

/** First link of a process's chain: base64url(SHA-256(bytes(processId))), bytes = base64url-decoded id. */
export function seedHashChain(processId: string): string {
  return createHash('sha256').update(idBytes(processId, 'processId')).digest('base64url');
}

/** Next link: base64url(SHA-256(bytes(prevAssignmentId) ‖ bytes(prevHashChain))), bytes = base64url-decoded. */
export function nextHashChain(prevAssignmentId: string, prevHashChain: string): string {
  return createHash('sha256')
    .update(idBytes(prevAssignmentId, 'prevAssignmentId'))
    .update(idBytes(prevHashChain, 'prevHashChain'))
    .digest('base64url');
}

/** One slot of a process's log as far as the hash chain is concerned (a `LogEntry` fits). */
export interface HashChainLink {
  /** When given on a nonce-0 link, its hash chain must be the seed of this process. */
  processId?: string;
  nonce: number;
  assignmentId: string;
  hashChain: string;
}

function linkFrom(prev: HashChainLink): string | undefined {
  try {
    return nextHashChain(prev.assignmentId, prev.hashChain);
  } catch {
    return undefined;
  }
}

/**
 * Checks consecutive slots of one process's log, in order: nonces step by one, each link chains
 * onto the one before, and a nonce-0 link with a `processId` is that process's seed. The first link
 * is checked against `previous` when given, else taken as trusted (unless it is a seedable nonce 0).
 * Returns the nonce of the first bad link (for a missing or misplaced slot, the nonce found where the
 * next was expected), or null when the chain holds.
 */
export function verifyHashChain(entries: readonly HashChainLink[], previous?: HashChainLink): number | null {
  let prev = previous;
  for (const entry of entries) {
    if (!decodeId(entry.assignmentId) || !decodeId(entry.hashChain)) return entry.nonce;
    if (prev) {
      if (entry.nonce !== prev.nonce + 1) return entry.nonce;
      if (entry.processId && prev.processId && entry.processId !== prev.processId) return entry.nonce;
      if (linkFrom(prev) !== entry.hashChain) return entry.nonce;
    } else if (entry.nonce === 0 && entry.processId) {
      let seed: string | undefined;
      try {
        seed = seedHashChain(entry.processId);
      } catch {
        seed = undefined;
      }
      if (seed !== entry.hashChain) return entry.nonce;
    }
    prev = entry;
  }
  return null;
}
