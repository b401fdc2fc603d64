import { AoError } from '../../errors.js';
import type { EvalResult } from '../../types.js';
import { errorResult, parseEvalResult } from '../eval-result.js';
import type { AoMessage, EvalLimits, ProcessEnv, ProcessInstance } from '../evaluator.js';
import { wasmApi, type WasmGlobal, type WasmInstance, type WasmMemory } from './wasm-api.js';
import { DEPTH_EXPORT, FUEL_EXPORT, type InstrumentedModule } from './instrument.js';
import { decodeCheckpoint, encodeCheckpoint, hashState, type WasmState } from './wasm-state.js';

/** Tuning of the WASM evaluator; the defaults suit a CU worker. */
export interface WasmEvaluatorOptions {
  /** Deepest wasm call nesting (deterministic; V8's own stack limit is not). */
  maxCallDepth?: number;
  /** Take a restore point once the evaluation time since the last one is this many times its copy time. */
  snapshotRatio?: number;
  /** ... but not more often than every this many ms of evaluation. */
  minSnapshotIntervalMs?: number;
  /** Take a restore point at the latest after this many messages. */
  maxReplayMessages?: number;
}

export const WASM_DEFAULTS: Required<WasmEvaluatorOptions> = {
  maxCallDepth: 1000,
  snapshotRatio: 50,
  minSnapshotIntervalMs: 2,
  maxReplayMessages: 10_000,
};

const PAGE = 65536;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
// The JSON ABI carries text only: Data that is not UTF-8 reaches a WASM module decoded as text
// (invalid bytes as U+FFFD), as the reference CU's JSON messages do.
const lossyUtf8 = new TextDecoder();

/** Thrown by the `env.abort` import: the module gave up on the message. */
class ModuleAbort extends Error {}

/** The module broke the ABI (e.g. an allocation outside its memory). */
class AbiError extends Error {}

interface Live {
  instance: WasmInstance;
  memory: WasmMemory;
  alloc: (len: number) => number;
  handle: (msg: number, msgLen: number, env: number, envLen: number) => number;
  fuel: WasmGlobal;
  depth: WasmGlobal;
  globals: WasmGlobal[];
}

type Outcome = { ok: true; text: string; gasUsed: number } | { ok: false; error: string; gasUsed: number };

/**
 * A process evaluated by a `wasm32-ao-json-1` module (see wasm-format.ts) in its own instance.
 *
 * Rollback: a message that errors leaves memory and mutable globals as they were. As in the Lua
 * evaluator, the process keeps a restore point (a copy of the state) and the log of messages
 * evaluated since; on error it restores the copy and evaluates the log again (evaluation is
 * deterministic; each replayed message must use the gas it used the first time). Restore points
 * are taken when the evaluation time since the last one reaches `snapshotRatio` times the copy
 * time. Memory cannot shrink: restoring a smaller memory instantiates the module anew first.
 */
export class WasmProcess implements ProcessInstance {
  private live: Live;
  private restorePoint: WasmState;
  private log: { msg: AoMessage; gas: number }[] = [];
  private sinceSnapshotMs = 0;
  private snapshotMs = 0;
  private closed = false;
  private readonly envBytes: Uint8Array;
  private readonly types: InstrumentedModule['globals'][number]['type'][];

  private constructor(
    private readonly mod: InstrumentedModule,
    env: ProcessEnv,
    private readonly limits: EvalLimits,
    private readonly options: Required<WasmEvaluatorOptions>,
    private readonly moduleDigest: string,
  ) {
    this.envBytes = utf8.encode(JSON.stringify(env));
    this.types = mod.globals.map((g) => g.type);
    this.live = this.instantiate();
    this.restorePoint = this.capture();
  }

