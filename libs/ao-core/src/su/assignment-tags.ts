import type { Tag } from '../types.js';

/** The tags of an Assignment item, in the reference SU's order. */
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
    { name: 'Data-Protocol', value: 'ao' },
    { name: 'Variant', value: 'ao.TN.1' },
    { name: 'Type', value: 'Assignment' },
    { name: 'Process', value: slot.processId },
    { name: 'Epoch', value: '0' },
    { name: 'Nonce', value: String(slot.nonce) },
    { name: 'Hash-Chain', value: slot.hashChain },
    { name: 'Block-Height', value: String(slot.blockHeight).padStart(12, '0') },
    { name: 'Timestamp', value: String(slot.timestamp) },
  ];
  if (slot.messageId) tags.push({ name: 'Message', value: slot.messageId });
  if (slot.exclude?.length) tags.push({ name: 'Exclude', value: slot.exclude.join(',') });
  return tags;
}
