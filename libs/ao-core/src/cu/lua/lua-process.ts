import { createHash } from 'node:crypto';
import { AoError } from '../../errors.js';
import type { EvalResult } from '../../types.js';
import { errorResult, parseEvalResult } from '../eval-result.js';
import type { AoMessage, EvalLimits, ModuleDef, ProcessEnv, ProcessInstance } from '../evaluator.js';
import { ProcessHost, type HostExtensions } from '../host/process-host.js';
import type { ReadSet } from '../host/item-reads.js';
import { readFlatResult } from './flat-result.js';
import { LuaVm, VmTrap, type CallArg, type CallOutcome, type HeapImage } from './lua-vm.js';
import { decodeVmImage, encodeVmImage } from './vm-image.js';

/** Tuning of the Lua evaluator; the defaults suit a CU worker. */
export interface LuaEvaluatorOptions {
  /** VM instructions between two gas checks (GasUsed inside coroutines has this granularity). */
  hookPeriod?: number;
  /** Take a restore point once the evaluation time since the last one is this many times its copy time. */
  snapshotRatio?: number;
  /** ... but not more often than every this many ms of evaluation. */
  minSnapshotIntervalMs?: number;
  /** Take a restore point at the latest after this many messages / bytes of replay log. */
  maxReplayMessages?: number;
  maxReplayBytes?: number;
  /** Instruction budget for loading the module. */
  loadGas?: number;
  /** Arweave reads and WebAssembly libraries for `ao.read` / `ao.wasm` (none by default). */
  host?: HostExtensions;
  /**
   * Benchmarks only: evaluate without gas metering (no count hook, no allocation cap, the C
   * string and table functions instead of their metered wrappers), to measure what metering
   * costs. Nothing bounds such a process: no unit sets it, and no env variable reaches it.
   */
  unmetered?: boolean;
}

const DEFAULTS: Required<Omit<LuaEvaluatorOptions, 'host' | 'unmetered'>> = {
  hookPeriod: 1000,
  snapshotRatio: 50,
  minSnapshotIntervalMs: 2,
  maxReplayMessages: 100_000,
  maxReplayBytes: 64 * 1024 * 1024,
  loadGas: 100_000_000,
};

/**
 * The host's part of the sandbox, run before any module code: whatever the module does, `load`
 * only accepts text (Lua bytecode can corrupt the VM's memory) and `print` does not reach the
 * host's stdout. The aos runtime installs the rest of the sandbox itself.
 */
const HOST_PRELUDE = `
local rawload, select = load, select
load = function(chunk, chunkname, _mode, ...)
  if select("#", ...) > 0 then return rawload(chunk, chunkname, "t", (...)) end
  return rawload(chunk, chunkname, "t")
end
print = function() end
`;

// Unmetered (benchmarks): the C functions metered.lua wraps, kept before the module loads and put
// back after (the runtime's own metered pattern matching in handlers.lua stays).
const UNMETERED_SAVE = `
local s, t = string, table
aoUnmeteredRaw = { s.find, s.match, s.gmatch, s.gsub, s.rep, t.insert, t.remove, t.move, t.sort, utf8.len, collectgarbage }
`;
const UNMETERED_RESTORE = `
local r, s, t = aoUnmeteredRaw, string, table
s.find, s.match, s.gmatch, s.gsub, s.rep = r[1], r[2], r[3], r[4], r[5]
t.insert, t.remove, t.move, t.sort, utf8.len, collectgarbage = r[6], r[7], r[8], r[9], r[10], r[11]
aoUnmeteredRaw = nil
`;

/** What an unhashable state's hash is taken of (followed by `out-of-gas`, `out-of-memory` or `error`). */
export const UNHASHABLE_STATE = 'ao-state-unhashable;';

/**
 * Bounds of the state serialization: linear in the state (see lua/digest.lua), whose size the
 * memory cap bounds, hence 2 instructions and 2 bytes per byte of the cap (plus 16 MiB).
 */
export function stateHashBounds(limits: EvalLimits): { gas: number; memoryBytes: number } {
  return { gas: Math.max(10_000_000, 2 * limits.memoryBytes), memoryBytes: 2 * limits.memoryBytes + 16 * 1024 * 1024 };
}

const MODULE_FIELDS = ['handle', 'canonicalState'] as const;
/** Runtimes that have it are called through `step` (the flat result), the others through `handle` (JSON). */
const OPTIONAL_FIELDS = ['step'] as const;

