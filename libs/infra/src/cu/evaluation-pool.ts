import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AoError, isAoError, type AoErrorCode, type AoErrorKind, type AoMessage, type BatchOutcome, type EvalResult, type EvaluationReport } from '@ao/core';
import type { Env } from '../env/env.schema.js';
import { addCounters, pipelineCounters, type CounterSnapshot } from '../metrics/pipeline-counters.js';
import { busyKey } from './busy-marker.js';

/** A dry-run message as the Compute Unit takes it (it adds `Read-Only` itself). */
export type DryRunMessage = Omit<AoMessage, 'Read-Only'>;

/** The calls a thread serves, one per Compute Unit method the pool stands in for. */
export type ThreadCall =
  | { type: 'evaluate'; processId: string; committedHead?: number }
  /** `processId`: the first of `processIds` (what the labels of a stuck call name). */
  | { type: 'evaluate-many'; processId: string; processIds: string[] }
  | { type: 'dry-run'; processId: string; message: DryRunMessage }
  | { type: 'state-hash'; processId: string }
  | { type: 'stop'; processId: string; reason: string };
export type ThreadRequest = (ThreadCall & { id: number }) | { type: 'close' };
/** An error as it crosses the thread boundary. */
export type ThreadError = { message: string; code?: AoErrorCode; kind?: AoErrorKind; details?: Record<string, unknown> };
/** A BatchOutcome as it crosses the thread boundary. */
export type ThreadOutcome = { processId: string; ok: true; report: EvaluationReport } | { processId: string; ok: false; error: ThreadError };
export type ThreadReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ThreadError };

/** What a thread is started with. */
export interface ThreadData {
  env: Env;
  /** False for a read-only Compute Unit (the API's): it restores from checkpoints but never saves one. */
  saveCheckpoints: boolean;
}

/** What the evaluate stage needs of a Compute Unit; met by ComputeUnit itself and by the pool. */
export interface Evaluator {
  /** See ComputeUnit.evaluate (`committedHead`: the head this caller's previous pass left, under the lock it still holds). */
  evaluate(processId: string, committedHead?: number): Promise<EvaluationReport>;
  /** See ComputeUnit.evaluateMany: one pass over many processes, each reported on its own. */
  evaluateMany(processIds: string[]): Promise<BatchOutcome[]>;
  close(): void | Promise<void>;
}

/** What the API's read side needs of a Compute Unit; met by ComputeUnit itself and by the pool. */
export interface ReadOnlyComputeUnit {
  dryRun(processId: string, message: DryRunMessage): Promise<EvalResult>;
  stateHash(processId: string): Promise<{ nonce: number; hash: string }>;
  close(): void | Promise<void>;
}

interface Call {
  request: ThreadCall;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** When it was posted to its thread. */
  sentAt: number;
  /** Already replayed once on a replacement thread. */
  replayed?: boolean;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  calls: Map<number, Call>;
  /** When the thread last showed life (any message; it sends one every HEARTBEAT_MS while idle or awaiting). */
  seen: number;
  /** The thread's pipeline counters as it last sent them (with every COUNTERS_EVERY-th heartbeat). */
  counters: CounterSnapshot;
  /** busyKey of the process the thread runs synchronously, 0 when none (shared memory it writes). */
  busy: Int32Array;
}

/** An error as a thread reply carries it. */
export function asThreadError(error: unknown): ThreadError {
  if (isAoError(error)) return { message: error.message, code: error.code, kind: error.kind, details: error.details };
  return { message: (error as Error)?.message ?? String(error) };
}

/** A thread's outcome as the pool's callers get it (errors as AoErrors, transient unless said). */
function fromThread(outcome: ThreadOutcome): BatchOutcome {
  if (outcome.ok) return outcome;
  const { message, code, kind, details } = outcome.error;
  return { processId: outcome.processId, ok: false, error: new AoError(code ?? 'INTERNAL', message, details, kind ?? 'transient') };
}

/** Backstop cuts of one process's evaluation after which it is stopped for good (EVALUATION_STOPPED). */
export const RUNAWAY_STRIKES = 2;

/** A thread's messages besides call replies: its first (with its OS thread id) and its heartbeats (now and then with its counters). */
export type ThreadSignal = { ready: true; tid?: number } | { alive: true; counters?: CounterSnapshot };

/** How often a thread says it is alive; a thread stuck in one synchronous call cannot. */
export const HEARTBEAT_MS = 200;
/** A thread sends its pipeline counters with every this many heartbeats (once a second). */
export const COUNTERS_EVERY = 5;

const LABEL: Record<ThreadCall['type'], string> = {
  evaluate: 'evaluating',
  'evaluate-many': 'evaluating a batch with',
  'dry-run': 'serving a dry-run of',
  'state-hash': 'hashing the state of',
  stop: 'stopping',
};

