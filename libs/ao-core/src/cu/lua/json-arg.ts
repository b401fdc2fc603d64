import type { EmscriptenGlue, LuaExports } from './wasm-instance.js';

/**
 * Pushes a JSON-like JS value onto a Lua stack as the value `json.decode(JSON.stringify(value))`
 * would give: null and undefined are absent, integers below 2^63 are Lua integers, other numbers
 * floats. A Uint8Array is pushed as the Lua string of exactly its bytes (JSON has no such value). Building the table through the C API costs a fraction of decoding JSON text in Lua.
 * The caller pushes outside a protected call, so it must not cap allocations meanwhile.
 */

// Field names met in every message: pushed from C strings kept for the VM's lifetime.
const KNOWN_KEYS = ['Id', 'Owner', 'From', 'Target', 'Anchor', 'Data', 'Tags', 'Nonce', 'Epoch', 'Timestamp',
  'Block-Height', 'Hash-Chain', 'Cron', 'Read-Only', 'Forwarded-By', 'Module', 'Signature', 'name', 'value'];
const INT64_LIMIT = 2 ** 63;

// Strings are encoded into a staging block of this size (a longer one gets a block of its own):
// pushed one at a time, they need no more, and nothing has to be measured before pushing.
const STAGING_BYTES = 4096;
// Small integers as BigInts (the C API takes lua_Integer as i64): array indices, counts, refs.
const SMALL_BIGINTS = Array.from({ length: 256 }, (_, i) => BigInt(i));

/** `n` (an integer below 2^63) as a BigInt, without allocating one for small values. */
export function bigInt(n: number): bigint {
  return n >= 0 && n < SMALL_BIGINTS.length ? SMALL_BIGINTS[n] : BigInt(n);
}

export class JsonArgWriter {
  private readonly keyPtrs = new Map<string, number>();
  private readonly encoder = new TextEncoder();
  private staging = 0;

  /** `cString` allocates a NUL-terminated copy that lives as long as the VM (field names). */
  constructor(
    private readonly lua: LuaExports,
    private readonly glue: EmscriptenGlue,
    private readonly L: number,
    cString: (s: string) => number,
  ) {
    for (const key of KNOWN_KEYS) this.keyPtrs.set(key, cString(key));
  }

  /** Pushes a JSON-like value; its strings go through a staging block freed afterwards. */
  push(value: object): void {
    this.staging = this.lua.malloc(STAGING_BYTES);
    try {
      this.pushJson(value);
    } finally {
      this.lua.free(this.staging);
    }
  }

  private pushJson(value: unknown): boolean {
    const { lua, L } = this;
    switch (typeof value) {
      case 'string':
        this.pushBlockString(value);
        return true;
      case 'number':
        if (!Number.isFinite(value)) return false;
        if (Number.isInteger(value) && Math.abs(value) < INT64_LIMIT) lua.lua_pushinteger(L, bigInt(value));
        else lua.lua_pushnumber(L, value);
        return true;
      case 'boolean':
        lua.lua_pushboolean(L, value ? 1 : 0);
        return true;
      case 'object': {
        if (value === null) return false;
        if (value instanceof Uint8Array) {
          // bytes (a message's Data that is not UTF-8 text): the Lua string holds exactly them
          this.pushBytes(value);
          return true;
        }
        if (Array.isArray(value)) {
          lua.lua_createtable(L, value.length, 0);
          for (let i = 0; i < value.length; i++) {
            if (this.pushJson(value[i])) lua.lua_rawseti(L, -2, bigInt(i + 1));
          }
          return true;
        }
        const record = value as Record<string, unknown>;
        // Sized for its fields, plus room for the fields a message gains in the runtime (its
        // tags copied onto it, TagArray, reply, forward): growing a table rehashes it.
        let fields = 0;
        for (const _ in record) fields++;
        const tags = record.Tags;
        lua.lua_createtable(L, 0, Array.isArray(tags) ? fields + tags.length + 3 : fields);
        for (const key in record) {
          const v = record[key];
          const known = this.keyPtrs.get(key);
          if (known !== undefined) {
            if (this.pushJson(v)) lua.lua_setfield(L, -2, known);
          } else {
            this.pushBlockString(key);
            if (this.pushJson(v)) lua.lua_rawset(L, -3);
            else lua.lua_settop(L, -2);
          }
        }
        return true;
      }
      default:
        return false; // undefined, functions: absent, as in JSON
    }
  }

  private pushBlockString(s: string): void {
    const len = s.length;
    if (len * 3 > STAGING_BYTES) {
      const p = this.lua.malloc(len * 3);
      try {
        this.pushEncoded(s, p);
      } finally {
        this.lua.free(p);
      }
      return;
    }
    this.pushEncoded(s, this.staging);
  }

  private pushBytes(bytes: Uint8Array): void {
    const len = bytes.length;
    const p = len > STAGING_BYTES ? this.lua.malloc(len) : this.staging;
    try {
      this.glue.HEAPU8.set(bytes, p);
      this.lua.lua_pushlstring(this.L, p, len);
    } finally {
      if (p !== this.staging) this.lua.free(p);
    }
  }

  /** Encodes `s` (UTF-8) at `at`, which has room for `3 * s.length` bytes, and pushes it. */
  private pushEncoded(s: string, at: number): void {
    const heap = this.glue.HEAPU8;
    const len = s.length;
    let written = 0;
    if (len <= 64) {
      // short strings: copy ASCII by hand, cheaper than a native encodeInto call
      while (written < len) {
        const c = s.charCodeAt(written);
        if (c >= 0x80) break;
        heap[at + written] = c;
        written++;
      }
    }
    if (written < len) written = this.encoder.encodeInto(s, heap.subarray(at, at + len * 3)).written;
    this.lua.lua_pushlstring(this.L, at, written);
  }
}
