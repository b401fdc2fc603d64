import type { CheckpointStore, CheckpointSummary, StoredCheckpoint } from './ports.js';

/** A CheckpointStore in memory (unit tests, tools, benchmarks); keeps the newest `keep` per process. */
export class InMemoryCheckpointStore implements CheckpointStore {
  /** By process, then nonce; tests may tamper with the entries. */
  readonly byProcess = new Map<string, Map<number, StoredCheckpoint & { rejected?: string }>>();
  saves = 0;

  constructor(private readonly keep = Number.POSITIVE_INFINITY) {}

  async save(checkpoint: StoredCheckpoint): Promise<void> {
    let map = this.byProcess.get(checkpoint.processId);
    if (!map) this.byProcess.set(checkpoint.processId, (map = new Map()));
    const existing = map.get(checkpoint.nonce);
    if (existing && !existing.rejected) return;
    map.set(checkpoint.nonce, { ...checkpoint, bytes: checkpoint.bytes.slice() });
    this.saves += 1;
    const usable = [...map.values()].filter((c) => !c.rejected).sort((a, b) => b.nonce - a.nonce);
    const oldestKept = usable[Math.min(usable.length, this.keep) - 1]?.nonce ?? 0;
    for (const nonce of [...map.keys()]) if (nonce < oldestKept) map.delete(nonce);
  }

  async latest(processId: string, atOrBelowNonce: number): Promise<CheckpointSummary[]> {
    return (await this.list(processId)).filter((c) => c.nonce <= atOrBelowNonce && !this.byProcess.get(processId)?.get(c.nonce)?.rejected);
  }

  async read(processId: string, nonce: number): Promise<Uint8Array | undefined> {
    return this.byProcess.get(processId)?.get(nonce)?.bytes;
  }

  async list(processId: string): Promise<CheckpointSummary[]> {
    return [...(this.byProcess.get(processId)?.values() ?? [])]
      .sort((a, b) => b.nonce - a.nonce)
      .map(({ bytes, rejected: _rejected, ...meta }) => ({ ...meta, size: bytes.length }));
  }

  async reject(processId: string, nonce: number, reason: string): Promise<void> {
    const found = this.byProcess.get(processId)?.get(nonce);
    if (found) found.rejected = reason;
  }
}
