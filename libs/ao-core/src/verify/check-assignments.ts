import { parseDataItem, type SignedDataItem } from '../data-item/parse-data-item.js';
import { verifyDataItem } from '../data-item/verify-data-item.js';
import { nextHashChain, seedHashChain } from '../hash-chain.js';
import { getTag, TAG } from '../tags.js';
import type { VerifyFailure, VerifyProgress } from './ports.js';

/** One slot of the log as its checked assignment fixes it. */
export interface CheckedSlot {
  nonce: number;
  assignmentId: string;
  hashChain: string;
  timestamp: number;
  blockHeight: number;
  /** The message the slot orders (the process id itself at nonce 0). */
  messageId: string;
}

/** What is kept of an assignment read (not its bytes: a long log holds many). */
interface Candidate {
  item: Pick<SignedDataItem, 'id' | 'tags'>;
  verified: boolean;
}

/** The assignments as read: slots in nonce order up to the first failure, which is reported. */
export interface AssignmentCheck {
  slots: CheckedSlot[];
  lastNonce: number;
  failure?: VerifyFailure;
  ignored: number;
}

const NONCE = /^(0|[1-9]\d{0,15})$/;
const INTEGER = /^\d{1,16}$/;

/**
 * Collects every assignment the gateway has for a process and checks them in nonce order: one
 * Scheduler-signed assignment per nonce from 0 to the last, timestamps and heights that never go
 * back, and a hash chain seeded with the process id. Items not owned by the Scheduler or not tagged
 * for this process are ignored (anyone can post such items); a bad one the Scheduler owns is not.
 */
export async function checkAssignments(
  pages: AsyncIterable<Uint8Array[]>,
  processId: string,
  scheduler: string,
  onProgress: (p: VerifyProgress) => void = () => undefined,
  /** The slot a checkpoint resumes after: the check starts at its nonce + 1, chained from it. */
  after?: CheckedSlot,
): Promise<AssignmentCheck> {
  const start = after ? after.nonce + 1 : 0;
  const byNonce = new Map<number, Map<string, Candidate>>();
  let ignored = 0;
  let read = 0;
  for await (const page of pages) {
    for (const raw of page) {
      read += 1;
      const candidate = await toCandidate(raw, processId, scheduler);
      if (!candidate) {
        ignored += 1;
        continue;
      }
      const nonce = Number(getTag(candidate.item.tags, TAG.Nonce));
      if (nonce < start) continue;
      let slot = byNonce.get(nonce);
      if (!slot) byNonce.set(nonce, (slot = new Map()));
      slot.set(candidate.item.id, candidate);
    }
    onProgress({ phase: 'assignments', done: read });
  }
  let lastNonce = start - 1;
  for (const nonce of byNonce.keys()) lastNonce = Math.max(lastNonce, nonce);
  const slots: CheckedSlot[] = [];
  let prev = after;
  for (let nonce = start; nonce <= lastNonce; nonce += 1) {
    const checked = checkSlot(byNonce, nonce, prev, processId);
    if ('failure' in checked) return { slots, lastNonce, failure: checked.failure, ignored };
    slots.push(checked.slot);
    prev = checked.slot;
  }
  if (lastNonce < 0) {
    return { slots, lastNonce, ignored, failure: { nonce: 0, code: 'MISSING_NONCE', reason: `the gateway has no assignment by scheduler ${scheduler} for this process` } };
  }
  return { slots, lastNonce, ignored };
}

/**
 * The Scheduler's assignment at one nonce, checked as the first link of a partial log: exactly one
 * that verifies, well-formed; its Hash-Chain is taken as it is (checked against the seed at nonce 0
 * only), since the assignments before it are not read.
 */
export async function checkAnchorSlot(raws: readonly Uint8Array[], processId: string, scheduler: string, nonce: number): Promise<CheckedSlot | VerifyFailure> {
  const atNonce = new Map<string, Candidate>();
  for (const raw of raws) {
    const candidate = await toCandidate(raw, processId, scheduler);
    if (candidate && Number(getTag(candidate.item.tags, TAG.Nonce)) === nonce) atNonce.set(candidate.item.id, candidate);
  }
  if (atNonce.size === 0) return { nonce, code: 'MISSING_NONCE', reason: `the gateway has no assignment by scheduler ${scheduler} for nonce ${nonce}` };
  const checked = checkSlot(new Map([[nonce, atNonce]]), nonce, undefined, processId, nonce > 0);
  return 'failure' in checked ? checked.failure : checked.slot;
}

