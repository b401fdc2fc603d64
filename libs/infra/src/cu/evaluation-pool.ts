import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AoError, type AoErrorCode, type AoErrorKind, type EvaluationReport } from '@ao/core';
import type { Env } from '../env/env.schema.js';

export type ThreadRequest = { type: 'evaluate'; id: number; processId: string } | { type: 'close' };
export type ThreadReply =
  | { id: number; ok: true; report: EvaluationReport }
  | { id: number; ok: false; error: { message: string; code?: AoErrorCode; kind?: AoErrorKind; details?: Record<string, unknown> } };

/** What the evaluate stage needs of a Compute Unit; met by ComputeUnit itself and by the pool. */
export interface Evaluator {
  evaluate(processId: string): Promise<EvaluationReport>;
  close(): void | Promise<void>;
}

interface Call {
  resolve: (report: EvaluationReport) => void;
  reject: (error: Error) => void;
  processId: string;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  calls: Map<number, Call>;
  /** When the thread last showed life (any message; it sends one every HEARTBEAT_MS while idle or awaiting). */
  seen: number;
}

/** How often a thread says it is alive; a thread stuck in one synchronous call cannot. */
export const HEARTBEAT_MS = 200;

/** The thread script: the built file next to this one (tests run this module from source). */
function threadScript(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? here.replace(/\/src\/cu\/evaluation-pool\.ts$/, '/dist/cu/evaluation-thread.js') : here.replace(/evaluation-pool\.js$/, 'evaluation-thread.js');
}

/**
 * Evaluates processes on a pool of worker threads, each with a Compute Unit of its own; a process
 * always goes to the same thread (its live state stays warm there). The wall-clock backstop: gas
 * bounds what the Lua VM executes, but not a single C call that never returns (a pathological
 * string pattern). Each thread sends a heartbeat every HEARTBEAT_MS from its event loop; a thread
 * that holds calls and has been silent for `timeoutMs` is stuck inside one message, so it is
 * terminated and replaced, the calls it held fail with a transient EVALUATION_TIMEOUT (jobs are
 * retried; nothing of the runaway message was committed, commits are per batch and atomic), and
 * processes on the other threads never noticed. Long evaluations that keep yielding are not cut.
 */
export class EvaluationPool implements Evaluator {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    private readonly env: Env,
    private readonly size: number,
    private readonly timeoutMs: number,
  ) {
    for (let i = 0; i < size; i += 1) this.slots.push(this.spawn(i));
    this.watchdog = setInterval(() => this.check(), Math.min(1_000, Math.max(50, timeoutMs / 4)));
    this.watchdog.unref();
  }

  async evaluate(processId: string): Promise<EvaluationReport> {
    if (this.closed) throw new AoError('INTERNAL', 'the evaluation pool is closed', {}, 'transient');
    const index = createHash('sha256').update(processId).digest().readUInt32BE(0) % this.size;
    const slot = this.slots[index];
    await slot.ready;
    const id = (this.nextId += 1);
    return new Promise<EvaluationReport>((resolve, reject) => {
      if (slot.calls.size === 0) slot.seen = Date.now();
      slot.calls.set(id, { resolve, reject, processId });
      slot.worker.postMessage({ type: 'evaluate', id, processId } satisfies ThreadRequest);
    });
  }

  /** Lets running evaluations finish (at most `graceMs`, by default the backstop up to 10 s), then stops the threads. */
  async close(graceMs = Math.min(this.timeoutMs, 10_000)): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && this.slots.some((slot) => slot.calls.size > 0)) await new Promise((r) => setTimeout(r, 20));
    for (const slot of this.slots) {
      // Whatever is still running is answered (and its job retried later), never left hanging.
      this.failAll(slot.calls, 'the evaluation pool closed before this evaluation finished');
      slot.worker.postMessage({ type: 'close' } satisfies ThreadRequest);
      // A thread stuck in a call cannot close itself.
      setTimeout(() => void slot.worker.terminate(), 2_000).unref();
    }
  }

  private spawn(index: number): Slot {
    const worker = new Worker(threadScript(), { workerData: this.env });
    const calls = new Map<number, Call>();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    ready.catch(() => undefined);
    const slot: Slot = { worker, ready, calls, seen: Date.now() };
    worker.on('message', (reply: ThreadReply | { alive: true } | { ready: true }) => {
      slot.seen = Date.now();
      if (!('id' in reply)) return;
      const call = calls.get(reply.id);
      if (!call) return;
      calls.delete(reply.id);
      if (reply.ok) call.resolve(reply.report);
      else call.reject(new AoError(reply.error.code ?? 'INTERNAL', reply.error.message, reply.error.details, reply.error.kind ?? 'transient'));
    });
    worker.on('error', (error) => this.failAll(calls, `evaluation thread crashed: ${error.message}`));
    worker.on('exit', () => {
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
    const stuck = [...new Set([...slot.calls.values()].map((c) => c.processId))].join(', ');
    this.failAll(slot.calls, `evaluation thread stuck for over ${this.timeoutMs} ms (wall-clock backstop) while evaluating ${stuck}; it was restarted`);
    if (!this.closed) this.slots[index] = this.spawn(index);
    void slot.worker.terminate();
  }

  private failAll(calls: Map<number, Call>, reason: string): void {
    for (const [id, call] of calls) {
      calls.delete(id);
      call.reject(new AoError('EVALUATION_TIMEOUT', reason, { processId: call.processId }, 'transient'));
    }
  }
}
