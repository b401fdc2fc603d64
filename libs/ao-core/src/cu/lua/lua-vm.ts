import { cappedAllocator, type CappedAllocator } from './capped-allocator.js';
import type { LuaStack } from './flat-result.js';
import { withFrozenClock } from './frozen-clock.js';
import { JsonArgWriter, bigInt } from './json-arg.js';
import type { HostCall, HostFunction, HostValue } from './lua-host.js';
import { findSbrkAddress, instantiateLua, wasmBinaryDigest, type EmscriptenGlue, type LuaExports } from './wasm-instance.js';

/**
 * One Lua 5.4 state in its own WebAssembly instance, driven through the raw C API (no wasmoon
 * engine: no JS<->Lua value conversion, only strings cross the boundary).
 *
 * Why one instance per state: the state's whole heap is then the instance's linear memory, so a
 * copy of it is a complete, restorable image of the process (see `snapshot`/`restore`). A fresh
 * instance costs ~16 MiB of linear memory.
 *
 * Determinism: the instance is created and every call runs with the JS clocks frozen (see
 * frozen-clock.ts); the creation sequence is fixed, so two VMs put everything at the same
 * addresses and an image of one restores into another.
 *
 * Limits: every Lua allocation goes through an allocator that refuses to exceed the memory
 * cap ("not enough memory" in Lua; see capped-allocator.ts); a count hook every `hookPeriod` VM
 * instructions charges gas and, once the budget is spent, raises "out of gas" at every following
 * hook (period 1), so no Lua code, however it nests pcall or coroutines, can keep running.
 * C-level work the hook cannot see is charged too (docs/limits.md): every byte Lua allocates
 * costs 1/BYTES_PER_GAS gas (the allocator counts them, see capped-allocator.ts), and the runtime
 * pre-charges the work of string matching and table shifting through the `charge` host call.
 */

const LUA_REGISTRYINDEX = -1001000;
const LUA_MASKCOUNT = 8;
const LUA_MULTRET = -1;
const LUA_TNIL = 0;
const LUA_TNUMBER = 3;
const LUA_TSTRING = 4;
const LUA_TTABLE = 5;
const LUA_TFUNCTION = 6;
const LUA_OK = 0;
const LUA_ERRMEM = 4;
// Offsets in lua_State on wasm32 (Lua 5.4), checked at creation: the type tag of a thread, its
// allowhook flag, and the count hook's counters.
const TT_OFFSET = 4;
const LUA_VTHREAD = 8;
const ALLOWHOOK_OFFSET = 7;
const BASEHOOKCOUNT_OFFSET = 104;
const HOOKCOUNT_OFFSET = 108;
/** Bytes allocated per unit of gas: allocating (and later collecting) 16 bytes costs about one VM instruction. */
export const BYTES_PER_GAS = 16;

export interface LuaVmOptions {
  /** VM instructions between two gas checks. */
  hookPeriod: number;
  /**
   * Benchmarks only (bench/cu-eval.js measures what metering costs): calls run without the count
   * hook and without the allocation cap, so nothing bounds them. No unit sets it.
   */
  unmetered?: boolean;
}

export type CallStatus = 'ok' | 'error' | 'out-of-gas' | 'out-of-memory';

/**
 * How a call ended: `value` is what the function returned (status ok: a string for `call`, what
 * the reader made of the results for `callReading`) or the error message. `gasUsed` is the VM
 * instructions executed: exact on the main thread, in whole hook periods inside coroutines.
 */
export type CallOutcome<T = string> =
  | { status: 'ok'; value: T; gasUsed: number }
  | { status: Exclude<CallStatus, 'ok'>; value: string; gasUsed: number };

/**
 * An argument of `call`: a string; a value kept in the registry (see `ref`); or a JSON-like JS
 * value pushed as the Lua value `json.decode(JSON.stringify(value))` would give (null and
 * undefined are absent, integers up to 2^63 are Lua integers).
 */
export type CallArg = string | { ref: number } | { json: object };


/** A copy of the VM's linear memory up to the allocator's break, plus the allocator's count. */
export interface HeapImage {
  bytes: Uint8Array;
  length: number;
  memoryUsed: number;
}

/** Where a VM's state lives; an image restores only into a VM with the same layout. */
export interface VmLayout {
  /** SHA-256 (hex) of the WebAssembly binary. */
  binary: string;
  state: number;
  allocFn: number;
  hookFn: number;
  /** The last allocation made at creation: moves when the creation sequence changes. */
  statics: number;
}

