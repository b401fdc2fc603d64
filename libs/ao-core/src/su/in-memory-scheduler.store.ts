import { AoError } from '../errors.js';
import type { LockedLog, LogEntry, LogQuery, ProcessRecord, SchedulerStore, Slot, StoredItem, UploadStatus } from './ports.js';

/** A SchedulerStore in memory with the same guarantees as the Postgres one (for unit tests and tools). */
export class InMemorySchedulerStore implements SchedulerStore {
  readonly processes = new Map<string, ProcessRecord>();
  readonly items = new Map<string, StoredItem>();
  readonly logs = new Map<string, { slot: Slot; assignment: StoredItem }[]>();
  readonly uploads: string[] = [];
  private readonly locks = new Map<string, Promise<unknown>>();

  async getProcess(processId: string): Promise<ProcessRecord | undefined> {
    return this.processes.get(processId);
  }

  async createProcess(process: ProcessRecord, slot0: Slot, processItem: StoredItem, assignment: StoredItem) {
    const existing = this.logs.get(process.id)?.[0];
    if (existing) return { created: false, slot: existing.slot };
    this.processes.set(process.id, process);
    this.items.set(processItem.id, processItem);
    this.logs.set(process.id, [{ slot: slot0, assignment }]);
    this.uploads.push(assignment.id, processItem.id);
    return { created: true, slot: slot0 };
  }

  async withLockedLog<T>(processId: string, fn: (log: LockedLog) => Promise<T>): Promise<T> {
    const previous = this.locks.get(processId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.locks.set(processId, previous.then(() => mine));
    await previous.catch(() => undefined);
    try {
      const log = this.logs.get(processId);
      if (!log) throw new AoError('UNKNOWN_PROCESS', `Process ${processId} is not scheduled by this SU`);
      const last = log[log.length - 1].slot;
      const locked: LockedLog = {
        head: { processId, nonce: last.nonce, hashChain: last.hashChain, assignmentId: last.assignmentId, timestamp: last.timestamp },
        slotOfMessage: async (id) => log.find((e) => e.slot.messageId === id)?.slot,
        slotOfDedupeKey: async (key) => log.find((e) => e.slot.messageId && this.items.get(e.slot.messageId)?.dedupeKey === key)?.slot,
        append: async (slot, assignment, message) => {
          if (slot.nonce !== last.nonce + 1) throw new AoError('CONFLICT', 'nonce gap');
          if (message && !this.items.has(message.id)) this.items.set(message.id, message);
          log.push({ slot, assignment });
          this.uploads.push(assignment.id);
          if (message) this.uploads.push(message.id);
        },
      };
      return await fn(locked);
    } finally {
      release();
    }
  }

  async getItem(id: string): Promise<StoredItem | undefined> {
    return this.items.get(id);
  }

  private entry(e: { slot: Slot; assignment: StoredItem }): LogEntry {
    return { ...e.slot, assignment: e.assignment.raw, message: e.slot.messageId ? (this.items.get(e.slot.messageId)?.raw ?? Buffer.alloc(0)) : Buffer.alloc(0) };
  }

  async getSlot(processId: string, messageId: string): Promise<LogEntry | undefined> {
    const e = this.logs.get(processId)?.find((x) => x.slot.messageId === messageId);
    return e ? this.entry(e) : undefined;
  }

  async readLog(processId: string, q: LogQuery) {
    const all = (this.logs.get(processId) ?? []).filter(
      ({ slot }) =>
        (q.fromNonce === undefined || slot.nonce > q.fromNonce) &&
        (q.toNonce === undefined || slot.nonce <= q.toNonce) &&
        (q.fromTimestamp === undefined || slot.timestamp > q.fromTimestamp) &&
        (q.toTimestamp === undefined || slot.timestamp <= q.toTimestamp),
    );
    return { entries: all.slice(0, q.limit).map((e) => this.entry(e)), hasNextPage: all.length > q.limit };
  }

  async latest(processId: string): Promise<LogEntry | undefined> {
    const log = this.logs.get(processId);
    return log?.length ? this.entry(log[log.length - 1]) : undefined;
  }

  async storeStandalone(item: StoredItem): Promise<void> {
    this.items.set(item.id, item);
    this.uploads.push(item.id);
  }

  async uploadStatus(): Promise<UploadStatus> {
    return { pending: this.uploads.length, uploaded: 0, confirmed: 0, failed: 0, lastConfirmedNonce: null };
  }
}
