import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LuaFactory } from 'wasmoon';

/**
 * A fresh wasmoon WebAssembly instance (Lua 5.4 compiled with emscripten), reached through its
 * raw exports. wasmoon's emscripten glue wraps every export in an assertion shim that costs more
 * than a small C call; the evaluator calls the exports directly (the allocator alone is called a
 * few hundred times per message), so the instance is captured while the glue instantiates it.
 */

/** The raw C exports the VM uses (see lua.h; `L` is a lua_State pointer). */
export interface LuaExports {
  memory: { buffer: ArrayBuffer };
  malloc(size: number): number;
  free(ptr: number): void;
  realloc(ptr: number, size: number): number;
  lua_newstate(alloc: number, ud: number): number;
  lua_close(L: number): void;
  luaopen_base(L: number): number;
  luaopen_table(L: number): number;
  luaopen_string(L: number): number;
  luaopen_math(L: number): number;
  luaopen_utf8(L: number): number;
  luaopen_coroutine(L: number): number;
  lua_setglobal(L: number, name: number): void;
  lua_sethook(L: number, fn: number, mask: number, count: number): void;
  luaL_loadbufferx(L: number, buf: number, size: number, name: number, mode: number): number;
  lua_pcallk(L: number, nargs: number, nresults: number, errfunc: number, ctx: number, k: number): number;
  lua_pushlstring(L: number, ptr: number, len: number): number;
  lua_pushstring(L: number, ptr: number): number;
  lua_pushinteger(L: number, n: bigint): void;
  lua_pushnumber(L: number, n: number): void;
  lua_pushboolean(L: number, b: number): void;
  lua_createtable(L: number, narr: number, nrec: number): void;
  lua_setfield(L: number, idx: number, key: number): void;
  lua_rawset(L: number, idx: number): void;
  lua_rawseti(L: number, idx: number, n: bigint): void;
  lua_tolstring(L: number, idx: number, lenPtr: number): number;
  lua_settop(L: number, idx: number): void;
  lua_gettop(L: number): number;
  lua_tonumberx(L: number, idx: number, isnum: number): number;
  lua_toboolean(L: number, idx: number): number;
  lua_type(L: number, idx: number): number;
  lua_rawgeti(L: number, idx: number, n: bigint): number;
  lua_rawget(L: number, idx: number): number;
  luaL_ref(L: number, t: number): number;
  lua_error(L: number): number;
  lua_pushcclosure(L: number, fn: number, n: number): void;
  lua_pushnil(L: number): void;
  lua_checkstack(L: number, n: number): number;
}

/** What the emscripten glue keeps in JS: the heap views (renewed when memory grows) and the function table. */
export interface EmscriptenGlue {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
  addFunction(fn: (...args: number[]) => number | void, signature: string): number;
  removeFunction(ptr: number): void;
}

export interface WasmLua {
  glue: EmscriptenGlue;
  lua: LuaExports;
}

// The WebAssembly JS API as far as it is used here (lib "dom" is not part of this project's types).
interface WasmInstance {
  exports: object;
}
type Instantiate = (source: unknown, imports?: unknown) => Promise<WasmInstance | { instance: WasmInstance }>;
const wasmApi = (globalThis as unknown as { WebAssembly: { instantiate: Instantiate } }).WebAssembly;

let queue: Promise<unknown> = Promise.resolve();

/**
 * Instantiates wasmoon's module and returns its glue and raw exports. Instantiations are
 * serialized: WebAssembly.instantiate is swapped for a spy for the duration of one.
 */
export function instantiateLua(): Promise<WasmLua> {
  const run = queue.then(captureInstance);
  queue = run.catch(() => undefined);
  return run;
}

async function captureInstance(): Promise<WasmLua> {
  const original = wasmApi.instantiate;
  let captured: WasmInstance | undefined;
  wasmApi.instantiate = async (source, imports) => {
    const result = await original(source, imports);
    captured = 'instance' in result ? result.instance : result;
    return result;
  };
  try {
    // emscripten copies its environment into the heap at start-up, `_` from the host's script path
    // and LANG from navigator: pinned, so the heap layout (and a checkpoint's validity) is the same in every process.
    const factory = new LuaFactory(undefined, { _: './this.program', LANG: 'C.UTF-8' });
    const glue = (await factory.getLuaModule()).module as unknown as EmscriptenGlue;
    if (!captured) throw new Error('the Lua WebAssembly instance was not captured');
    return { glue, lua: captured.exports as LuaExports };
  } finally {
    wasmApi.instantiate = original;
  }
}

let binaryDigest: string | undefined;

/** SHA-256 (hex) of wasmoon's glue.wasm: heap images are only valid for the binary that made them. */
export function wasmBinaryDigest(): string {
  if (binaryDigest === undefined) {
    const entry = createRequire(import.meta.url).resolve('wasmoon');
    binaryDigest = createHash('sha256').update(readFileSync(join(dirname(entry), 'glue.wasm'))).digest('hex');
  }
  return binaryDigest;
}

const SBRK_PROBE_BYTES = 1 << 16;
const STATIC_SCAN_WORDS = 1 << 16;

/**
 * Finds the address of emscripten's `sbrk` break in static memory: the word that grows past a
 * fresh 64 KiB allocation. Everything the program uses lies below the break, so heap images need
 * only that prefix of the linear memory. Undefined (images then copy all memory) when not found.
 */
export function findSbrkAddress({ glue, lua }: WasmLua): number | undefined {
  const words = Math.min(STATIC_SCAN_WORDS, glue.HEAPU32.length);
  const before = glue.HEAPU32.slice(0, words);
  const probe = lua.malloc(SBRK_PROBE_BYTES);
  if (!probe) return undefined;
  const after = glue.HEAPU32;
  const limit = glue.HEAPU8.length;
  let best: number | undefined;
  let bestValue = 0;
  for (let i = 0; i < words; i++) {
    const v = after[i];
    if (v - before[i] >= SBRK_PROBE_BYTES && v >= probe + SBRK_PROBE_BYTES && v <= limit && v > bestValue) {
      best = i * 4;
      bestValue = v;
    }
  }
  lua.free(probe);
  if (best === undefined) return undefined;
  const now = glue.HEAPU32[best >> 2];
  return now >= probe && now <= glue.HEAPU8.length ? best : undefined;
}