/** Thrown when the VM's WebAssembly instance failed (a trap), not the Lua code: the VM is unusable. */
export class VmTrap extends Error {
  constructor(override readonly cause: unknown) {
    super(`Lua VM trap: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'VmTrap';
  }
}

const TYPE_NAMES = ['nil', 'boolean', 'lightuserdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

export class LuaVm implements LuaStack {
  private readonly L: number;
  private readonly allocator: CappedAllocator;
  private readonly allocFn: number;
  private readonly hookFn: number;
  private readonly hostFn: number;
  private host: HostFunction | undefined;
  /** Gas charged by host calls during the current call (see `HostCall.charge`). */
  private extraGas = 0;
  private readonly scratch: number;
  private readonly outOfGasPtr: number;
  private readonly sbrkAddr: number | undefined;
  private readonly args: JsonArgWriter;
  private readonly statics: number;
  private readonly exactCount: boolean;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private heapView: Buffer | undefined;
  private budget = Number.POSITIVE_INFINITY;
  private hookFires = 0;
  private exhausted = false;
  private closed = false;

  private constructor(
    private readonly glue: EmscriptenGlue,
    private readonly lua: LuaExports,
    private readonly period: number,
    private readonly unmetered = false,
  ) {
    this.sbrkAddr = findSbrkAddress({ glue, lua });
    // the cap starts at Infinity: the base libraries are opened uncapped
    this.allocator = cappedAllocator(lua);
    this.allocFn = glue.addFunction(this.allocator.alloc, 'iiiii');
    this.hookFn = glue.addFunction((L) => this.onHook(L), 'vii');
    // After the hook: the table slots of allocFn and hookFn, and every heap address, stay as they were.
    this.hostFn = glue.addFunction((L) => this.onHostCall(L), 'ii');
    const L = lua.lua_newstate(this.allocFn, 0);
    if (!L) throw new Error('lua_newstate failed');
    this.L = L;
    const libs: Array<[(L: number) => number, string]> = [
      [lua.luaopen_base, '_G'],
      [lua.luaopen_table, 'table'],
      [lua.luaopen_string, 'string'],
      [lua.luaopen_math, 'math'],
      [lua.luaopen_utf8, 'utf8'],
      [lua.luaopen_coroutine, 'coroutine'],
    ];
    for (const [open, name] of libs) {
      open(L);
      const p = this.cString(name);
      lua.lua_setglobal(L, p);
      lua.free(p);
    }
    this.scratch = lua.malloc(8);
    this.outOfGasPtr = this.cString('out of gas');
    this.args = new JsonArgWriter(lua, glue, L, (key) => this.cString(key));
    this.statics = this.cString('');
    lua.lua_sethook(L, this.hookFn, LUA_MASKCOUNT, this.period);
    const heap = glue.HEAP32;
    this.exactCount = heap[(L + BASEHOOKCOUNT_OFFSET) >> 2] === this.period && heap[(L + HOOKCOUNT_OFFSET) >> 2] === this.period;
    if (glue.HEAPU8[L + TT_OFFSET] !== LUA_VTHREAD || glue.HEAPU8[L + ALLOWHOOK_OFFSET] !== 1) {
      throw new Error('unexpected lua_State layout: this Lua build is not supported');
    }
  }

  /** A new VM in a new WebAssembly instance (the creation sequence is fixed: see the class doc). */
  static async create(options: LuaVmOptions): Promise<LuaVm> {
    const { glue, lua } = await instantiateLua();
    return withFrozenClock(() => new LuaVm(glue, lua, options.hookPeriod, options.unmetered === true));
  }

  /** Addresses that must match for an image of this VM to restore into another one. */
  get layout(): VmLayout {
    return { binary: wasmBinaryDigest(), state: this.L, allocFn: this.allocFn, hookFn: this.hookFn, statics: this.statics };
  }

  /** Bytes Lua has allocated (as counted by the allocator). */
  get memoryUsed(): number {
    return this.allocator.used.value as number;
  }

  private set memoryUsed(bytes: number) {
    this.allocator.used.value = bytes;
  }

  private get memoryMax(): number {
    return this.allocator.max.value as number;
  }

  private set memoryMax(bytes: number) {
    this.allocator.max.value = bytes;
  }

  /** Size of the instance's linear memory. */
  get linearMemoryBytes(): number {
    return this.glue.HEAPU8.length;
  }

  /** Sets the cap on the bytes Lua may allocate. */
  setMemoryMax(bytes: number): void {
    this.memoryMax = bytes;
  }

  /** Runs a trusted text chunk (the host prelude); throws on failure. */
  runChunk(source: string, chunkName: string, gas: number): void {
    const outcome = this.loadAndRun(this.encoder.encode(source), chunkName, gas);
    this.lua.lua_settop(this.L, 0);
    if (outcome.status !== 'ok') throw new Error(`${chunkName} failed: ${outcome.value}`);
  }

  /**
   * Loads and runs a text chunk that must return a table, and keeps its `fields` (functions) as
   * registry references, so user code cannot replace what the host calls; then those of the
   * `optional` fields, -1 for each one the table does not have. Throws on failure.
   */
  loadModule(source: Uint8Array, fields: readonly string[], gas: number, optional: readonly string[] = []): number[] {
    const { lua, L } = this;
    // the chunk gets the host function as its argument (`...`); runtimes that ignore it are unaffected
    const outcome = this.loadAndRun(source, 'aos', gas, true);
    if (outcome.status !== 'ok') throw new Error(outcome.value);
    if (lua.lua_type(L, -1) !== LUA_TTABLE) throw new Error('the module chunk did not return a table');
    const refs: number[] = [];
    for (const field of [...fields, ...optional]) {
      this.pushString(field);
      const type = lua.lua_rawget(L, -2); // raw: no metamethod can run outside a protected call
      if (type === LUA_TNIL && !fields.includes(field)) {
        lua.lua_settop(L, -2);
        refs.push(-1);
        continue;
      }
      if (type !== LUA_TFUNCTION) throw new Error(`the module's table has no function "${field}"`);
      refs.push(lua.luaL_ref(L, LUA_REGISTRYINDEX));
    }
    lua.lua_settop(L, 0);
    return refs;
  }

