import type { LogEntry } from '../su/ports.js';
import type { AoMessage } from './evaluator.js';
import { readMessageFields } from './message-fields.js';

// fatal: bytes that are not UTF-8 stay bytes; ignoreBOM: a leading BOM is data, kept as U+FEFF
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A message's Data as the process sees it: the text when the bytes are UTF-8 (text encodes back
 * to the same bytes), else the bytes (a Lua string is bytes: decoding them as text would replace
 * each invalid byte with U+FFFD and change both length and content).
 */
export function messageData(data: Uint8Array): string | Uint8Array {
  if (data.length === 0) return '';
  try {
    return strictUtf8.decode(data);
  } catch {
    return data;
  }
}

/**
 * The message fields an assignment's `Exclude` tags may name (comma-separated, in one or more
 * tags): the CU does not load them into the process, as the reference CU does ("exclude DataItem
 * fields"): Data becomes empty, Tags an empty list, Anchor and Signature absent. The SU refuses any
 * other name, so an excluded field never hides who sent the message or where it sits in the log.
 */
export const EXCLUDABLE_FIELDS = ['Data', 'Anchor', 'Tags', 'Signature'] as const;
const EXCLUDE_MARK = Buffer.from('Exclude');

/** The fields an assignment excludes (none for most: only assignments holding the bytes "Exclude" are parsed). */
export function excludedFields(assignment: Uint8Array): Set<string> {
  const bytes = Buffer.isBuffer(assignment) ? assignment : Buffer.from(assignment.buffer, assignment.byteOffset, assignment.byteLength);
  if (bytes.length === 0 || bytes.indexOf(EXCLUDE_MARK) < 0) return new Set();
  const fields = new Set<string>();
  for (const t of readMessageFields(bytes).tags) {
    if (t.name === 'Exclude') for (const f of t.value.split(',')) if ((EXCLUDABLE_FIELDS as readonly string[]).includes(f.trim())) fields.add(f.trim());
  }
  return fields;
}

/**
 * The message a process sees for one log entry: the data item merged with its assignment.
 * `From` is the `From-Process` tag only when the signer is a trusted pusher (the platform's MU
 * wallet or an address in the process's `Authority` tags); a user cannot spoof it.
 */
export function toAoMessage(entry: LogEntry, ctx: { processId: string; moduleId: string; trustedPushers: ReadonlySet<string> }): AoMessage {
  const item = readMessageFields(entry.message, entry.messageId);
  const { tags, ownerAddress } = item;
  // one pass for the two tags the host reads (the first of each name, as getTag)
  let fromProcess: string | undefined;
  let cron: string | undefined;
  for (let i = 0; i < tags.length; i++) {
    const { name, value } = tags[i];
    if (name === 'From-Process') fromProcess ??= value;
    else if (name === 'Cron') cron ??= value;
  }
  const trusted = ctx.trustedPushers.has(ownerAddress);
  const pushed = fromProcess !== undefined && trusted;
  // The key order is the order the fields reach the Lua table: keep it (it shapes the VM's heap).
  // Optional fields are added in place, not spread in: one object, one shape per combination.
  const msg: AoMessage = { Id: item.id, Owner: ownerAddress, From: pushed ? fromProcess! : ownerAddress } as AoMessage;
  if (pushed) msg['Forwarded-By'] = ownerAddress;
  msg.Target = item.target || ctx.processId;
  if (item.anchor) msg.Anchor = item.anchor;
  msg.Data = messageData(item.data);
  msg.Tags = tags;
  msg.Nonce = entry.nonce;
  msg.Epoch = 0;
  msg.Timestamp = entry.timestamp;
  msg['Block-Height'] = entry.blockHeight;
  msg['Hash-Chain'] = entry.hashChain;
  msg.Cron = cron === 'true' && trusted;
  msg['Read-Only'] = false;
  msg.Module = ctx.moduleId;
  msg.Signature = item.signature.toString('base64url');
  const excluded = excludedFields(entry.assignment);
  if (excluded.size > 0) {
    if (excluded.has('Data')) msg.Data = '';
    if (excluded.has('Tags')) msg.Tags = [];
    if (excluded.has('Anchor')) delete msg.Anchor;
    if (excluded.has('Signature')) delete msg.Signature;
  }
  return msg;
}

/** The addresses a process trusts to push on behalf of other processes. */
export function trustedPushers(processTags: { name: string; value: string }[], platformAddresses: string[]): Set<string> {
  const set = new Set(platformAddresses);
  for (const t of processTags) {
    if (t.name === 'Authority') for (const a of t.value.split(',')) if (a.trim()) set.add(a.trim());
  }
  return set;
}
