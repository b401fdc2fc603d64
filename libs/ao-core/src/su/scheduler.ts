import { AoError } from '../errors.js';
import { dedupeKey } from '../data-item/deep-hash.js';
import { inlineItemVerifier, type ItemVerifier } from '../data-item/item-verifier.js';
import type { ParseLimits, SignedDataItem } from '../data-item/parse-data-item.js';
import type { ItemSigner } from '../data-item/signers.js';
import type { VerifiedDataItem } from '../data-item/verify-data-item.js';
import { nextHashChain, seedHashChain } from '../hash-chain.js';
import { getTag } from '../tags.js';
import { AssignmentSigner } from './assignment-signer.js';
import { assignmentTags } from './assignment-tags.js';
import { EXCLUDABLE_FIELDS } from '../cu/to-ao-message.js';
import type {
  BlockHeightSource,
  Clock,
  ItemSource,
  LockedLogs,
  LogHead,
  SchedulerStore,
  Slot,
  StoredItem,
  UploadNotifier,
} from './ports.js';

/** What the SU answers for a scheduled item: the reference's `{timestamp, id}` plus the slot. */
export interface ScheduleResult {
  id: string;
  timestamp: number;
  nonce: number;
  processId: string;
  assignmentId: string;
  /** False when the item was already in the log (a duplicate post): the answer is the first slot. */
  created: boolean;
}

export interface SchedulerDeps {
  store: SchedulerStore;
  signer: ItemSigner;
  clock: Clock;
  heights: BlockHeightSource;
  items?: ItemSource;
  uploads?: UploadNotifier;
  limits?: Partial<ParseLimits>;
  batching?: Partial<BatchingOptions>;
  /** Where items are parsed and verified (e.g. a worker-thread pool); on the calling thread by default. */
  verifier?: ItemVerifier;
}

/**
 * Group commit: appends waiting at the same time are written in one transaction (one lock round
 * trip and one multi-row insert for many messages, over many processes). A batch closes at
 * `maxItems` messages or `maxBytes` of items; at most `maxConcurrent` batches run at once, and a
 * process is in at most one of them, so its messages keep their arrival order.
 */
export interface BatchingOptions {
  maxItems: number;
  maxBytes: number;
  maxConcurrent: number;
}

// One batch at a time: what arrives while it is in Postgres goes together in the next one. Over
// HTTP with 128 clients and 100 processes, 1 did ~5% more msg/s than 2 (median of 6 alternated
// pairs) and 4 ~16% less: smaller batches cost Postgres more per message than the overlap gains.
const DEFAULT_BATCHING: BatchingOptions = { maxItems: 256, maxBytes: 8 * 1024 * 1024, maxConcurrent: 1 };

/** One append waiting for a batch. */
interface PendingAppend {
  processId: string;
  message: StoredItem;
  exclude?: string[];
  byDedupeKey: boolean;
  resolve(result: ScheduleResult): void;
  reject(error: unknown): void;
}

/** Turns an item into the stored form (reusing its dedupe key when verification already computed it). */
export function toStoredItem(item: SignedDataItem & { readonly dedupeKey?: string }): StoredItem {
  return {
    id: item.id,
    ownerAddress: item.ownerAddress,
    target: item.target || undefined,
    signatureType: item.signatureType,
    dedupeKey: item.dedupeKey ?? dedupeKey(item),
    tags: item.tags,
    raw: item.raw,
  };
}

/**
 * The Scheduler Unit: verifies signed items, gives each message the next slot of its process's
 * log (nonce, timestamp, block height, hash chain), signs the assignment and stores both for upload.
 */
export class Scheduler {
  private readonly batching: BatchingOptions;
  /** Appends not yet in a batch, in arrival order. */
  private readonly waiting: PendingAppend[] = [];
  /** Processes with appends in a running batch. */
  private readonly inFlight = new Set<string>();
  private running = 0;
  private readonly assignments: AssignmentSigner;
  /** Batches the store refused as a whole and that were retried one append at a time. */
  batchFallbacks = 0;