  /** Keeps a string in the registry (passed to `call` as `{ref}` without copying it again). */
  ref(value: string): number {
    this.assertOpen();
    return withFrozenClock(() => {
      this.lua.lua_settop(this.L, 0);
      this.pushString(value);
      return this.lua.luaL_ref(this.L, LUA_REGISTRYINDEX);
    });
  }

  /**
   * Calls the function behind `fnRef` under a gas budget; it must return one string.
   * Lua errors come back as an outcome; a failure of the WebAssembly instance throws VmTrap.
   */
  call(fnRef: number, args: readonly CallArg[], gas: number): CallOutcome {
    return this.invoke(fnRef, args, gas, 1, () => (this.lua.lua_type(this.L, -1) === LUA_TSTRING ? this.readString(-1) : ''));
  }

  /**
   * Calls the function behind `fnRef` like `call`, keeping all it returns: `read` gets the VM
   * (a LuaStack) and the number of results, at stack indices 1..count, before they are dropped.
   */
  callReading<T>(fnRef: number, args: readonly CallArg[], gas: number, read: (stack: LuaStack, count: number, gasUsed: number) => T): CallOutcome<T> {
    return this.invoke(fnRef, args, gas, LUA_MULTRET, (gasUsed) => {
      // reading a number as text allocates its string, outside any protected call: uncapped
      const max = this.memoryMax;
      this.memoryMax = Number.POSITIVE_INFINITY;
      try {
        return read(this, this.lua.lua_gettop(this.L), gasUsed);
      } finally {
        this.memoryMax = max;
      }
    });
  }

  // LuaStack: reading results (no Lua code runs; see callReading for numbers read as text)

  type(index: number): number {
    return this.lua.lua_type(this.L, index);
  }

  string(index: number): string {
    return this.readString(index);
  }

  text(index: number): string | undefined {
    const { lua, glue } = this;
    const p = lua.lua_tolstring(this.L, index, this.scratch); // NULL unless a string or a number
    return p === 0 ? undefined : this.decodeText(glue.HEAPU8, p, glue.HEAPU32[this.scratch >> 2]);
  }

  number(index: number): number {
    return this.lua.lua_tonumberx(this.L, index, 0);
  }

  boolean(index: number): boolean {
    return this.lua.lua_toboolean(this.L, index) !== 0;
  }