  /**
   * Instantiates the module (running its start function, if any, under the message gas budget),
   * or resumes a checkpoint of the same module. Fails with MODULE_LOAD_FAILED or INVALID_REQUEST.
   */
  static create(
    mod: InstrumentedModule,
    env: ProcessEnv,
    limits: EvalLimits,
    options: Required<WasmEvaluatorOptions>,
    moduleDigest: string,
    checkpoint?: Uint8Array,
  ): WasmProcess {
    const process = new WasmProcess(mod, env, limits, options, moduleDigest);
    if (checkpoint) {
      process.restore(decodeCheckpoint(checkpoint, moduleDigest, process.types));
      process.restorePoint = process.capture();
    }
    return process;
  }

  async evaluate(msg: AoMessage): Promise<EvalResult> {
    this.assertOpen();
    const started = performance.now();
    const result = this.toResult(this.run(msg));
    if (result.Error !== undefined) {
      this.rollback();
      return result;
    }
    this.log.push({ msg, gas: result.GasUsed });
    this.sinceSnapshotMs += performance.now() - started;
    if (this.snapshotDue()) this.takeRestorePoint();
    return result;
  }

  async dryRun(msg: AoMessage): Promise<EvalResult> {
    this.assertOpen();
    if (this.log.length > 0) this.takeRestorePoint();
    const result = this.toResult(this.run(msg));
    this.restore(this.restorePoint);
    return result;
  }

  async stateHash(): Promise<string> {
    this.assertOpen();
    return hashState(this.types, this.view());
  }

  async checkpoint(): Promise<Uint8Array> {
    this.assertOpen();
    return encodeCheckpoint(this.moduleDigest, this.types, this.view());
  }

  close(): void {
    this.closed = true;
    this.log = [];
  }

