import type { Tag } from '../types.js';

/** What the SU keeps about a process: its Process item facts and the head of its log. */
export interface ProcessRecord {
  id: string;
  owner: string;
  module: string;
  scheduler: string;
  tags: Tag[];
  timestamp: number;
  blockHeight: number;
}

/** The last slot of a process's log: what the next slot chains onto. */
export interface LogHead {
  processId: string;
  nonce: number;
  hashChain: string;
  assignmentId: string;
  timestamp: number;
  /** Block height of the last slot: the next one is stamped no lower. */
  blockHeight: number;
}

/** An item as the SU stores it: raw signed bytes plus the facts it is queried by. */
export interface StoredItem {
  id: string;
  ownerAddress: string;
  target?: string;
  signatureType: number;
  dedupeKey: string;
  tags: Tag[];
  raw: Buffer;
}

/** One slot of a log: the SU-signed assignment and the message it orders (none for slot 0). */
export interface Slot {
  processId: string;
  nonce: number;
  timestamp: number;
  blockHeight: number;
  hashChain: string;
  assignmentId: string;
  messageId?: string;
}

/** A slot with both items' raw bytes, as read back from the store. */
export interface LogEntry extends Slot {
  assignment: Buffer;
  /** The message item; for slot 0 the Process item itself. */
  message: Buffer;
}

/** Range of a log read: nonces or timestamps, `from` exclusive and `to` inclusive as in the reference SU. */
export interface LogQuery {
  fromNonce?: number;
  toNonce?: number;
  fromTimestamp?: number;
  toTimestamp?: number;
  limit: number;
}

/** Upload backlog of one process's log: what is still to reach the gateway, and how far it is confirmed. */
export interface UploadStatus {
  pending: number;
  uploaded: number;
  confirmed: number;
  failed: number;
  lastConfirmedNonce: number | null;
}

/** A slot looked up before appending: the message's own id, or (for pushed messages) its deep hash. */
export interface SlotQuery {
  processId: string;
  messageId: string;
  /** When set, a message with this deep hash already in the log also counts as this one. */
  dedupeKey?: string;
}

/** The part of an assignment the log keeps: its id and signed bytes. */
export type StoredAssignment = Pick<StoredItem, 'id' | 'raw'>;

/**
 * Writes done while the heads of some logs are locked; nothing else can append to those logs
 * meanwhile. Appends may be buffered by the store and written when the callback returns, in the
 * same transaction: either every append of the batch is stored or none is.
 */
export interface LockedLogs {
  /** Heads of the locked logs at lock time; a process that does not exist is absent. */
  readonly heads: ReadonlyMap<string, LogHead>;
  /**
   * For each lookup asked with the lock, the slot already holding that message in that log, if any
   * (dedupe): what the log holds with the lock taken, including what a writer the lock waited for
   * committed.
   */
  readonly found: readonly (Slot | undefined)[];
  /**
   * Appends the next slot of a locked log (nonce = its head + 1, counting earlier appends of this
   * batch): the message (unless stored), the assignment, their upload rows, and the new head.
   */
  append(slot: Slot, assignment: StoredAssignment, message?: StoredItem): void;
}

/** Persistence of the SU. Implementations must serialize appends per process across OS processes. */
export interface SchedulerStore {
  getProcess(processId: string): Promise<ProcessRecord | undefined>;
  /** The processes among `ids` (one read for many; ids that are not processes are absent). */
  getProcesses(ids: string[]): Promise<Map<string, ProcessRecord>>;
  /** Creates a process with its slot 0, or answers the existing slot 0 when the process exists. */
  createProcess(process: ProcessRecord, slot0: Slot, processItem: StoredItem, assignment: StoredAssignment): Promise<{ created: boolean; slot: Slot }>;
  /**
   * Runs `fn` with the heads of these processes locked (row or advisory locks, not an in-memory
   * mutex, so the lock holds across OS processes; taken in a fixed order, so batches never
   * deadlock) and the `lookups` answered under the lock (`found`), then writes its appends
   * atomically. Taking both together lets a store lock and look up in one round trip.
   */
  withLockedLogs<T>(processIds: string[], lookups: SlotQuery[], fn: (logs: LockedLogs) => Promise<T>): Promise<T>;
  /** A stored item by id (any process). */
  getItem(id: string): Promise<StoredItem | undefined>;
  /** Stored items by id (one read for many; unknown ids are absent). */
  getItems(ids: string[]): Promise<Map<string, StoredItem>>;
  /** The slot of a message in a process's log. */
  getSlot(processId: string, messageId: string): Promise<LogEntry | undefined>;
  /** Reads a page of a log in nonce order; `hasNextPage` tells whether more entries match. */
  readLog(processId: string, query: LogQuery): Promise<{ entries: LogEntry[]; hasNextPage: boolean }>;
  /** The last slot of a log. */
  latest(processId: string): Promise<LogEntry | undefined>;
  /**
   * Stores items that belong to no process here (the SU's own, e.g. Scheduler-Location, or the MU's
   * pushes to wallets) and queues their upload, all in one write; an item already stored is kept.
   */
  storeStandalone(...items: StoredItem[]): Promise<void>;
  uploadStatus(processId: string): Promise<UploadStatus>;
}

/** The current time in ms. Injected so tests and replays control it. */
export interface Clock {
  now(): number;
}

/** The gateway's current block height (cached by the adapter). */
export interface BlockHeightSource {
  blockHeight(): Promise<number>;
}

/** Fetches a raw item from the gateway when the SU does not know it (for `assign`). */
export interface ItemSource {
  fetchItem(id: string): Promise<Buffer | undefined>;
}

/** Told after each commit that new uploads are waiting (kicks the upload worker). */
export interface UploadNotifier {
  uploadsPending(): void;
}
