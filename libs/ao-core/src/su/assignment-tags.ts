import type { Tag } from '../types.js';

/**
 * The tags of an SU assignment, in the reference SU's order (permaweb/ao servers/su
 * `Builder::gen_assignment`): the slot first, the protocol tags after it, then `Message` (absent for a
 * process's own slot) and one `Exclude` tag per excluded field. Tag order is part of the signed item,
 * so a reader that hashes or compares tags sees the same list as from the reference.
 */
export function assignmentTags(slot: {
  processId: string;
  nonce: number;
  hashChain: string;
  blockHeight: number;
  timestamp: number;
  messageId?: string;
  exclude?: string[];
}): Tag[] {
  const tags: Tag[] = [
    { name: 'Process', value: slot.processId },
    { name: 'Epoch', value: '0' },
    { name: 'Nonce', value: String(slot.nonce) },
    { name: 'Hash-Chain', value: slot.hashChain },
    { name: 'Block-Height', value: String(slot.blockHeight).padStart(12, '0') },
    { name: 'Timestamp', value: String(slot.timestamp) },
    { name: 'Data-Protocol', value: 'ao' },
    { name: 'Type', value: 'Assignment' },
    { name: 'Variant', value: 'ao.TN.1' },
  ];
  if (slot.messageId) tags.push({ name: 'Message', value: slot.messageId });
  for (const field of slot.exclude ?? []) tags.push({ name: 'Exclude', value: field });
  return tags;
}