  constructor(private readonly deps: SchedulerDeps) {
    this.batching = { ...DEFAULT_BATCHING, ...deps.batching };
    this.assignments = new AssignmentSigner(deps.signer);
  }

  /** The SU wallet's address (the `Scheduler` tag processes must name). */
  get address(): string {
    return this.deps.signer.address;
  }

  /** Parses and verifies a raw item before anything is stored; throws a 4xx-class AoError when it is bad. */
  async verify(raw: Uint8Array): Promise<VerifiedDataItem> {
    return (this.deps.verifier ?? inlineItemVerifier).verify(raw, this.deps.limits);
  }

  /** POST /: schedules a Process (slot 0 of a new log) or a Message (next slot of its target's log). */
  async schedule(raw: Uint8Array): Promise<ScheduleResult> {
    const item = await this.verify(raw);
    return this.scheduleVerified(item);
  }

  /** Schedules an item whose signature was already verified by the caller. */
  async scheduleVerified(item: SignedDataItem): Promise<ScheduleResult> {
    requireAo(item);
    const type = getTag(item.tags, 'Type');
    if (type === 'Process') return this.createProcess(item);
    if (type === 'Message') return this.appendMessage(item);
    throw new AoError('INVALID_PROTOCOL', `The SU schedules Type Process or Message, not ${type}`, { type });
  }

  /**
   * Schedules verified items together: every append is queued before a batch starts, so they go in
   * one batch as far as its bounds allow (messages to one process in this order). Each item is
   * answered on its own, as `scheduleVerified` answers it.
   */
  scheduleMany(items: SignedDataItem[]): Promise<PromiseSettledResult<ScheduleResult>[]> {
    this.holding = true;
    let answers: Promise<ScheduleResult>[];
    try {
      answers = items.map((item) => this.scheduleVerified(item));
    } finally {
      this.holding = false;
    }
    this.startBatches();
    return Promise.allSettled(answers);
  }

  /** While true, appends are queued but no batch starts (scheduleMany queues a whole batch first). */
  private holding = false;

  /** POST /?process-id&assign: puts an existing message (known here or on the gateway) into another log. */
  async assign(processId: string, messageId: string, exclude: string[] = []): Promise<ScheduleResult> {
    const unknown = exclude.filter((f) => !(EXCLUDABLE_FIELDS as readonly string[]).includes(f));
    if (unknown.length > 0) {
      throw new AoError('INVALID_REQUEST', `exclude may name ${EXCLUDABLE_FIELDS.join(', ')} only, not ${unknown.join(', ')}`, { exclude: unknown });
    }
    let stored = await this.deps.store.getItem(messageId);
    if (!stored) {
      const raw = await this.deps.items?.fetchItem(messageId);
      if (!raw) throw new AoError('UNKNOWN_MESSAGE', `Message ${messageId} is unknown to this SU and the gateway`, { messageId });
      const item = await this.verify(raw);
      if (item.id !== messageId) throw new AoError('INVALID_ITEM', 'The gateway answered another item', { messageId, got: item.id });
      stored = toStoredItem(item);
    }
    const message = stored;
    await this.requireProcess(processId);
    return this.append(processId, message, { exclude, byDedupeKey: false });
  }

