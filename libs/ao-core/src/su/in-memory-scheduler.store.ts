import { AppendBuffer } from './append-buffer.js';
import type { LockedLogs, LogEntry, LogHead, LogQuery, ProcessRecord, SchedulerStore, Slot, SlotQuery, StoredAssignment, StoredItem, UploadStatus } from './ports.js';

const EMPTY = Buffer.alloc(0);

/** A SchedulerStore in memory with the same guarantees as the Postgres one (for unit tests and tools). */
export class InMemorySchedulerStore implements SchedulerStore {
  readonly processes = new Map<string, ProcessRecord>();
  readonly items = new Map<string, StoredItem>();
  readonly logs = new Map<string, { slot: Slot; assignment: StoredAssignment }[]>();
  readonly uploads: string[] = [];
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Slots by `process \n message id` and `process \n #dedupe key`: lookups stay O(1) as logs grow. */
  private readonly bySlotKey = new Map<string, Slot>();

  async getProcess(processId: string): Promise<ProcessRecord | undefined> {
    return this.processes.get(processId);
  }

  async getProcesses(ids: string[]): Promise<Map<string, ProcessRecord>> {
    return new Map(ids.flatMap((id) => (this.processes.has(id) ? [[id, this.processes.get(id)!] as const] : [])));
  }

  async createProcess(process: ProcessRecord, slot0: Slot, processItem: StoredItem, assignment: StoredAssignment) {
    const existing = this.logs.get(process.id)?.[0];
    if (existing) return { created: false, slot: existing.slot };
    this.processes.set(process.id, process);
    this.items.set(processItem.id, processItem);
    this.logs.set(process.id, [{ slot: slot0, assignment }]);
    this.index(slot0, processItem);
    this.uploads.push(assignment.id, processItem.id);
    return { created: true, slot: slot0 };
  }

  async withLockedLogs<T>(processIds: string[], lookups: SlotQuery[], fn: (logs: LockedLogs) => Promise<T>): Promise<T> {
    const ids = [...new Set(processIds)].sort();
    const releases: (() => void)[] = [];
    try {
      for (const id of ids) releases.push(await this.lock(id));
      const heads = new Map<string, LogHead>();
      for (const id of ids) {
        const log = this.logs.get(id);
        if (!log) continue;
        const last = log[log.length - 1].slot;
        heads.set(id, { processId: id, nonce: last.nonce, hashChain: last.hashChain, assignmentId: last.assignmentId, timestamp: last.timestamp, blockHeight: last.blockHeight });
      }
      const appends = new AppendBuffer(heads);
      const result = await fn({
        heads,
        found: lookups.map((q) => this.bySlotKey.get(`${q.processId}\n${q.messageId}`) ?? (q.dedupeKey ? this.bySlotKey.get(`${q.processId}\n#${q.dedupeKey}`) : undefined)),
        append: (slot, assignment, message) => appends.add(slot, assignment, message),
      });
      // Written only once the batch is complete, like the transaction of the Postgres store.
      for (const { slot, assignment, message } of appends.slots) {
        if (message && !this.items.has(message.id)) this.items.set(message.id, message);
        this.logs.get(slot.processId)!.push({ slot, assignment });
        this.index(slot, message ?? (slot.messageId ? this.items.get(slot.messageId) : undefined));
        this.uploads.push(assignment.id);
        if (message) this.uploads.push(message.id);
      }
      return result;
    } finally {
      for (const release of releases) release();
    }
  }

  /** Waits for the process's lock and returns its release. */
  private async lock(processId: string): Promise<() => void> {
    const previous = this.locks.get(processId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.locks.set(processId, previous.then(() => mine));
    await previous;
    return release;
  }

  private index(slot: Slot, message: StoredItem | undefined): void {
    if (!slot.messageId) return;
    this.bySlotKey.set(`${slot.processId}\n${slot.messageId}`, slot);
    if (message) {
      const key = `${slot.processId}\n#${message.dedupeKey}`;
      if (!this.bySlotKey.has(key)) this.bySlotKey.set(key, slot);
    }
  }

  async getItem(id: string): Promise<StoredItem | undefined> {
    return this.items.get(id);
  }

  async getItems(ids: string[]): Promise<Map<string, StoredItem>> {
    return new Map(ids.flatMap((id) => (this.items.has(id) ? [[id, this.items.get(id)!] as const] : [])));
  }

  /** Field by field, not a spread: slots read back from a serialized store made the spread slow (~5 µs). */
  private entry(e: { slot: Slot; assignment: StoredAssignment }): LogEntry {
    const { slot } = e;
    const message = slot.messageId ? this.items.get(slot.messageId)?.raw : undefined;
    const entry: LogEntry = {
      processId: slot.processId,
      nonce: slot.nonce,
      timestamp: slot.timestamp,
      blockHeight: slot.blockHeight,
      hashChain: slot.hashChain,
      assignmentId: slot.assignmentId,
      assignment: e.assignment.raw,
      message: message ?? EMPTY,
    };
    if (slot.messageId !== undefined) entry.messageId = slot.messageId;
    return entry;
  }

  async getSlot(processId: string, messageId: string): Promise<LogEntry | undefined> {
    const slot = this.bySlotKey.get(`${processId}\n${messageId}`);
    return slot ? this.entry({ slot, assignment: this.logs.get(processId)![slot.nonce].assignment }) : undefined;
  }

  async readLog(processId: string, q: LogQuery) {
    const log = this.logs.get(processId) ?? [];
    const matches: { slot: Slot; assignment: StoredAssignment }[] = [];
    // The log is indexed by nonce, so a nonce cursor starts right there.
    for (let i = Math.max(0, (q.fromNonce ?? -1) + 1); i < log.length && matches.length <= q.limit; i += 1) {
      const { slot } = log[i];
      if (q.toNonce !== undefined && slot.nonce > q.toNonce) break;
      if ((q.fromTimestamp === undefined || slot.timestamp > q.fromTimestamp) && (q.toTimestamp === undefined || slot.timestamp <= q.toTimestamp)) {
        matches.push(log[i]);
      }
    }
    return { entries: matches.slice(0, q.limit).map((e) => this.entry(e)), hasNextPage: matches.length > q.limit };
  }

  async latest(processId: string): Promise<LogEntry | undefined> {
    const log = this.logs.get(processId);
    return log?.length ? this.entry(log[log.length - 1]) : undefined;
  }

  async storeStandalone(...items: StoredItem[]): Promise<void> {
    for (const item of items) {
      if (this.items.has(item.id)) continue;
      this.items.set(item.id, item);
      this.uploads.push(item.id);
    }
  }

  async uploadStatus(): Promise<UploadStatus> {
    return { pending: this.uploads.length, uploaded: 0, confirmed: 0, failed: 0, lastConfirmedNonce: null };
  }
}
