import { AoError } from '../../errors.js';
import { getTags } from '../../tags.js';
import { parseByteSize, type AoMessage, type EvalLimits, type ProcessEnv } from '../evaluator.js';
import type { HostCall, HostFunction, HostValue } from '../lua/lua-host.js';
import type { ArweaveItemSource, ModuleLoader } from '../ports.js';
import { READ_DEFAULTS, namedIds, readRulesFor, resolveReads, type ReadItem, type ReadRules, type ReadSet } from './item-reads.js';
import { WasmLibrary } from './wasm-library.js';

/** What reads and library calls cost, in gas (Lua VM instructions); part of the semantics, so fixed. */
export const HOST_GAS = {
  /** Each `ao.read`. */
  read: 10_000,
  /** Each byte of item data handed to the process (as a Lua string or as a library's input). */
  perByte: 1,
  /** Each `ao.wasm` call, besides its fuel and input bytes. */
  call: 10_000,
  /** WebAssembly fuel (instructions, see the WASM section of the README) bought by one gas. */
  fuelPerGas: 64,
} as const;

/** The Process tag naming a `wasm32-ao-call-1` library the process may call (repeatable). */
export const WASM_LIBRARY_TAG = 'Wasm-Library';

/** What the CU offers Lua processes beyond the aos runtime: Arweave reads and WebAssembly libraries. */
export interface HostExtensions {
  /** Where items are read; without it every read is refused as not admissible. */
  items?: ArweaveItemSource;
  /** Loads the modules named in `Wasm-Library` tags; without it such a process cannot be created. */
  modules?: ModuleLoader;
  /** Read-Limit default and maximum, in bytes. */
  readLimit?: { defaultBytes: number; maxBytes: number };
}

const libraries = new Map<string, Promise<WasmLibrary>>();

/** One instrumented copy per library and memory cap, kept for the life of the unit (libraries are immutable). */
function loadLibrary(modules: ModuleLoader, id: string, memoryBytes: number): Promise<WasmLibrary> {
  const key = `${id}:${memoryBytes}`;
  let found = libraries.get(key);
  if (!found) {
    found = modules.load(id).then((def) => WasmLibrary.load(def, memoryBytes));
    libraries.set(key, found);
    found.catch(() => libraries.delete(key));
  }
  return found;
}

/**
 * A process's host calls (`ao.read`, `ao.wasm` in the runtime's weave.lua): the libraries its
 * Process item names, loaded when it is created, and per message the reads it may make, resolved
 * before it is evaluated (admissibility in item-reads.ts).
 */
export class ProcessHost {
  private constructor(
    private readonly rules: ReadRules,
    private readonly items: ArweaveItemSource | undefined,
    private readonly libs: Map<string, WasmLibrary>,
  ) {}

  static async create(env: ProcessEnv, limits: EvalLimits, ext: HostExtensions): Promise<ProcessHost> {
    const rules = readRulesFor(
      env.Process.Tags,
      { limitBytes: ext.readLimit?.defaultBytes ?? READ_DEFAULTS.limitBytes, maxBytes: ext.readLimit?.maxBytes ?? READ_DEFAULTS.limitBytes },
      parseByteSize,
    );
    const libs = new Map<string, WasmLibrary>();
    const ids = getTags(env.Process.Tags, WASM_LIBRARY_TAG);
    if (ids.length > 0 && !ext.modules) {
      throw new AoError('MODULE_LOAD_FAILED', 'this evaluator cannot load WebAssembly libraries', { libraries: ids });
    }
    for (const id of ids) libs.set(id, await loadLibrary(ext.modules!, id, limits.memoryBytes));
    return new ProcessHost(rules, ext.items, libs);
  }

  /** Whether the message names items to read (only then is there anything to resolve). */
  readsOf(msg: AoMessage): boolean {
    return namedIds(msg, this.rules).length > 0;
  }