async function toCandidate(raw: Uint8Array, processId: string, scheduler: string): Promise<Candidate | undefined> {
  let item: SignedDataItem;
  try {
    item = parseDataItem(raw);
  } catch {
    return undefined;
  }
  if (item.ownerAddress !== scheduler) return undefined;
  if (getTag(item.tags, TAG.Type) !== 'Assignment' || getTag(item.tags, TAG.Process) !== processId) return undefined;
  if (!NONCE.test(getTag(item.tags, TAG.Nonce) ?? '')) return undefined;
  return { item: { id: item.id, tags: item.tags }, verified: await verifyDataItem(item) };
}

function fail(nonce: number, code: VerifyFailure['code'], reason: string): { failure: VerifyFailure } {
  return { failure: { nonce, code, reason } };
}

/** The single valid assignment of a nonce, when there is exactly one. */
function soleValid(byNonce: Map<number, Map<string, Candidate>>, nonce: number): Candidate['item'] | undefined {
  const valid = [...(byNonce.get(nonce)?.values() ?? [])].filter((c) => c.verified);
  return valid.length === 1 ? valid[0].item : undefined;
}

function checkSlot(
  byNonce: Map<number, Map<string, Candidate>>,
  nonce: number,
  prev: CheckedSlot | undefined,
  processId: string,
  /** The first slot of a partial log: no previous assignment to chain from. */
  unchained = false,
): { slot: CheckedSlot } | { failure: VerifyFailure } {
  const candidates = [...(byNonce.get(nonce)?.values() ?? [])];
  if (candidates.length === 0) return fail(nonce, 'MISSING_NONCE', `no assignment for nonce ${nonce}: the log has a gap`);
  const valid = candidates.filter((c) => c.verified);
  if (valid.length === 0) return fail(nonce, 'BAD_ASSIGNMENT_SIGNATURE', `assignment ${candidates[0].item.id}: signature does not verify`);
  if (valid.length > 1) {
    return fail(nonce, 'CONFLICTING_ASSIGNMENTS', `${valid.length} scheduler-signed assignments claim nonce ${nonce}: ${valid.map((c) => c.item.id).join(', ')}`);
  }
  const item = valid[0].item;
  const hashChain = getTag(item.tags, TAG.HashChain) ?? '';
  const timestampText = getTag(item.tags, TAG.Timestamp) ?? '';
  const heightText = getTag(item.tags, TAG.BlockHeight) ?? '';
  if (getTag(item.tags, TAG.Epoch) !== '0') return fail(nonce, 'BAD_ASSIGNMENT', `assignment ${item.id}: Epoch must be 0`);
  if (!INTEGER.test(timestampText) || !INTEGER.test(heightText)) {
    return fail(nonce, 'BAD_ASSIGNMENT', `assignment ${item.id}: Timestamp and Block-Height must be integers`);
  }
  const timestamp = Number(timestampText);
  const blockHeight = Number(heightText);
  if (prev && (timestamp < prev.timestamp || blockHeight < prev.blockHeight)) {
    return fail(nonce, 'OUT_OF_ORDER', `assignment at nonce ${nonce} is stamped before nonce ${nonce - 1} (${timestamp} < ${prev.timestamp} or height ${blockHeight} < ${prev.blockHeight}): assignments out of order`);
  }
  // A later slot stamped before this one means the two were swapped: report it where the order first breaks.
  // (A next slot whose Timestamp is not an integer fails at its own nonce, as BAD_ASSIGNMENT.)
  const next = soleValid(byNonce, nonce + 1);
  const nextText = next ? (getTag(next.tags, TAG.Timestamp) ?? '') : '';
  const nextTimestamp = INTEGER.test(nextText) ? Number(nextText) : NaN;
  if (nextTimestamp < timestamp) {
    return fail(nonce, 'OUT_OF_ORDER', `assignment at nonce ${nonce} is stamped after nonce ${nonce + 1} (${timestamp} > ${nextTimestamp}): assignments out of order`);
  }
  let expected: string;
  try {
    expected = prev ? nextHashChain(prev.assignmentId, prev.hashChain) : seedHashChain(processId);
  } catch {
    expected = '';
  }
  if (!unchained && hashChain !== expected) {
    return fail(nonce, 'BAD_HASH_CHAIN', `Hash-Chain ${hashChain || '(none)'} at nonce ${nonce} does not follow ${prev ? `nonce ${nonce - 1}` : 'the process id'} (expected ${expected})`);
  }
  const message = getTag(item.tags, TAG.Message);
  if (nonce === 0 && message !== undefined && message !== processId) {
    return fail(nonce, 'BAD_ASSIGNMENT', `assignment ${item.id} at nonce 0 names message ${message}, not the process`);
  }
  if (nonce > 0 && !message) return fail(nonce, 'BAD_ASSIGNMENT', `assignment ${item.id} names no message`);
  return { slot: { nonce, assignmentId: item.id, hashChain, timestamp, blockHeight, messageId: message ?? processId } };
}