/** The thread script: the built file next to this one (tests run this module from source). */
function threadScript(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? here.replace(/\/src\/cu\/evaluation-pool\.ts$/, '/dist/cu/evaluation-thread.js') : here.replace(/evaluation-pool\.js$/, 'evaluation-thread.js');
}

/**
 * Runs Compute Unit calls (evaluations, dry-runs, state hashes) on a pool of worker threads, each
 * with a Compute Unit of its own; a process always goes to the same thread (its live state stays
 * warm there). The wall-clock backstop: gas bounds what the Lua VM executes, but not a single C
 * call that never returns (a pathological string pattern). Each thread sends a heartbeat every
 * HEARTBEAT_MS from its event loop; a thread that holds calls and has been silent for `timeoutMs`
 * is stuck inside one message, so it is terminated and replaced. The thread keeps, in shared
 * memory, which process it runs synchronously (busy-marker.ts): only that process's calls fail,
 * with a transient EVALUATION_TIMEOUT (its job is retried; nothing of the runaway message was
 * committed, commits are per batch and atomic); every other call the thread held is replayed once
 * on the replacement, so bystanders wait at most one backstop period. A process cut
 * RUNAWAY_STRIKES times is stopped for good (EVALUATION_STOPPED, recorded on the process: no sweep
 * evaluates it again). Gas meters C-level work too (docs/limits.md), so the backstop is a last
 * resort. Without a mark (a thread stuck outside any process), evaluations fail and read-only
 * calls posted after the thread fell silent are replayed. Long evaluations that keep yielding are
 * not cut.
 */
export class EvaluationPool implements Evaluator, ReadOnlyComputeUnit {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;
  private readonly watchdog: NodeJS.Timeout;
  private readonly data: ThreadData;
  private readonly name: string;
  /** Counters of threads that were replaced, so the pool's totals never go back. */
  private readonly retired: CounterSnapshot = {};
  private readonly stopCounting: () => void;
  /** Backstop cuts per process (see RUNAWAY_STRIKES). */
  private readonly strikes = new Map<string, number>();

  /** `name` labels the threads in the pipeline counters (`<name>-<index>`). */
  constructor(
    env: Env,
    private readonly size: number,
    private readonly timeoutMs: number,
    options: { saveCheckpoints?: boolean; name?: string } = {},
  ) {
    this.data = { env, saveCheckpoints: options.saveCheckpoints ?? true };
    this.name = options.name ?? 'evaluation';
    this.stopCounting = pipelineCounters.addSource(() => ({
      counters: this.slots.reduce((sum, slot) => addCounters(sum, slot.counters), { ...this.retired }),
      threads: {},
    }));
    for (let i = 0; i < size; i += 1) this.slots.push(this.spawn(i));
    this.watchdog = setInterval(() => this.check(), Math.min(1_000, Math.max(50, timeoutMs / 4)));
    this.watchdog.unref();
  }

  evaluate(processId: string, committedHead?: number): Promise<EvaluationReport> {
    return this.call({ type: 'evaluate', processId, committedHead }) as Promise<EvaluationReport>;
  }

  /**
   * The processes go to their own threads (as `evaluate` calls do), one batch call per thread, the
   * threads in parallel. A thread that fails a whole call (it crashed, the pool closed) fails its
   * processes only; the backstop cuts a runaway process out of its batch (see recycle).
   */
  async evaluateMany(processIds: string[]): Promise<BatchOutcome[]> {
    const ids = [...new Set(processIds)];
    const byThread = new Map<number, string[]>();
    for (const id of ids) {
      const index = this.ownThread(id);
      const list = byThread.get(index);
      if (list) list.push(id);
      else byThread.set(index, [id]);
    }
    const outcomes = new Map<string, BatchOutcome>();
    await Promise.all(
      [...byThread.values()].map(async (batch) => {
        let answers: ThreadOutcome[];
        try {
          answers = (await this.call({ type: 'evaluate-many', processId: batch[0], processIds: batch })) as ThreadOutcome[];
        } catch (error) {
          answers = batch.map((processId) => ({ processId, ok: false, error: asThreadError(error) }));
        }
        for (const answer of answers) outcomes.set(answer.processId, fromThread(answer));
      }),
    );
    return ids.map((id) => outcomes.get(id)!);
  }

  dryRun(processId: string, message: DryRunMessage): Promise<EvalResult> {
    return this.call({ type: 'dry-run', processId, message }) as Promise<EvalResult>;
  }

  stateHash(processId: string): Promise<{ nonce: number; hash: string }> {
    return this.call({ type: 'state-hash', processId }) as Promise<{ nonce: number; hash: string }>;
  }

  /** Calls in flight on each thread (posted, not yet answered). */
  inFlight(): number[] {
    return this.slots.map((slot) => slot.calls.size);
  }

