import { getTag } from '../tags.js';
import type { LogEntry } from '../su/ports.js';
import type { AoMessage } from './evaluator.js';
import { readMessageFields } from './message-fields.js';

const utf8 = new TextDecoder();

/**
 * The message a process sees for one log entry: the data item merged with its assignment.
 * `From` is the `From-Process` tag only when the signer is a trusted pusher (the platform's MU
 * wallet or an address in the process's `Authority` tags); a user cannot spoof it.
 */
export function toAoMessage(entry: LogEntry, ctx: { processId: string; moduleId: string; trustedPushers: ReadonlySet<string> }): AoMessage {
  const item = readMessageFields(entry.message, entry.messageId);
  const fromProcess = getTag(item.tags, 'From-Process');
  const pushed = fromProcess !== undefined && ctx.trustedPushers.has(item.ownerAddress);
  // The key order is the order the fields reach the Lua table: keep it (it shapes the VM's heap).
  return {
    Id: item.id,
    Owner: item.ownerAddress,
    From: pushed ? fromProcess : item.ownerAddress,
    ...(pushed ? { 'Forwarded-By': item.ownerAddress } : {}),
    Target: item.target || ctx.processId,
    ...(item.anchor ? { Anchor: item.anchor } : {}),
    Data: item.data.length === 0 ? '' : utf8.decode(item.data),
    Tags: item.tags,
    Nonce: entry.nonce,
    Epoch: 0,
    Timestamp: entry.timestamp,
    'Block-Height': entry.blockHeight,
    'Hash-Chain': entry.hashChain,
    Cron: getTag(item.tags, 'Cron') === 'true' && ctx.trustedPushers.has(item.ownerAddress),
    'Read-Only': false,
    Module: ctx.moduleId,
    Signature: item.signature.toString('base64url'),
  };
}

/** The addresses a process trusts to push on behalf of other processes. */
export function trustedPushers(processTags: { name: string; value: string }[], platformAddresses: string[]): Set<string> {
  const set = new Set(platformAddresses);
  for (const t of processTags) {
    if (t.name === 'Authority') for (const a of t.value.split(',')) if (a.trim()) set.add(a.trim());
  }
  return set;
}
