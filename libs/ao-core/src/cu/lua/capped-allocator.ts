import { wasmApi, type WasmCompiled, type WasmGlobal } from '../wasm/wasm-api.js';
import type { LuaExports } from './wasm-instance.js';

/**
 * Lua's allocator (`lua_Alloc`) with the process's memory cap, as a tiny WebAssembly module linked
 * to the Lua instance's `realloc` and `free`. Lua allocates a few hundred times per message; a
 * JavaScript allocator cost a WebAssembly->JS->WebAssembly round trip each time, this one is a
 * plain call between two WebAssembly instances. The count and the cap are the module's globals,
 * read and set from JS (bytes, as f64: exact to 2^53, and the cap may be Infinity).
 *
 * Semantics (those of the JS allocator it replaces): nsize 0 frees (ptr 0: nothing to free);
 * for a new block ptr is 0 and osize is a type tag, so the growth is nsize; a growth that would
 * take the count past the cap is refused (0, "not enough memory" in Lua); the count changes
 * only when realloc succeeds.
 *
 * Churn: `churn` adds up every growth (bytes newly allocated, frees not subtracted) so the VM can
 * charge gas for C-level work that allocates as it goes (concatenation, string.rep, format,
 * gsub's output, table growth, the collector's steps); a growth past `churnMax` is refused like
 * one past the cap, and sets `starved` so the VM reports it as out of gas, not out of memory.
 */
export const CAPPED_ALLOCATOR_WAT = `(module
  (import "lua" "realloc" (func $realloc (param i32 i32) (result i32)))
  (import "lua" "free" (func $free (param i32)))
  (global $used (export "used") (mut f64) (f64.const 0))
  (global $max (export "max") (mut f64) (f64.const inf))
  (global $churn (export "churn") (mut f64) (f64.const 0))
  (global $churnMax (export "churnMax") (mut f64) (f64.const inf))
  (global $starved (export "starved") (mut i32) (i32.const 0))
  (func (export "alloc") (param $ud i32) (param $ptr i32) (param $osize i32) (param $nsize i32) (result i32)
    (local $delta f64)
    (local $p i32)
    (if (i32.eqz (local.get $nsize))
      (then
        (if (local.get $ptr)
          (then
            (global.set $used (f64.sub (global.get $used) (f64.convert_i32_u (local.get $osize))))
            (call $free (local.get $ptr))))
        (return (i32.const 0))))
    (local.set $delta
      (if (result f64) (local.get $ptr)
        (then (f64.sub (f64.convert_i32_u (local.get $nsize)) (f64.convert_i32_u (local.get $osize))))
        (else (f64.convert_i32_u (local.get $nsize)))))
    (if (f64.gt (local.get $delta) (f64.const 0))
      (then
        (if (f64.gt (f64.add (global.get $used) (local.get $delta)) (global.get $max))
          (then (return (i32.const 0))))
        (if (f64.gt (f64.add (global.get $churn) (local.get $delta)) (global.get $churnMax))
          (then
            (global.set $starved (i32.const 1))
            (return (i32.const 0))))))
    (local.set $p (call $realloc (local.get $ptr) (local.get $nsize)))
    (if (local.get $p)
      (then
        (global.set $used (f64.add (global.get $used) (local.get $delta)))
        (if (f64.gt (local.get $delta) (f64.const 0))
          (then (global.set $churn (f64.add (global.get $churn) (local.get $delta)))))))
    (local.get $p)))
`;

/** CAPPED_ALLOCATOR_WAT compiled by wabt (capped-allocator.spec.ts checks the two agree). */
export const CAPPED_ALLOCATOR_WASM = Buffer.from(
  'AGFzbQEAAAABEwNgAn9/AX9gAX8AYAR/f39/AX8CGgIDbHVhB3JlYWxsb2MAAANsdWEEZnJlZQABAwIBAgY2BXwBRAAAAAAAAAAAC3wBRAAAAAAAAPB/C3wBRAAAAAAAAAAAC3wBRAAAAAAAAPB/C38BQQALBzMGBHVzZWQDAANtYXgDAQVjaHVybgMCCGNodXJuTWF4AwMHc3RhcnZlZAMEBWFsbG9jAAIKkAEBjQECAXwBfyADRQRAIAEEQCMAIAK4oSQAIAEQAQtBAA8LIAEEfCADuCACuKEFIAO4CyEEIAREAAAAAAAAAABkBEAjACAEoCMBZARAQQAPCyMCIASgIwNkBEBBASQEQQAPCwsgASADEAAhBSAFBEAjACAEoCQAIAREAAAAAAAAAABkBEAjAiAEoCQCCwsgBQs=',
  'base64',
);

export interface CappedAllocator {
  /** The `lua_Alloc` function, to put in the instance's function table. */
  alloc: (ud: number, ptr: number, osize: number, nsize: number) => number;
  /** Bytes Lua has allocated. */
  used: WasmGlobal;
  /** The cap on `used`. */
  max: WasmGlobal;
  /** Bytes allocated since it was last reset (growths only). */
  churn: WasmGlobal;
  /** The cap on `churn`. */
  churnMax: WasmGlobal;
  /** 1 once a growth was refused for `churnMax`. */
  starved: WasmGlobal;
}

let compiled: WasmCompiled | undefined;

/** A new allocator for one Lua instance, its count at 0 and its cap at Infinity. */
export function cappedAllocator(lua: LuaExports): CappedAllocator {
  compiled ??= new wasmApi.Module(CAPPED_ALLOCATOR_WASM);
  const { exports } = new wasmApi.Instance(compiled, { lua: { realloc: lua.realloc, free: lua.free } });
  return exports as unknown as CappedAllocator;
}
