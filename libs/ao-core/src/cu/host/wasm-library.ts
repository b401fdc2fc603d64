import { createHash } from 'node:crypto';
import { AoError } from '../../errors.js';
import { getTag } from '../../tags.js';
import type { ModuleDef } from '../evaluator.js';
import { DEPTH_EXPORT, FUEL_EXPORT, WasmModuleError, instrumentModule, type InstrumentedModule } from '../wasm/instrument.js';
import { wasmApi, type WasmGlobal, type WasmMemory } from '../wasm/wasm-api.js';

/** `Module-Format` of WebAssembly libraries a Lua process calls through `ao.wasm` (ABI below). */
export const WASM_LIBRARY_FORMAT = 'wasm32-ao-call-1';

/** Fuel the start function may use when an instance is made for a call (counted in the call's fuel). */
const START_FUEL = 10_000_000;
const PAGE = 65536;
const CALL_SIGNATURE = { params: '(param i32 i32 i32 i32)', results: '(result i32)' };

/** How a library call ended: the function's output bytes, or why not; `fuel` is what it used either way. */
export type LibraryOutcome = { ok: true; output: Uint8Array; fuel: number } | { ok: false; error: string; fuel: number; outOfFuel: boolean };

class Abort extends Error {}

/**
 * A `wasm32-ao-call-1` module: exports `memory`, `alloc(len) -> ptr` and functions
 * `fn(paramsPtr, paramsLen, dataPtr, dataLen) -> outPtr`, where the output is a little-endian u32
 * length followed by that many bytes. The only import allowed is `env.abort`. Every call runs in
 * a fresh instance (nothing carries over from one call to the next, so a call's result depends on
 * its inputs alone), metered with the CU's deterministic fuel instrumentation and capped in memory.
 */
export class WasmLibrary {
  private constructor(
    readonly id: string,
    readonly digest: string,
    private readonly mod: InstrumentedModule,
  ) {}

  /** Checks and instruments a library module; MODULE_LOAD_FAILED when it is not one. */
  static async load(def: ModuleDef, memoryBytes: number): Promise<WasmLibrary> {
    const fail = (why: string) => new AoError('MODULE_LOAD_FAILED', `library ${def.id}: ${why}`, { module: def.id });
    if (getTag(def.tags, 'Module-Format') !== WASM_LIBRARY_FORMAT) throw fail(`its Module-Format is not ${WASM_LIBRARY_FORMAT}`);
    try {
      // a copy: an item's data is often a view into its whole raw item, which wabt would not honour
      const mod = await instrumentModule(Uint8Array.from(def.source), {
        maxPages: Math.max(1, Math.floor(memoryBytes / PAGE)),
        maxCallDepth: 1000,
        startFuel: START_FUEL,
        requiredExports: [['alloc', '(param i32)', '(result i32)']],
      });
      return new WasmLibrary(def.id, createHash('sha256').update(def.source).digest('hex'), mod);
    } catch (error) {
      if (error instanceof WasmModuleError) throw fail(error.message);
      throw error;
    }
  }

  /** Whether `fn` is a function of the call ABI. */
  has(fn: string): boolean {
    const f = this.mod.functions.get(fn);
    return f !== undefined && f.params === CALL_SIGNATURE.params && f.results === CALL_SIGNATURE.results;
  }

  /** Runs `fn` on `params` and `data` with at most `fuel` fuel. */
  call(fn: string, params: Uint8Array, data: Uint8Array, fuel: number): LibraryOutcome {
    if (!this.has(fn)) return { ok: false, error: `the library has no function ${fn}(i32, i32, i32, i32) -> i32`, fuel: 0, outOfFuel: false };
    let fuelGlobal: WasmGlobal | undefined;
    // fuel used so far = used + (base - the global's value)
    let used = 0;
    let base = START_FUEL;
    const spent = () => Math.min(fuel, used + (fuelGlobal ? base - Number(fuelGlobal.value) : 0));
    try {
      const instance = new wasmApi.Instance(this.mod.module, {
        env: {
          abort: () => {
            throw new Abort('the library aborted');
          },
        },
      });
      const ex = instance.exports as Record<string, unknown>;
      fuelGlobal = ex[FUEL_EXPORT] as WasmGlobal;
      used = START_FUEL - Number(fuelGlobal.value);
      const remaining = fuel - used;
      if (remaining < 0) return { ok: false, error: 'out of fuel', fuel, outOfFuel: true };
      base = remaining;
      fuelGlobal.value = BigInt(remaining);
      (ex[DEPTH_EXPORT] as WasmGlobal).value = 0;
      const memory = ex.memory as WasmMemory;
      const alloc = ex.alloc as (n: number) => number;
      const run = ex[fn] as (a: number, b: number, c: number, d: number) => number;
      const put = (bytes: Uint8Array): number => {
        const at = alloc(bytes.length) >>> 0;
        if (at + bytes.length > memory.buffer.byteLength) throw new Abort('alloc answered an address outside memory');
        new Uint8Array(memory.buffer).set(bytes, at);
        return at;
      };
      const p = put(params);
      const d = put(data);
      const out = run(p, params.length, d, data.length) >>> 0;
      const heap = new Uint8Array(memory.buffer);
      if (out + 4 > heap.length) throw new Abort('the result address is outside memory');
      const len = new DataView(memory.buffer).getUint32(out, true);
      if (out + 4 + len > heap.length) throw new Abort('the result runs past the end of memory');
      return { ok: true, output: heap.slice(out + 4, out + 4 + len), fuel: spent() };
    } catch (error) {
      const total = spent();
      if (fuelGlobal && Number(fuelGlobal.value) < 0) return { ok: false, error: 'out of fuel', fuel, outOfFuel: true };
      if (error instanceof Abort) return { ok: false, error: error.message, fuel: total, outOfFuel: false };
      if (error instanceof wasmApi.RuntimeError) return { ok: false, error: `the library trapped: ${error.message}`, fuel: total, outOfFuel: false };
      if (error instanceof RangeError) return { ok: false, error: `the library failed: ${error.message}`, fuel: total, outOfFuel: false };
      throw error;
    }
  }
}