  /** Copies the linear memory up to the allocator's break, into `reuse` when it is large enough. */
  snapshot(reuse?: HeapImage): HeapImage {
    const heap = this.glue.HEAPU8;
    const length = this.heapEnd();
    let bytes = reuse?.bytes;
    if (!bytes || bytes.length < length) bytes = new Uint8Array(Math.min(heap.length, Math.ceil(length * 1.25)));
    bytes.set(heap.subarray(0, length));
    return { bytes, length, memoryUsed: this.memoryUsed };
  }

  /**
   * Puts an image back. Memory between the image's break and the current one is zeroed, so the
   * result is byte-identical to the VM at the time of the image (fresh memory is zero too).
   */
  restore(image: HeapImage): void {
    const { glue, lua } = this;
    let end = this.heapEnd();
    if (glue.HEAPU8.length < image.length) {
      // grow through the module's allocator; the image then overwrites the allocator's state
      if (!lua.malloc(image.length)) throw new Error('cannot grow the linear memory for the image');
      end = this.heapEnd();
    }
    const heap = glue.HEAPU8;
    heap.set(image.bytes.subarray(0, image.length));
    if (end > image.length) heap.fill(0, image.length, end);
    this.memoryUsed = image.memoryUsed;
  }

  /** Frees the WebAssembly-side resources; the VM is unusable afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.lua.lua_close(this.L);
    } catch {
      // a VM that trapped may not close cleanly; its instance is dropped anyway
    }
    this.glue.removeFunction(this.hookFn);
    this.glue.removeFunction(this.allocFn);
  }

  // internals ----------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new Error('the Lua VM is closed');
  }

  private invoke<T>(fnRef: number, args: readonly CallArg[], gas: number, nresults: number, read: (gasUsed: number) => T): CallOutcome<T> {
    this.assertOpen();
    const { lua, L } = this;
    try {
      return withFrozenClock(() => {
        lua.lua_settop(L, 0);
        lua.lua_rawgeti(L, LUA_REGISTRYINDEX, bigInt(fnRef));
        // pushing allocates outside any protected call: an allocation refused there would abort
        // the VM, so arguments are pushed uncapped (their size is bounded by the message's)
        const max = this.memoryMax;
        this.memoryMax = Number.POSITIVE_INFINITY;
        for (const arg of args) {
          if (typeof arg === 'string') this.pushString(arg);
          else if ('ref' in arg) lua.lua_rawgeti(L, LUA_REGISTRYINDEX, bigInt(arg.ref));
          else this.args.push(arg.json);
        }
        this.memoryMax = max;
        const outcome = this.protectedCall(args.length, gas, nresults, read);
        lua.lua_settop(L, 0);
        return outcome;
      });
    } catch (err) {
      throw new VmTrap(err);
    }
  }

  /** Sets what host calls from Lua do (`lua-host.ts`); without one they answer `false, "unavailable"`. */
  setHost(host: HostFunction | undefined): void {
    this.host = host;
  }

  private loadAndRun(source: Uint8Array, chunkName: string, gas: number, withHost = false): CallOutcome {
    this.assertOpen();
    const { lua, L } = this;
    return withFrozenClock(() => {
      lua.lua_settop(L, 0);
      const buf = lua.malloc(source.length || 1);
      this.glue.HEAPU8.set(source, buf);
      const name = this.cString(`=${chunkName}`);
      const mode = this.cString('t');
      const status = lua.luaL_loadbufferx(L, buf, source.length, name, mode);
      lua.free(mode);
      lua.free(name);
      lua.free(buf);
      if (status !== LUA_OK) return { status: 'error', value: this.popMessage(), gasUsed: 0 };
      if (withHost) lua.lua_pushcclosure(L, this.hostFn, 0);
      return this.protectedCall(withHost ? 1 : 0, gas, 1, () => ''); // the chunk's result stays on the stack
    });
  }

