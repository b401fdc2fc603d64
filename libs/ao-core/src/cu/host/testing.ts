import type { ArweaveItemSource, IndexedItem } from '../ports.js';

/** An in-memory Arweave for tests of reads: items by id with the height that confirmed them. */
export class MemoryItemSource implements ArweaveItemSource {
  readonly items = new Map<string, { raw: Uint8Array; meta: IndexedItem }>();
  /** Calls made, for tests that check what was (not) fetched. */
  readonly calls: string[] = [];

  constructor(public indexedHeight = 2_000_000) {}

  /** Adds an item confirmed at `blockHeight` (undefined: pending); `raw` may be tampered with to test checks. */
  add(id: string, raw: Uint8Array, blockHeight: number | undefined, dataSize: number, bundled = true): void {
    this.items.set(id, { raw, meta: { id, blockHeight, dataSize, bundled } });
  }

  async reached(height: number): Promise<boolean> {
    this.calls.push('height');
    return this.indexedHeight >= height;
  }

  async lookup(id: string): Promise<IndexedItem | undefined> {
    this.calls.push(`lookup ${id}`);
    return this.items.get(id)?.meta;
  }

  async raw(id: string): Promise<Uint8Array | undefined> {
    this.calls.push(`raw ${id}`);
    return this.items.get(id)?.raw;
  }
}