  private async createProcess(item: SignedDataItem): Promise<ScheduleResult> {
    const module = getTag(item.tags, 'Module');
    const scheduler = getTag(item.tags, 'Scheduler');
    if (!module || !scheduler) {
      throw new AoError('INVALID_PROTOCOL', 'A Process needs Module and Scheduler tags', { missing: [!module && 'Module', !scheduler && 'Scheduler'].filter(Boolean) });
    }
    if (scheduler !== this.address) {
      throw new AoError('INVALID_PROTOCOL', `This process names scheduler ${scheduler}; this SU is ${this.address}`, { scheduler, address: this.address });
    }
    const existing = await this.deps.store.getSlot(item.id, item.id);
    if (existing) return this.result(existing, false);
    const timestamp = this.deps.clock.now();
    const blockHeight = await this.blockHeight();
    const hashChain = seedHashChain(item.id);
    const assignment = await this.assignments.sign(assignmentTags({ processId: item.id, nonce: 0, hashChain, blockHeight, timestamp }));
    const slot: Slot = { processId: item.id, nonce: 0, timestamp, blockHeight, hashChain, assignmentId: assignment.id, messageId: item.id };
    const outcome = await this.deps.store.createProcess(
      { id: item.id, owner: item.ownerAddress, module, scheduler, tags: item.tags, timestamp, blockHeight },
      slot,
      toStoredItem(item),
      assignment,
    );
    if (outcome.created) this.deps.uploads?.uploadsPending();
    return this.result(outcome.slot, outcome.created);
  }

  private async appendMessage(item: SignedDataItem): Promise<ScheduleResult> {
    const processId = item.target;
    if (!processId) throw new AoError('INVALID_PROTOCOL', 'A Message needs a target process', { id: item.id });
    // An unknown target is refused by the batch itself (its head is missing), saving a round trip.
    const pushed = getTag(item.tags, 'From-Process') !== undefined;
    return this.append(processId, toStoredItem(item), { byDedupeKey: pushed });
  }

  /** Queues an append for the next batch and answers once that batch is committed. */
  private append(processId: string, message: StoredItem, options: { exclude?: string[]; byDedupeKey: boolean }): Promise<ScheduleResult> {
    return new Promise<ScheduleResult>((resolve, reject) => {
      this.waiting.push({ processId, message, exclude: options.exclude, byDedupeKey: options.byDedupeKey, resolve, reject });
      this.startBatches();
    });
  }

  /** Starts batches while there is room and waiting appends of processes not already in flight. */
  private startBatches(): void {
    if (this.holding) return;
    const { maxItems, maxBytes, maxConcurrent } = this.batching;
    while (this.running < maxConcurrent && this.waiting.length > 0) {
      const batch: PendingAppend[] = [];
      const rest: PendingAppend[] = [];
      // Once one of a process's appends stays behind, its later ones must stay too (order).
      const heldBack = new Set<string>(this.inFlight);
      let bytes = 0;
      for (const p of this.waiting) {
        const fits = batch.length < maxItems && (batch.length === 0 || bytes + p.message.raw.length <= maxBytes);
        if (fits && !heldBack.has(p.processId)) {
          batch.push(p);
          bytes += p.message.raw.length;
        } else {
          rest.push(p);
          heldBack.add(p.processId);
        }
      }
      if (batch.length === 0) return;
      this.waiting.splice(0, this.waiting.length, ...rest);
      const processes = [...new Set(batch.map((p) => p.processId))];
      for (const id of processes) this.inFlight.add(id);
      this.running += 1;
      void this.runBatch(batch, processes).finally(() => {
        this.running -= 1;
        for (const id of processes) this.inFlight.delete(id);
        this.startBatches();
      });
    }
  }