  /** Runs the function and arguments on the stack; on success `read` makes the value of the results, left on the stack. */
  private protectedCall<T>(nargs: number, gas: number, nresults: number, read: (gasUsed: number) => T): CallOutcome<T> {
    const { lua, L, period } = this;
    this.budget = gas;
    this.hookFires = 0;
    this.extraGas = 0;
    this.exhausted = false;
    this.allocator.churn.value = 0;
    this.allocator.starved.value = 0;
    // a single C call (string.rep, a concatenation) cannot allocate past what the budget pays for
    this.allocator.churnMax.value = this.unmetered ? Number.POSITIVE_INFINITY : gas * BYTES_PER_GAS;
    if (this.unmetered) lua.lua_sethook(L, 0, 0, 0);
    else lua.lua_sethook(L, this.hookFn, LUA_MASKCOUNT, period); // restarts the main thread's count
    const status = lua.lua_pcallk(L, nargs, nresults, 0, 0, 0);
    const remaining = this.exactCount ? this.glue.HEAP32[(L + HOOKCOUNT_OFFSET) >> 2] : period;
    const gasUsed = this.hookFires * period + (period - remaining) + this.extraGas + this.churnGas();
    this.budget = Number.POSITIVE_INFINITY;
    this.allocator.churnMax.value = Number.POSITIVE_INFINITY;
    if (this.allocator.starved.value) this.exhausted = true;
    if (this.exhausted) {
      // the budget ran out even if the code caught every error (e.g. inside coroutines)
      lua.lua_settop(L, 0);
      return { status: 'out-of-gas', value: 'out of gas', gasUsed };
    }
    if (status === LUA_OK) return { status: 'ok', value: read(gasUsed), gasUsed };
    const message = this.popMessage();
    if (status === LUA_ERRMEM) return { status: 'out-of-memory', value: message || 'not enough memory', gasUsed };
    return { status: 'error', value: message, gasUsed };
  }

  private onHook(L: number): void {
    this.hookFires++;
    if (this.exhausted || this.hookFires * this.period + this.extraGas + this.churnGas() > this.budget) {
      this.exhausted = true;
      const { lua, glue } = this;
      lua.lua_sethook(L, this.hookFn, LUA_MASKCOUNT, 1);
      // Lua clears allowhook while a hook runs and restores it only when the hook returns. An
      // error raised here would leave it cleared, so a message handler (xpcall) or a __close
      // method running next would run without the hook, for ever. Re-enable it first.
      const heap = glue.HEAPU8;
      if (heap[L + TT_OFFSET] === LUA_VTHREAD && heap[L + ALLOWHOOK_OFFSET] === 0) heap[L + ALLOWHOOK_OFFSET] = 1;
      lua.lua_pushstring(L, this.outOfGasPtr);
      lua.lua_error(L); // longjmps out of this frame
    }
  }