  /** Lets running calls finish (at most `graceMs`, by default the backstop up to 10 s), then stops the threads. */
  async close(graceMs = Math.min(this.timeoutMs, 10_000)): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    this.stopCounting();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && this.slots.some((slot) => slot.calls.size > 0)) await new Promise((r) => setTimeout(r, 20));
    for (const slot of this.slots) {
      // Whatever is still running is answered (and its job retried later), never left hanging.
      this.failAll(slot.calls, 'the evaluation pool closed before this call finished');
      slot.worker.postMessage({ type: 'close' } satisfies ThreadRequest);
      // A thread stuck in a call cannot close itself.
      setTimeout(() => void slot.worker.terminate(), 2_000).unref();
    }
  }

  private async call(request: ThreadCall): Promise<unknown> {
    if (this.closed) throw new AoError('INTERNAL', 'the evaluation pool is closed', {}, 'transient');
    const index = this.threadFor(request);
    return new Promise((resolve, reject) => void this.post(index, { request, resolve, reject, sentAt: 0 }));
  }

  /**
   * A process's own thread (its live state is warm there). A read-only call (dry-run, state hash)
   * whose thread is busy goes to an idle thread instead, which catches up from the checkpoints and
   * the log: a runaway dry-run then delays no other caller while another thread is free.
   */
  private threadFor(request: ThreadCall): number {
    const own = this.ownThread(request.processId);
    if (request.type === 'evaluate' || request.type === 'evaluate-many' || this.slots[own].calls.size === 0) return own;
    const idle = this.slots.findIndex((slot) => slot.calls.size === 0);
    return idle >= 0 ? idle : own;
  }

  /** The thread a process's evaluations go to. */
  private ownThread(processId: string): number {
    return createHash('sha256').update(processId).digest().readUInt32BE(0) % this.size;
  }

  /** Posts a call to the thread of slot `index` once it is ready (a starting thread sends no heartbeats yet). */
  private async post(index: number, call: Call): Promise<void> {
    const slot = this.slots[index];
    try {
      await slot.ready;
    } catch (error) {
      call.reject(new AoError('EVALUATION_TIMEOUT', `evaluation thread failed to start: ${(error as Error).message}`, { processId: call.request.processId }, 'transient'));
      return;
    }
    const id = (this.nextId += 1);
    if (slot.calls.size === 0) slot.seen = Date.now();
    call.sentAt = Date.now();
    slot.calls.set(id, call);
    slot.worker.postMessage({ ...call.request, id } satisfies ThreadRequest);
  }

  private spawn(index: number): Slot {
    const busy = new SharedArrayBuffer(4);
    const worker = new Worker(threadScript(), { workerData: { ...this.data, busy } });
    const calls = new Map<number, Call>();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (signal: ThreadSignal) => {
        if ('tid' in signal) pipelineCounters.noteThread(`${this.name}-${index}`, signal.tid);
        resolve();
      });
      worker.once('error', reject);
    });
    ready.catch(() => undefined);
    const slot: Slot = { worker, ready, calls, seen: Date.now(), counters: {}, busy: new Int32Array(busy) };
    worker.on('message', (reply: ThreadReply | ThreadSignal) => {
      slot.seen = Date.now();
      if (!('id' in reply)) {
        if ('counters' in reply && reply.counters) slot.counters = reply.counters;
        return;
      }
      const call = calls.get(reply.id);
      if (!call) return;
      calls.delete(reply.id);
      if (reply.ok) call.resolve(reply.value);
      else call.reject(new AoError(reply.error.code ?? 'INTERNAL', reply.error.message, reply.error.details, reply.error.kind ?? 'transient'));
    });
    worker.on('error', (error) => this.failAll(calls, `evaluation thread crashed: ${error.message}`));
    worker.on('exit', () => {
      addCounters(this.retired, slot.counters);
      slot.counters = {};
      this.failAll(calls, 'evaluation thread exited');
      // A thread that died on its own (not recycled, not closed) is replaced.
      if (!this.closed && this.slots[index]?.worker === worker) this.slots[index] = this.spawn(index);
    });
    return slot;
  }

  private check(): void {
    const now = Date.now();
    this.slots.forEach((slot, index) => {
      if (slot.calls.size > 0 && now - slot.seen > this.timeoutMs) this.recycle(index);
    });
  }

  private recycle(index: number): void {
    const slot = this.slots[index];
    const stuckKey = Atomics.load(slot.busy, 0);
    // Posted after the last heartbeat that could have preceded the stall: never started.
    const silentSince = slot.seen + HEARTBEAT_MS;
    const runaway = (call: Call) =>
      (stuckKey === 0 || busyKey(call.request.processId) === stuckKey) && (call.request.type === 'evaluate' || call.sentAt <= silentSince);
    const stopped = new Set<string>();
    if (!this.closed) {
      this.slots[index] = this.spawn(index);
      for (const [id, call] of slot.calls) {
        if (call.request.type === 'evaluate-many') {
          slot.calls.delete(id);
          this.cutFromBatch(index, call, stuckKey, stopped);
          continue;
        }
        if (call.replayed || runaway(call)) continue;
        slot.calls.delete(id);
        call.replayed = true;
        void this.post(index, call);
      }
    }
    const stuck = [...new Set([...slot.calls.values()].map((c) => `${LABEL[c.request.type]} ${c.request.processId}`))].join(', ');
    const reason = `evaluation thread stuck for over ${this.timeoutMs} ms (wall-clock backstop) while ${stuck}; it was restarted`;
    for (const [id, call] of slot.calls) {
      slot.calls.delete(id);
      const { processId, type } = call.request;
      if (stuckKey !== 0 && type === 'evaluate' && busyKey(processId) === stuckKey && !stopped.has(processId)) {
        const strikes = (this.strikes.get(processId) ?? 0) + 1;
        this.strikes.set(processId, strikes);
        if (strikes >= RUNAWAY_STRIKES && !this.closed) {
          stopped.add(processId);
          this.strikes.delete(processId);
          const why = `its next message ran past the wall-clock backstop (${this.timeoutMs} ms) ${strikes} times`;
          // recorded by the replacement thread; the job fails for good with the same reason
          void this.call({ type: 'stop', processId, reason: why }).catch(() => undefined);
          call.reject(new AoError('EVALUATION_STOPPED', why, { processId }, 'permanent'));
          continue;
        }
      }
      call.reject(new AoError('EVALUATION_TIMEOUT', reason, { processId, call: type }, 'transient'));
    }
    void slot.worker.terminate();
  }

  /**
   * A batch call on a thread the backstop cut: the runaway process (the one the thread was running)
   * is answered like a runaway `evaluate` (EVALUATION_TIMEOUT, or stopped past RUNAWAY_STRIKES),
   * and the rest of the batch is replayed once on the replacement thread. Without a mark, or for a
   * batch already replayed once, every process of it gets EVALUATION_TIMEOUT.
   */
  private cutFromBatch(index: number, call: Call, stuckKey: number, stopped: Set<string>): void {
    const request = call.request as Extract<ThreadCall, { type: 'evaluate-many' }>;
    const stuck = stuckKey === 0 ? undefined : request.processIds.find((id) => busyKey(id) === stuckKey);
    const reason = `evaluation thread stuck for over ${this.timeoutMs} ms (wall-clock backstop) while evaluating ${stuck ?? 'a batch'} (in a batch of ${request.processIds.length}); it was restarted`;
    const timeout = (processId: string): ThreadOutcome => ({ processId, ok: false, error: { message: reason, code: 'EVALUATION_TIMEOUT', kind: 'transient', details: { processId } } });
    if (stuck === undefined) {
      if (stuckKey === 0 || call.replayed) {
        call.resolve(request.processIds.map(timeout));
        return;
      }
      // A bystander batch (the thread was stuck in another call): replayed as a whole.
      call.replayed = true;
      void this.post(index, call);
      return;
    }
    if (call.replayed) {
      call.resolve(request.processIds.map(timeout));
      return;
    }
    let own: ThreadOutcome = timeout(stuck);
    const strikes = (this.strikes.get(stuck) ?? 0) + 1;
    this.strikes.set(stuck, strikes);
    if (strikes >= RUNAWAY_STRIKES && !stopped.has(stuck)) {
      stopped.add(stuck);
      this.strikes.delete(stuck);
      const why = `its next message ran past the wall-clock backstop (${this.timeoutMs} ms) ${strikes} times`;
      void this.call({ type: 'stop', processId: stuck, reason: why }).catch(() => undefined);
      own = { processId: stuck, ok: false, error: { message: why, code: 'EVALUATION_STOPPED', kind: 'permanent', details: { processId: stuck } } };
    }
    const rest = request.processIds.filter((id) => id !== stuck);
    if (rest.length === 0) {
      call.resolve([own]);
      return;
    }
    const replay: Call = {
      request: { type: 'evaluate-many', processId: rest[0], processIds: rest },
      resolve: (value) => call.resolve([own, ...(value as ThreadOutcome[])]),
      reject: (error) => call.resolve([own, ...rest.map((processId): ThreadOutcome => ({ processId, ok: false, error: asThreadError(error) }))]),
      sentAt: 0,
      replayed: true,
    };
    void this.post(index, replay);
  }

  private failAll(calls: Map<number, Call>, reason: string): void {
    for (const [id, call] of calls) {
      calls.delete(id);
      call.reject(new AoError('EVALUATION_TIMEOUT', reason, { processId: call.request.processId, call: call.request.type }, 'transient'));
    }
  }
}