/** Counters of one live process, for metrics and tests. */
export interface LuaProcessStats {
  linearMemoryBytes: number;
  luaMemoryBytes: number;
  restorePointBytes: number;
  replayLogMessages: number;
  snapshots: number;
  rollbacks: number;
  lastSnapshotMs: number;
  lastRollbackMs: number;
  traps: number;
}

interface LogEntry {
  msg: AoMessage;
  gas: number;
  /** The items the message could read (replays must see the same). */
  reads: ReadSet;
}

const NO_READS: ReadSet = new Map();

/**
 * A process evaluated by the aos Lua runtime in its own VM.
 *
 * Rollback: a message that errors must leave the state as it was. Copying the heap before every
 * message would cost more than the message, and errors are rare, so the process keeps a restore
 * point (a heap image) and the log of messages evaluated since; on error it restores the image
 * and evaluates the log again (evaluation is deterministic: the same state results, byte for
 * byte). A new restore point is taken when the evaluation time since the last one reaches
 * `snapshotRatio` times the copy time, which bounds both the overhead (~1/ratio) and the
 * replay on error. Dry-runs and stateHash run on top of a fresh restore point and restore it.
 * Replays are checked: a replayed message must use exactly the gas it used the first time.
 *
 * A VM trap (the WebAssembly instance failing, not the Lua code) fails that message only: a new
 * VM is created by the same sequence (same addresses), the restore point copied in, the log
 * replayed. Calls are serialized; the common path is synchronous.
 */
export class LuaProcess implements ProcessInstance {
  private restorePoint: HeapImage;
  private log: LogEntry[] = [];
  private logBytes = 0;
  private sinceSnapshotMs = 0;
  private snapshotMs = 0;
  private closed = false;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly counters = { snapshots: 0, rollbacks: 0, lastRollbackMs: 0, traps: 0 };

  private readonly envArg: CallArg;

  private constructor(
    private vm: LuaVm,
    /** Registry refs: handle, canonicalState, the env JSON, and step when the runtime has it. */
    private readonly refs: number[],
    private readonly limits: EvalLimits,
    private readonly options: Required<Omit<LuaEvaluatorOptions, 'host' | 'unmetered'>> & { unmetered?: boolean },
    private readonly moduleDigest: string,
    private readonly host: ProcessHost,
  ) {
    this.envArg = { ref: refs[2] };
    this.restorePoint = this.takeRestorePoint();
  }

  /**
   * Loads the module into a new VM, or resumes a checkpoint of the same module. The env is part
   * of the process: a resumed process keeps the env it was created with.
   */
  static async create(
    mod: ModuleDef,
    env: ProcessEnv,
    limits: EvalLimits,
    options: LuaEvaluatorOptions = {},
    checkpoint?: Uint8Array,
  ): Promise<LuaProcess> {
    const opts = { ...DEFAULTS, ...options };
    const moduleDigest = createHash('sha256').update(mod.source).digest('hex');
    const host = await ProcessHost.create(env, limits, options.host ?? {});
    const vm = await LuaVm.create({ hookPeriod: opts.hookPeriod, unmetered: opts.unmetered });
    try {
      vm.setMemoryMax(limits.memoryBytes);
      let refs: number[];
      if (checkpoint) {
        refs = resume(vm, checkpoint, moduleDigest);
      } else {
        vm.runChunk(HOST_PRELUDE, 'host', opts.loadGas);
        if (opts.unmetered) vm.runChunk(UNMETERED_SAVE, 'host', opts.loadGas);
        const [handle, canonicalState, step] = vm.loadModule(mod.source, MODULE_FIELDS, opts.loadGas, OPTIONAL_FIELDS);
        if (opts.unmetered) vm.runChunk(UNMETERED_RESTORE, 'host', opts.loadGas);
        refs = [handle, canonicalState, vm.ref(JSON.stringify(env)), ...(step >= 0 ? [step] : [])];
      }
      return new LuaProcess(vm, refs, limits, opts, moduleDigest, host);
    } catch (err) {
      vm.close();
      if (err instanceof AoError) throw err;
      throw new AoError('MODULE_LOAD_FAILED', `cannot load module ${mod.id}: ${err instanceof Error ? err.message : String(err)}`, {
        module: mod.id,
      });
    }
  }

  evaluate(msg: AoMessage): Promise<EvalResult> {
    return this.serialized(() => this.evaluateStep(msg));
  }

  dryRun(msg: AoMessage): Promise<EvalResult> {
    const run = (reads: ReadSet) => this.isolatedCall(() => this.handleMessage(msg, reads), toResult);
    return this.serialized(() => (this.host.readsOf(msg) ? this.host.resolve(msg).then(run) : run(NO_READS)));
  }

