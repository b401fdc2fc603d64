import { createHash } from 'node:crypto';
import { AoError } from '../../errors.js';
import type { StateGlobal } from './instrument.js';

/** The state of a WASM process: its linear memory and its mutable globals (in index order). */
export interface WasmState {
  memory: Uint8Array;
  globals: (number | bigint)[];
}

/**
 * Serialization of a state, also what its hash covers:
 *
 *   global count (u32) | per global: type (u8: 0 i32, 1 i64, 2 f32, 3 f64) and 8 value bytes
 *   (i32 zero-extended, i64 as is, floats as f64) | memory length in bytes (u32, whole pages)
 *   | memory bytes
 *
 * A checkpoint prefixes it with the magic "AOWASM01" and the SHA-256 of the module's binary.
 * All integers little-endian. The bytes are raw: compress them when storing.
 */
const MAGIC = 'AOWASM01';
const TYPES: StateGlobal['type'][] = ['i32', 'i64', 'f32', 'f64'];

function stateHeader(types: StateGlobal['type'][], globals: (number | bigint)[], memoryLength: number): Uint8Array {
  const out = new Uint8Array(4 + 9 * globals.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, globals.length, true);
  globals.forEach((value, i) => {
    const o = 4 + 9 * i;
    const type = types[i];
    out[o] = TYPES.indexOf(type);
    if (type === 'i64') view.setBigInt64(o + 1, BigInt(value), true);
    else if (type === 'i32') view.setUint32(o + 1, Number(value) >>> 0, true);
    else view.setFloat64(o + 1, Number(value), true);
  });
  view.setUint32(out.length - 4, memoryLength, true);
  return out;
}

/** Hex SHA-256 of the state's serialization (the memory is hashed in place, not copied). */
export function hashState(types: StateGlobal['type'][], state: WasmState): string {
  return createHash('sha256').update(stateHeader(types, state.globals, state.memory.length)).update(state.memory).digest('hex');
}

/** A checkpoint: magic, module digest, then the state's serialization. */
export function encodeCheckpoint(moduleDigest: string, types: StateGlobal['type'][], state: WasmState): Uint8Array {
  const header = stateHeader(types, state.globals, state.memory.length);
  const out = new Uint8Array(8 + 32 + header.length + state.memory.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  out.set(Buffer.from(moduleDigest, 'hex'), 8);
  out.set(header, 40);
  out.set(state.memory, 40 + header.length);
  return out;
}

/** Reads a checkpoint made for `moduleDigest` whose globals have `types`; INVALID_REQUEST otherwise. */
export function decodeCheckpoint(bytes: Uint8Array, moduleDigest: string, types: StateGlobal['type'][]): WasmState {
  const fail = (why: string): never => {
    throw new AoError('INVALID_REQUEST', `not a checkpoint of this WASM process: ${why}`);
  };
  if (bytes.length < 48 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail('bad magic');
  if (Buffer.from(bytes.subarray(8, 40)).toString('hex') !== moduleDigest) fail('it was made by another module');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(40, true);
  if (count !== types.length) fail(`${count} globals, the module has ${types.length}`);
  const memoryAt = 44 + 9 * count + 4;
  if (bytes.length < memoryAt) fail('truncated header');
  const globals = types.map((type, i) => {
    const o = 44 + 9 * i;
    if (TYPES[bytes[o]] !== type) fail(`global ${i} is not a ${type}`);
    if (type === 'i64') return view.getBigInt64(o + 1, true);
    if (type === 'i32') return view.getUint32(o + 1, true) | 0;
    return view.getFloat64(o + 1, true);
  });
  const length = view.getUint32(memoryAt - 4, true);
  if (length % 65536 !== 0 || bytes.length !== memoryAt + length) fail('truncated memory');
  return { memory: bytes.subarray(memoryAt), globals };
}