  /**
   * A call from Lua to the host function: arguments are read as bytes, the host's values pushed
   * back. Nothing thrown may cross the WebAssembly frames below, so failures become Lua errors
   * (raised last: lua_error longjmps out of this frame). Gas a host call charges past the budget
   * ends the call like the hook does.
   */
  private onHostCall(L: number): number {
    const { lua, glue } = this;
    const argc = lua.lua_gettop(L);
    let values: HostValue[] | undefined;
    let failure: string | undefined;
    const call: HostCall = {
      argc,
      bytes: (i) => {
        if (i < 1 || i > argc || lua.lua_type(L, i) !== LUA_TSTRING) return undefined;
        const p = lua.lua_tolstring(L, i, this.scratch);
        const len = glue.HEAPU32[this.scratch >> 2];
        return glue.HEAPU8.slice(p, p + len);
      },
      text: (i) => {
        if (i < 1 || i > argc || lua.lua_type(L, i) !== LUA_TSTRING) return undefined;
        const p = lua.lua_tolstring(L, i, this.scratch);
        return this.decodeText(glue.HEAPU8, p, glue.HEAPU32[this.scratch >> 2]);
      },
      gasLeft: () => Math.max(0, this.budget - (this.hookFires * this.period + this.extraGas + this.churnGas())),
      charge: (gas) => this.charge(gas),
      memoryLeft: () => Math.max(0, this.memoryMax - this.memoryUsed),
    };
    try {
      if (argc === 2 && call.text(1) === 'charge') {
        // the runtime pre-paying C work (docs/limits.md): no values, an error once out of gas
        this.charge(Math.max(0, Math.ceil(lua.lua_tonumberx(L, 2, 0))));
        values = [];
      } else values = this.host ? this.host(call) : [false, 'unavailable', 'this evaluator offers no host calls'];
    } catch (error) {
      failure = `host call failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    lua.lua_settop(L, 0);
    if (this.exhausted) {
      lua.lua_sethook(L, this.hookFn, LUA_MASKCOUNT, 1);
      lua.lua_pushstring(L, this.outOfGasPtr);
      return lua.lua_error(L);
    }
    if (failure !== undefined || !values) {
      this.pushString(failure ?? 'host call failed');
      return lua.lua_error(L);
    }
    lua.lua_checkstack(L, values.length + 1);
    for (const v of values) {
      if (v === null) lua.lua_pushnil(L);
      else if (typeof v === 'boolean') lua.lua_pushboolean(L, v ? 1 : 0);
      else if (typeof v === 'number') lua.lua_pushinteger(L, BigInt(Math.trunc(v)));
      else if (typeof v === 'string') this.pushStringOn(L, v);
      else this.pushBytesOn(L, v);
    }
    return values.length;
  }

  /** Charges gas to the running call; false (and the call ends out of gas) once past its budget. */
  private charge(gas: number): boolean {
    this.extraGas += gas;
    if (this.hookFires * this.period + this.extraGas + this.churnGas() > this.budget) this.exhausted = true;
    return !this.exhausted;
  }

  /** Gas for the bytes allocated during the current call. */
  private churnGas(): number {
    return Math.floor((this.allocator.churn.value as number) / BYTES_PER_GAS);
  }

  private pushStringOn(L: number, s: string): void {
    this.pushBytesOn(L, this.encoder.encode(s));
  }

  private pushBytesOn(L: number, bytes: Uint8Array): void {
    const lua = this.lua;
    const p = lua.malloc(bytes.length || 1);
    this.glue.HEAPU8.set(bytes, p);
    lua.lua_pushlstring(L, p, bytes.length);
    lua.free(p);
  }

  private pushString(s: string): void {
    const lua = this.lua;
    const len = Buffer.byteLength(s, 'utf8');
    const p = lua.malloc(len || 1);
    if (len > 0) this.encoder.encodeInto(s, this.glue.HEAPU8.subarray(p, p + len));
    lua.lua_pushlstring(this.L, p, len);
    lua.free(p);
  }

  /**
   * Results are mostly short ASCII strings (tag names, ids, amounts): for those a copy by hand
   * (up to 24 bytes) or latin1 (the same text for ASCII) is about twice as fast as TextDecoder,
   * which decodes everything else.
   */
  private readString(idx: number): string {
    const { lua, glue } = this;
    const p = lua.lua_tolstring(this.L, idx, this.scratch);
    return this.decodeText(glue.HEAPU8, p, glue.HEAPU32[this.scratch >> 2]);
  }

  private decodeText(heap: Uint8Array, p: number, len: number): string {
    const end = p + len;
    if (len <= 24) {
      let s = '';
      for (let i = p; i < end; i++) {
        const c = heap[i];
        if (c >= 0x80) return this.decoder.decode(heap.subarray(p, end));
        s += String.fromCharCode(c);
      }
      return s;
    }
    if (len <= 64) {
      let ascii = true;
      for (let i = p; i < end; i++) {
        if (heap[i] >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return this.heapBuffer(heap).toString('latin1', p, end);
    }
    return this.decoder.decode(heap.subarray(p, end));
  }

  /** A Buffer over the current linear memory (a new one after the memory grew). */
  private heapBuffer(heap: Uint8Array): Buffer {
    if (this.heapView?.buffer !== heap.buffer) this.heapView = Buffer.from(heap.buffer, heap.byteOffset, heap.length);
    return this.heapView;
  }

  private popMessage(): string {
    const { lua, L } = this;
    const type = lua.lua_type(L, -1);
    const text =
      type === LUA_TSTRING || type === LUA_TNUMBER ? this.readString(-1) : `(error object is a ${TYPE_NAMES[type] ?? 'none'})`;
    lua.lua_settop(L, 0);
    return text;
  }

  private cString(s: string): number {
    const bytes = this.encoder.encode(s);
    const p = this.lua.malloc(bytes.length + 1);
    const heap = this.glue.HEAPU8;
    heap.set(bytes, p);
    heap[p + bytes.length] = 0;
    return p;
  }

  private heapEnd(): number {
    const heap = this.glue.HEAPU8;
    if (this.sbrkAddr === undefined) return heap.length;
    const end = this.glue.HEAPU32[this.sbrkAddr >> 2];
    return end > 0 && end <= heap.length ? end : heap.length;
  }
}