  /**
   * SHA-256 of the runtime's canonical serialization of the state. The serialization runs under
   * bounds derived from the process's memory cap (so every unit reaches the same outcome): a state
   * it cannot serialize within them hashes to a fixed sentinel naming why (see docs/limits.md).
   */
  stateHash(): Promise<string> {
    const { gas, memoryBytes } = stateHashBounds(this.limits);
    return this.serialized(() =>
      // the serialization may need more memory than the process may use; it is thrown away
      this.isolatedCall(() => this.vm.call(this.refs[1], [], gas), (outcome) =>
        createHash('sha256').update(outcome.status === 'ok' ? outcome.value : `${UNHASHABLE_STATE}${outcome.status === 'error' ? 'error' : outcome.status}`).digest('hex'),
      memoryBytes),
    );
  }

  checkpoint(): Promise<Uint8Array> {
    return this.serialized(() => {
      this.assertOpen();
      if (this.log.length > 0) this.takeRestorePoint();
      return encodeVmImage({ layout: this.vm.layout, moduleDigest: this.moduleDigest, refs: this.refs, heap: this.restorePoint });
    });
  }

  /** Memory and rollback counters. */
  stats(): LuaProcessStats {
    return {
      linearMemoryBytes: this.vm.linearMemoryBytes,
      luaMemoryBytes: this.vm.memoryUsed,
      restorePointBytes: this.restorePoint.bytes.length,
      replayLogMessages: this.log.length,
      snapshots: this.counters.snapshots,
      rollbacks: this.counters.rollbacks,
      lastSnapshotMs: this.snapshotMs,
      lastRollbackMs: this.counters.lastRollbackMs,
      traps: this.counters.traps,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vm.close();
    this.log = [];
  }

  // internals ----------------------------------------------------------------------------------

  /**
   * Runs calls one at a time, in call order: a rollback must not interleave with another message.
   * A step is synchronous (the common case, run at once when nothing is queued) or, after a VM
   * trap, a promise; later calls wait for it.
   */
  private serialized<T>(step: () => T | Promise<T>): Promise<T> {
    if (this.pending === 0) {
      let out: T | Promise<T>;
      try {
        out = step();
      } catch (err) {
        return Promise.reject(err);
      }
      return out instanceof Promise ? this.track(out) : Promise.resolve(out);
    }
    return this.track(this.tail.then(step));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending++;
    const done = (): void => {
      this.pending--;
    };
    this.tail = p.then(done, done);
    return p;
  }

  private assertOpen(): void {
    if (this.closed) throw new AoError('INTERNAL', 'the process instance is closed');
  }

  /** Resolves the message's reads first when it names items (the only asynchronous part of a step). */
  private evaluateStep(msg: AoMessage): EvalResult | Promise<EvalResult> {
    this.assertOpen();
    if (this.host.readsOf(msg)) return this.host.resolve(msg).then((reads) => this.evaluateWith(msg, reads));
    return this.evaluateWith(msg, NO_READS);
  }

  private evaluateWith(msg: AoMessage, reads: ReadSet): EvalResult | Promise<EvalResult> {
    this.assertOpen();
    const started = performance.now();
    let outcome: CallOutcome<EvalResult>;
    try {
      outcome = this.handleMessage(msg, reads);
    } catch (err) {
      return this.afterTrap(err, () => errorResult('the evaluator failed on this message; the state was restored', 0));
    }
    const result = toResult(outcome);
    if (result.Error !== undefined) {
      this.rollback();
      return result;
    }
    this.log.push({ msg, gas: outcome.gasUsed, reads });
    this.logBytes += msg.Data.length + 1024;
    for (const r of reads.values()) if (r.ok) this.logBytes += r.item.data.length;
    this.sinceSnapshotMs += performance.now() - started;
    if (this.snapshotDue()) this.takeRestorePoint();
    return result;
  }

  /**
   * The module's result for one message: through `step` when the runtime has it (the values read
   * off the VM's stack), else through `handle` (JSON text).
   */
  private handleMessage(msg: AoMessage, reads: ReadSet): CallOutcome<EvalResult> {
    this.vm.setHost(this.host.bind(reads));
    const args: CallArg[] = [{ json: msg }, this.envArg];
    try {
      const step = this.refs[3];
      if (step !== undefined) {
        return this.vm.callReading(step, args, this.limits.gas, (stack, count, gasUsed) =>
          readFlatResult(stack, count, gasUsed) ?? parseEvalResult(stack.string(1), gasUsed),
        );
      }
      const outcome = this.vm.call(this.refs[0], args, this.limits.gas);
      return outcome.status === 'ok' ? { ...outcome, value: parseEvalResult(outcome.value, outcome.gasUsed) } : outcome;
    } finally {
      this.vm.setHost(undefined);
    }
  }

  /** Makes a call on top of a restore point equal to the current state, then restores it. */
  private isolatedCall<C, T>(
    call: () => CallOutcome<C>,
    read: (outcome: CallOutcome<C>) => T,
    memoryBytes = this.limits.memoryBytes,
  ): T | Promise<T> {
    this.assertOpen();
    if (this.log.length > 0) this.takeRestorePoint();
    let outcome: CallOutcome<C>;
    this.vm.setMemoryMax(memoryBytes);
    try {
      outcome = call();
    } catch (err) {
      // rebuilding restores the restore point, which is the state before this call
      return this.afterTrap(err, () => read({ status: 'error', value: 'the evaluator failed on this call', gasUsed: 0 }));
    } finally {
      this.vm.setMemoryMax(this.limits.memoryBytes);
    }
    this.vm.restore(this.restorePoint);
    return read(outcome);
  }

  /** On a VM trap: rebuilds the VM at the last good state, then answers with `fallback`. */
  private async afterTrap<T>(err: unknown, fallback: () => T): Promise<T> {
    if (!(err instanceof VmTrap)) throw err;
    this.counters.traps++;
    await this.rebuild();
    return fallback();
  }

  private snapshotDue(): boolean {
    const o = this.options;
    return (
      this.sinceSnapshotMs >= Math.max(o.minSnapshotIntervalMs, o.snapshotRatio * this.snapshotMs) ||
      this.log.length >= o.maxReplayMessages ||
      this.logBytes >= o.maxReplayBytes
    );
  }

  private takeRestorePoint(): HeapImage {
    const started = performance.now();
    this.restorePoint = this.vm.snapshot(this.restorePoint);
    this.snapshotMs = performance.now() - started;
    this.counters.snapshots++;
    this.log = [];
    this.logBytes = 0;
    this.sinceSnapshotMs = 0;
    return this.restorePoint;
  }

  /** Puts the state back to before the failed message: restore point + replay of the log. */
  private rollback(): void {
    const started = performance.now();
    this.vm.restore(this.restorePoint);
    this.replayLog();
    this.counters.rollbacks++;
    this.counters.lastRollbackMs = performance.now() - started;
  }

  private replayLog(): void {
    if (this.log.length === 0) return;
    for (const entry of this.log) {
      const outcome = this.handleMessage(entry.msg, entry.reads);
      if (outcome.status !== 'ok' || outcome.gasUsed !== entry.gas) {
        this.close();
        throw new AoError('INTERNAL', 'replay diverged from the first evaluation: the evaluator is not deterministic');
      }
    }
    this.takeRestorePoint();
  }

  /** After a trap: a new VM (same creation sequence, same layout), the restore point, the log. */
  private async rebuild(): Promise<void> {
    const old = this.vm;
    this.vm = await LuaVm.create({ hookPeriod: this.options.hookPeriod, unmetered: this.options.unmetered });
    old.close();
    this.vm.setMemoryMax(this.limits.memoryBytes);
    this.vm.restore(this.restorePoint);
    this.replayLog();
  }
}

function toResult(outcome: CallOutcome<EvalResult>): EvalResult {
  switch (outcome.status) {
    case 'ok':
      return outcome.value;
    case 'out-of-gas':
      return errorResult('out of gas', outcome.gasUsed);
    case 'out-of-memory':
      return errorResult(`not enough memory: ${outcome.value}`, outcome.gasUsed);
    default:
      return errorResult(outcome.value, outcome.gasUsed);
  }
}

/** Restores a checkpoint into a fresh VM; fails when it was made by another module or binary. */
function resume(vm: LuaVm, checkpoint: Uint8Array, moduleDigest: string): number[] {
  const image = decodeVmImage(checkpoint);
  const layout = vm.layout;
  if (image.moduleDigest !== moduleDigest) {
    throw new AoError('INVALID_REQUEST', 'the checkpoint was made by another module');
  }
  if (
    image.layout.binary !== layout.binary ||
    image.layout.state !== layout.state ||
    image.layout.allocFn !== layout.allocFn ||
    image.layout.hookFn !== layout.hookFn ||
    image.layout.statics !== layout.statics
  ) {
    throw new AoError('INVALID_REQUEST', 'the checkpoint was made by another Lua VM build');
  }
  vm.restore(image.heap);
  return image.refs;
}