  /** The reads of a message: its admissible items, checked against their ids (see resolveReads). */
  async resolve(msg: AoMessage): Promise<ReadSet> {
    if (!this.readsOf(msg)) return new Map();
    if (!this.items) {
      return new Map(namedIds(msg, this.rules).map((id) => [id, { ok: false, code: 'not-admissible', message: 'this evaluator reads no Arweave items' }] as const));
    }
    return resolveReads(msg, this.rules, this.items);
  }

  /** The host function for one message. */
  bind(reads: ReadSet): HostFunction {
    return (call) => {
      switch (call.text(1)) {
        case 'read':
          return this.read(call, reads);
        case 'wasm':
          return this.wasm(call, reads);
        default:
          return [false, 'unknown-call', `no host call ${JSON.stringify(call.text(1) ?? null)}`];
      }
    };
  }

  private item(reads: ReadSet, id: string | undefined): ReadItem | HostValue[] {
    const outcome = id === undefined ? undefined : reads.get(id);
    if (!outcome) {
      return [false, 'not-admissible', `item ${id ?? '(none)'} is not named in a ${this.rules.tags.join('/') || 'readable'} tag of this message`];
    }
    if (!outcome.ok) return [false, outcome.code, outcome.message, outcome.size ?? null];
    return outcome.item;
  }

  /** host("read", id, "data" | "meta") → true, metadata JSON[, data] | false, code, message. */
  private read(call: HostCall, reads: ReadSet): HostValue[] {
    const item = this.item(reads, call.text(2));
    if (Array.isArray(item)) return item;
    const withData = call.text(3) !== 'meta';
    if (!call.charge(HOST_GAS.read + (withData ? item.data.length * HOST_GAS.perByte : 0))) return [];
    if (withData && item.data.length + 4096 > call.memoryLeft()) {
      return [false, 'too-large', `item ${item.id} (${item.data.length} bytes) does not fit in the process's memory`, item.data.length];
    }
    const meta = JSON.stringify({
      Id: item.id,
      Owner: item.owner,
      'Signature-Type': item.signatureType,
      ...(item.target ? { Target: item.target } : {}),
      ...(item.anchor ? { Anchor: item.anchor } : {}),
      Tags: item.tags,
      'Block-Height': item.blockHeight,
      Size: item.data.length,
    });
    return withData ? [true, meta, item.data] : [true, meta];
  }

  /** host("wasm", library, fn, params, data | nil, itemId | nil) → true, output | false, code, message. */
  private wasm(call: HostCall, reads: ReadSet): HostValue[] {
    const id = call.text(2) ?? '';
    const fn = call.text(3) ?? '';
    const lib = this.libs.get(id);
    if (!lib) return [false, 'unknown-library', `library ${id} is not named in a ${WASM_LIBRARY_TAG} tag of this process`];
    if (!lib.has(fn)) return [false, 'unknown-function', `library ${id} has no function ${fn}`];
    const params = call.bytes(4) ?? new Uint8Array(0);
    let data = call.bytes(5) ?? new Uint8Array(0);
    const itemId = call.text(6);
    if (itemId !== undefined) {
      const item = this.item(reads, itemId);
      if (Array.isArray(item)) return item;
      data = item.data;
    }
    if (!call.charge(HOST_GAS.call + (params.length + data.length) * HOST_GAS.perByte)) return [];
    const outcome = lib.call(fn, params, data, call.gasLeft() * HOST_GAS.fuelPerGas);
    if (!call.charge(Math.ceil(outcome.fuel / HOST_GAS.fuelPerGas) + (outcome.ok ? 0 : outcome.outOfFuel ? 1 : 0))) return [];
    if (!outcome.ok) return [false, 'failed', outcome.error];
    if (outcome.output.length + 4096 > call.memoryLeft()) return [false, 'too-large', 'the library returned more than the process can hold'];
    return [true, outcome.output];
  }
}
