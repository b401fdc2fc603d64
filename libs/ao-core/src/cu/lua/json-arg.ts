import type { EmscriptenGlue, LuaExports } from './wasm-instance.js';

/**
 * Pushes a JSON-like JS value onto a Lua stack as the value `json.decode(JSON.stringify(value))`
 * would give: null and undefined are absent, integers below 2^63 are Lua integers, other numbers
 * floats. Building the table through the C API costs a fraction of decoding JSON text in Lua.
 * The caller pushes outside a protected call, so it must not cap allocations meanwhile.
 */

// Field names met in every message: pushed from C strings kept for the VM's lifetime.
const KNOWN_KEYS = ['Id', 'Owner', 'From', 'Target', 'Anchor', 'Data', 'Tags', 'Nonce', 'Epoch', 'Timestamp',
  'Block-Height', 'Hash-Chain', 'Cron', 'Read-Only', 'Forwarded-By', 'Module', 'Signature', 'name', 'value'];
const INT64_LIMIT = 2 ** 63;

/** The UTF-16 length of all strings (keys included) under `value`. */
function countChars(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += countChars(v);
  } else {
    const record = value as Record<string, unknown>;
    for (const key in record) n += key.length + countChars(record[key]);
  }
  return n;
}

export class JsonArgWriter {
  private readonly keyPtrs = new Map<string, number>();
  private readonly encoder = new TextEncoder();
  private cursor = 0;

  /** `cString` allocates a NUL-terminated copy that lives as long as the VM (field names). */
  constructor(
    private readonly lua: LuaExports,
    private readonly glue: EmscriptenGlue,
    private readonly L: number,
    cString: (s: string) => number,
  ) {
    for (const key of KNOWN_KEYS) this.keyPtrs.set(key, cString(key));
  }

  /** Pushes a JSON-like value; its strings are encoded into one block freed afterwards. */
  push(value: object): void {
    const block = this.lua.malloc(countChars(value) * 3 + 1);
    this.cursor = block;
    try {
      this.pushJson(value);
    } finally {
      this.lua.free(block);
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
        if (Number.isInteger(value) && Math.abs(value) < INT64_LIMIT) lua.lua_pushinteger(L, BigInt(value));
        else lua.lua_pushnumber(L, value);
        return true;
      case 'boolean':
        lua.lua_pushboolean(L, value ? 1 : 0);
        return true;
      case 'object': {
        if (value === null) return false;
        if (Array.isArray(value)) {
          lua.lua_createtable(L, value.length, 0);
          for (let i = 0; i < value.length; i++) {
            if (this.pushJson(value[i])) lua.lua_rawseti(L, -2, BigInt(i + 1));
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
    const at = this.cursor;
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
    this.cursor = at + written;
  }
}
