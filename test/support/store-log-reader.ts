import type { LogReader, SchedulerStore } from '@ao/core';

/**
 * The verifier's reader over the SU's own store instead of a gateway, for tests whose items were
 * never uploaded: the verifier trusts it no more than a gateway (every item parsed, its id and
 * signature checked, the log rebuilt from the Scheduler's signed assignments).
 */
export class StoreLogReader implements LogReader {
  constructor(private readonly store: SchedulerStore) {}

  async items(ids: readonly string[]): Promise<Map<string, Uint8Array>> {
    const found = await this.store.getItems([...ids]);
    return new Map([...found].map(([id, item]) => [id, new Uint8Array(item.raw)]));
  }

  async *assignments(processId: string, _scheduler: string, fromNonce?: number): AsyncIterable<Uint8Array[]> {
    let after = (fromNonce ?? 0) - 1;
    for (;;) {
      const { entries, hasNextPage } = await this.store.readLog(processId, { fromNonce: after, limit: 1_000 });
      if (entries.length > 0) yield entries.map((e) => new Uint8Array(e.assignment));
      if (!hasNextPage || entries.length === 0) return;
      after = entries[entries.length - 1].nonce;
    }
  }

  async assignmentsAt(processId: string, _scheduler: string, nonce: number): Promise<Uint8Array[]> {
    const { entries } = await this.store.readLog(processId, { fromNonce: nonce - 1, toNonce: nonce, limit: 1 });
    return entries.map((e) => new Uint8Array(e.assignment));
  }

  async checkpoints(): Promise<[]> {
    return [];
  }
}
