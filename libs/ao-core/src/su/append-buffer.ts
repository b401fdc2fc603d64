import { AoError } from '../errors.js';
import type { LogHead, Slot, StoredAssignment, StoredItem } from './ports.js';

/** A slot appended in a batch, with the items to store for it. */
export interface BufferedSlot {
  slot: Slot;
  assignment: StoredAssignment;
  message?: StoredItem;
}

/**
 * The appends of one batch of locked logs, each checked to follow its log's head (counting the
 * batch's earlier appends), kept for the store to write at commit.
 */
export class AppendBuffer {
  readonly slots: BufferedSlot[] = [];
  private readonly next: Map<string, number>;

  constructor(heads: ReadonlyMap<string, LogHead>) {
    this.next = new Map([...heads].map(([id, head]) => [id, head.nonce + 1]));
  }

  add(slot: Slot, assignment: StoredAssignment, message?: StoredItem): void {
    const expected = this.next.get(slot.processId);
    if (expected === undefined) throw new AoError('CONFLICT', `Process ${slot.processId} is not locked`);
    if (slot.nonce !== expected) throw new AoError('CONFLICT', `Slot ${slot.nonce} does not follow ${expected - 1}`);
    this.next.set(slot.processId, slot.nonce + 1);
    this.slots.push({ slot, assignment, message });
  }
}