  // internals ----------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new AoError('INTERNAL', 'the process instance is closed');
  }

  private instantiate(): Live {
    const imports = {
      env: {
        abort: () => {
          throw new ModuleAbort('the module aborted');
        },
      },
    };
    let instance: WasmInstance;
    try {
      instance = new wasmApi.Instance(this.mod.module, imports);
    } catch (error) {
      const why = error instanceof ModuleAbort ? 'the start function aborted' : error instanceof Error ? error.message : String(error);
      throw new AoError('MODULE_LOAD_FAILED', `cannot instantiate the module: ${why}`);
    }
    const e = instance.exports;
    const live: Live = {
      instance,
      memory: e.memory as WasmMemory,
      alloc: e.alloc as Live['alloc'],
      handle: e.handle as Live['handle'],
      fuel: e[FUEL_EXPORT] as WasmGlobal,
      depth: e[DEPTH_EXPORT] as WasmGlobal,
      globals: this.mod.globals.map((g) => e[g.exportName] as WasmGlobal),
    };
    if ((live.fuel.value as bigint) < 0n) throw new AoError('MODULE_LOAD_FAILED', 'the start function ran out of fuel');
    return live;
  }

  /** The current state, as views (not copies). */
  private view(): WasmState {
    return { memory: new Uint8Array(this.live.memory.buffer), globals: this.live.globals.map((g) => g.value as number | bigint) };
  }

  /** A copy of the current state, reusing `into`'s buffer when the size matches. */
  private capture(into?: WasmState): WasmState {
    const current = this.view();
    const memory = into && into.memory.length === current.memory.length ? into.memory : new Uint8Array(current.memory.length);
    memory.set(current.memory);
    return { memory, globals: current.globals };
  }

  private restore(state: WasmState): void {
    if (this.live.memory.buffer.byteLength > state.memory.length) this.live = this.instantiate();
    const missing = (state.memory.length - this.live.memory.buffer.byteLength) / PAGE;
    if (missing > 0) {
      if (state.memory.length > this.mod.maxPages * PAGE) {
        throw new AoError('INVALID_REQUEST', `the checkpoint's memory (${state.memory.length} bytes) exceeds the process's memory limit`);
      }
      this.live.memory.grow(missing);
    }
    new Uint8Array(this.live.memory.buffer).set(state.memory);
    this.live.globals.forEach((g, i) => {
      g.value = state.globals[i];
    });
  }

  /** One call of the ABI: alloc + copy message, alloc + copy env, handle, read the result. */
  private run(msg: AoMessage): Outcome {
    const live = this.live;
    const budget = BigInt(this.limits.gas);
    live.fuel.value = budget;
    live.depth.value = 0;
    const gasUsed = (): number => Number(budget - (live.fuel.value as bigint));
    try {
      const msgBytes = utf8.encode(JSON.stringify(typeof msg.Data === 'string' ? msg : { ...msg, Data: lossyUtf8.decode(msg.Data) }));
      const msgPtr = this.write(msgBytes);
      const envPtr = this.write(this.envBytes);
      const resultPtr = live.handle(msgPtr, msgBytes.length, envPtr, this.envBytes.length) >>> 0;
      const memory = new Uint8Array(live.memory.buffer);
      if (resultPtr + 4 > memory.length) return { ok: false, error: 'the module returned a result address outside its memory', gasUsed: gasUsed() };
      const length = new DataView(live.memory.buffer).getUint32(resultPtr, true);
      if (resultPtr + 4 + length > memory.length) return { ok: false, error: 'the module returned a result longer than its memory', gasUsed: gasUsed() };
      let text: string;
      try {
        text = strictUtf8.decode(memory.subarray(resultPtr + 4, resultPtr + 4 + length));
      } catch {
        return { ok: false, error: 'the module returned a result that is not UTF-8', gasUsed: gasUsed() };
      }
      return { ok: true, text, gasUsed: gasUsed() };
    } catch (error) {
      return { ok: false, error: this.describe(error), gasUsed: Math.min(this.limits.gas, gasUsed()) };
    }
  }

  /** Copies bytes into memory the module allocated for them; answers the address. */
  private write(bytes: Uint8Array): number {
    const ptr = this.live.alloc(bytes.length) >>> 0;
    if (ptr + bytes.length > this.live.memory.buffer.byteLength) throw new AbiError('alloc returned an address outside the memory');
    new Uint8Array(this.live.memory.buffer, ptr, bytes.length).set(bytes);
    return ptr;
  }

  private describe(error: unknown): string {
    if ((this.live.fuel.value as bigint) < 0n) return 'out of fuel';
    if ((this.live.depth.value as number) > this.options.maxCallDepth) return `call depth exceeded (${this.options.maxCallDepth} frames)`;
    if (error instanceof ModuleAbort || error instanceof AbiError) return error.message;
    if (error instanceof wasmApi.RuntimeError) return `the module trapped: ${error.message}`;
    if (error instanceof RangeError) return 'the module exhausted the host stack';
    return `the module failed: ${error instanceof Error ? error.message : String(error)}`;
  }

  private toResult(outcome: Outcome): EvalResult {
    return outcome.ok ? parseEvalResult(outcome.text, outcome.gasUsed) : errorResult(outcome.error, outcome.gasUsed);
  }

  private snapshotDue(): boolean {
    const o = this.options;
    return this.sinceSnapshotMs >= Math.max(o.minSnapshotIntervalMs, o.snapshotRatio * this.snapshotMs) || this.log.length >= o.maxReplayMessages;
  }

  private takeRestorePoint(): void {
    const started = performance.now();
    this.restorePoint = this.capture(this.restorePoint);
    this.snapshotMs = performance.now() - started;
    this.log = [];
    this.sinceSnapshotMs = 0;
  }

  /** Puts the state back to before the failed message: restore point + replay of the log. */
  private rollback(): void {
    this.restore(this.restorePoint);
    if (this.log.length === 0) return;
    for (const entry of this.log) {
      const outcome = this.run(entry.msg);
      if (!outcome.ok || outcome.gasUsed !== entry.gas) {
        this.close();
        throw new AoError('INTERNAL', 'replay diverged from the first evaluation: the evaluator is not deterministic');
      }
    }
    this.takeRestorePoint();
  }
}
