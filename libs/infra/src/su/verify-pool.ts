import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AoError, inlineItemVerifier, type ItemVerifier, type ParseLimits, type VerifiedDataItem } from '@ao/core';
import { pipelineCounters } from '../metrics/pipeline-counters.js';
import type { VerifiedFields, VerifyFailure, VerifyRequest, VerifyResponse, VerifyThreadStarted } from './verify-protocol.js';

/** The thread script: the built file next to this one (tests run this module from source). */
function threadScript(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? here.replace(/\/src\/su\/verify-pool\.ts$/, '/dist/su/verify-thread.js') : here.replace(/verify-pool\.js$/, 'verify-thread.js');
}

export interface VerifyPoolOptions {
  /** Worker threads (at least 1). */
  threads: number;
  /** Items and bytes per message to a thread: one message carries what arrived in the same turn of the event loop. */
  maxBatchItems?: number;
  maxBatchBytes?: number;
  /**
   * Batches a thread holds at once (default 2: one it verifies, one waiting, so it never idles
   * between them). Items arriving while every thread holds this many wait and go together as the
   * next batch: under load, fewer and fuller messages, each of which may have to wake a sleeping
   * thread (measured ~50 µs of the event loop per wake-up on the 2-core VM, against ~7 µs for a
   * message to a busy thread).
   */
  maxBatchesPerThread?: number;
}

interface PendingVerify {
  raw: Uint8Array;
  limits?: Partial<ParseLimits>;
  resolve(item: VerifiedDataItem): void;
  reject(error: unknown): void;
}

interface Thread {
  worker: Worker;
  /** Batches sent and not answered, by batch number. */
  batches: Map<number, PendingVerify[]>;
  /** Items in those batches (the pool sends to the least loaded thread). */
  load: number;
}

/** A verified item rebuilt over the bytes the thread verified (views, not copies). */
function toItem(bytes: Buffer, f: VerifiedFields): VerifiedDataItem {
  return {
    id: f.id,
    signatureType: f.signatureType,
    signature: bytes.subarray(...f.signature),
    owner: bytes.subarray(...f.owner),
    ownerAddress: f.ownerAddress,
    ...(f.target !== undefined ? { target: f.target } : {}),
    ...(f.anchor !== undefined ? { anchor: f.anchor } : {}),
    tags: f.tags,
    data: bytes.subarray(f.dataStart),
    raw: bytes,
    dedupeKey: f.dedupeKey,
  };
}

const toError = (f: VerifyFailure): AoError => new AoError(f.code, f.message, f.details, f.kind);

/**
 * Parses and verifies items on a pool of worker threads, so signature checks and deep hashes run
 * beside the event loop instead of on it. Items arriving in the same turn of the loop travel to a
 * thread as one message (one copy into a transferred buffer, which comes back holding the verified
 * bytes the items are then views of); while every thread holds its maxBatchesPerThread, arrivals
 * wait and go as one fuller batch. A thread that dies fails its batches (INTERNAL, transient) and is
 * replaced.
 */
export class VerifyPool implements ItemVerifier {
  private readonly threads: Thread[] = [];
  private readonly maxBatchItems: number;
  private readonly maxBatchBytes: number;
  private readonly maxBatchesPerThread: number;
  private pending: PendingVerify[] = [];
  private flushing = false;
  private nextBatch = 0;
  private closed = false;

  constructor(options: VerifyPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new Error(`A verify pool needs at least one thread, got ${options.threads}`);
    this.maxBatchItems = options.maxBatchItems ?? 64;
    this.maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
    this.maxBatchesPerThread = options.maxBatchesPerThread ?? 2;
    for (let i = 0; i < options.threads; i += 1) this.threads.push(this.spawn());
  }

  /** Parses and verifies `raw` on a thread; rejects with the AoError verification raised. */
  verify(raw: Uint8Array, limits?: Partial<ParseLimits>): Promise<VerifiedDataItem> {
    if (this.closed) return Promise.reject(new AoError('INTERNAL', 'The verify pool is closed', undefined, 'transient'));
    if (!(raw instanceof Uint8Array)) return inlineItemVerifier.verify(raw, limits); // refused there with the usual error
    return new Promise((resolve, reject) => {
      this.pending.push({ raw, limits, resolve, reject });
      this.flushSoon();
    });
  }