  /** Writes one batch in one transaction; each append gets its own answer (a slot, or its own error). */
  private async runBatch(batch: PendingAppend[], processes: string[]): Promise<void> {
    let outcomes: (ScheduleResult | AoError)[];
    let blockHeight: number;
    try {
      // Height and lookups happen once per batch; the hash chain needs the locked heads.
      blockHeight = await this.blockHeight();
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    try {
      const lookups = batch.map((p) => ({ processId: p.processId, messageId: p.message.id, dedupeKey: p.byDedupeKey ? p.message.dedupeKey : undefined }));
      outcomes = await this.deps.store.withLockedLogs(processes, lookups, (logs) => this.fillSlots(logs, batch, blockHeight));
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      // The batch is one transaction and nothing of it was written: one append the store refuses
      // must not take the others down, so each is tried again alone (in order, keeping each log's).
      this.batchFallbacks += 1;
      for (const p of batch) await this.runBatch([p], [p.processId]);
      return;
    }
    if (outcomes.some((o) => !(o instanceof AoError) && o.created)) this.deps.uploads?.uploadsPending();
    batch.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof AoError) p.reject(outcome);
      else p.resolve(outcome);
    });
  }

  private async fillSlots(logs: LockedLogs, batch: PendingAppend[], blockHeight: number): Promise<(ScheduleResult | AoError)[]> {
    const stored = logs.found;
    const heads = new Map<string, LogHead>(logs.heads);
    // Duplicates within the batch answer the first one's slot, like duplicates across batches.
    const byId = new Map<string, Slot>();
    const byKey = new Map<string, Slot>();
    const outcomes: (ScheduleResult | AoError)[] = [];
    for (const [i, p] of batch.entries()) {
      const head = heads.get(p.processId);
      if (!head) {
        outcomes.push(new AoError('UNKNOWN_PROCESS', `Process ${p.processId} is not scheduled by this SU`, { processId: p.processId }));
        continue;
      }
      const idKey = `${p.processId}\n${p.message.id}`;
      const dedupeKey = `${p.processId}\n${p.message.dedupeKey}`;
      const known = stored[i] ?? byId.get(idKey) ?? (p.byDedupeKey ? byKey.get(dedupeKey) : undefined);
      if (known) {
        outcomes.push(this.result(known, false));
        continue;
      }
      const nonce = head.nonce + 1;
      // Timestamps strictly increase within a log (even if the host clock steps back), so a
      // timestamp is an exact paging cursor, as reference clients use it.
      const timestamp = Math.max(this.deps.clock.now(), head.timestamp + 1);
      // Each scheduler instance (API, workers) caches the gateway height on its own, so the one
      // writing now may have read an older height than the last writer: a log never goes back.
      const height = Math.max(blockHeight, head.blockHeight);
      const hashChain = nextHashChain(head.assignmentId, head.hashChain);
      const assignment = await this.assignments.sign(
        assignmentTags({ processId: p.processId, nonce, hashChain, blockHeight: height, timestamp, messageId: p.message.id, exclude: p.exclude }),
      );
      const slot: Slot = { processId: p.processId, nonce, timestamp, blockHeight: height, hashChain, assignmentId: assignment.id, messageId: p.message.id };
      logs.append(slot, assignment, p.message);
      heads.set(p.processId, { processId: p.processId, nonce, timestamp, blockHeight: height, hashChain, assignmentId: assignment.id });
      byId.set(idKey, slot);
      byKey.set(dedupeKey, slot);
      outcomes.push(this.result(slot, true));
    }
    return outcomes;
  }

  private async requireProcess(processId: string): Promise<void> {
    if (!(await this.deps.store.getProcess(processId))) {
      throw new AoError('UNKNOWN_PROCESS', `Process ${processId} is not scheduled by this SU`, { processId });
    }
  }

  private async blockHeight(): Promise<number> {
    try {
      return await this.deps.heights.blockHeight();
    } catch (error) {
      throw new AoError('GATEWAY_UNAVAILABLE', `Cannot read the block height: ${(error as Error).message}`, undefined, 'transient');
    }
  }

  private result(slot: Slot, created: boolean): ScheduleResult {
    return {
      id: slot.messageId ?? slot.processId,
      timestamp: slot.timestamp,
      nonce: slot.nonce,
      processId: slot.processId,
      assignmentId: slot.assignmentId,
      created,
    };
  }
}

function requireAo(item: SignedDataItem): void {
  const protocol = getTag(item.tags, 'Data-Protocol');
  if (protocol !== 'ao') {
    throw new AoError('INVALID_PROTOCOL', `Data-Protocol must be "ao", got ${protocol === undefined ? 'none' : `"${protocol}"`}`, {
      tag: 'Data-Protocol',
    });
  }
  if (!getTag(item.tags, 'Type')) throw new AoError('INVALID_PROTOCOL', 'A Type tag is required', { tag: 'Type' });
}