  /** Nest calls this at shutdown. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Stops the threads; waiting and running verifications fail. */
  async close(): Promise<void> {
    this.closed = true;
    const error = new AoError('INTERNAL', 'The verify pool is closed', undefined, 'transient');
    for (const p of this.pending.splice(0)) p.reject(error);
    await Promise.all(
      this.threads.map(async (t) => {
        this.failThread(t, error);
        await t.worker.terminate();
      }),
    );
  }

  private spawn(): Thread {
    const thread: Thread = { worker: new Worker(threadScript()), batches: new Map(), load: 0 };
    thread.worker.unref(); // a pool left open must not keep the process alive
    thread.worker.on('message', (message: VerifyResponse | VerifyThreadStarted) => {
      if ('batch' in message) this.answer(thread, message);
      else pipelineCounters.noteThread(`verify-${this.threads.indexOf(thread)}`, message.tid);
    });
    thread.worker.on('error', (error) => this.failThread(thread, new AoError('INTERNAL', `A verify thread crashed: ${error.message}`, undefined, 'transient')));
    thread.worker.on('exit', () => {
      if (this.closed) return;
      this.failThread(thread, new AoError('INTERNAL', 'A verify thread exited', undefined, 'transient'));
      const i = this.threads.indexOf(thread);
      if (i >= 0) this.threads[i] = this.spawn();
      this.flushSoon();
    });
    return thread;
  }

  /** Flushes once the current turn of the event loop is over (what arrives in it goes together). */
  private flushSoon(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  /**
   * Sends what is waiting, in batches of one limits object each, to the least loaded threads that
   * hold fewer than maxBatchesPerThread; the rest waits for an answer to make room.
   */
  private flush(): void {
    this.flushing = false;
    const waiting = this.pending;
    let start = 0;
    while (start < waiting.length) {
      const thread = this.threads.reduce((a, b) => (b.batches.size < a.batches.size || (b.batches.size === a.batches.size && b.load < a.load) ? b : a));
      if (thread.batches.size >= this.maxBatchesPerThread) break;
      let end = start + 1;
      let bytes = waiting[start].raw.byteLength;
      while (
        end < waiting.length &&
        end - start < this.maxBatchItems &&
        bytes + waiting[end].raw.byteLength <= this.maxBatchBytes &&
        waiting[end].limits === waiting[start].limits
      ) {
        bytes += waiting[end].raw.byteLength;
        end += 1;
      }
      this.send(thread, waiting.slice(start, end), bytes);
      start = end;
    }
    this.pending = start === 0 ? waiting : waiting.slice(start);
  }

  private send(thread: Thread, items: PendingVerify[], size: number): void {
    const bytes = new Uint8Array(size);
    const ends: number[] = [];
    let at = 0;
    for (const item of items) {
      bytes.set(item.raw, at);
      at += item.raw.byteLength;
      ends.push(at);
    }
    const batch = this.nextBatch++;
    thread.batches.set(batch, items);
    thread.load += items.length;
    const request: VerifyRequest = { batch, bytes, ends, limits: items[0].limits };
    thread.worker.postMessage(request, [bytes.buffer]);
  }

  private answer(thread: Thread, response: VerifyResponse): void {
    const items = thread.batches.get(response.batch);
    if (!items) return;
    thread.batches.delete(response.batch);
    thread.load -= items.length;
    const all = Buffer.from(response.bytes.buffer, response.bytes.byteOffset, response.bytes.byteLength);
    let start = 0;
    response.outcomes.forEach((outcome, i) => {
      const end = start + items[i].raw.byteLength;
      if (outcome.ok) items[i].resolve(toItem(all.subarray(start, end), outcome));
      else items[i].reject(toError(outcome));
      start = end;
    });
    this.flushSoon();
  }

  private failThread(thread: Thread, error: AoError): void {
    for (const items of thread.batches.values()) for (const item of items) item.reject(error);
    thread.batches.clear();
    thread.load = 0;
    if (!this.closed) this.flushSoon();
  }
}

/** An item verifier the process closes at shutdown. */
export type ClosableItemVerifier = ItemVerifier & { close(): Promise<void>; onApplicationShutdown(): Promise<void> };

/** The item verifier for a thread count (ITEM_VERIFY_THREADS): a pool of that many threads, or the calling thread for 0. */
export function createItemVerifier(threads: number): ClosableItemVerifier {
  if (threads > 0) return new VerifyPool({ threads });
  const close = async () => undefined;
  return { verify: (raw, limits) => inlineItemVerifier.verify(raw, limits), close, onApplicationShutdown: close };
}
