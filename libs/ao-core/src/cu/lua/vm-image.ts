import { AoError } from '../../errors.js';
import type { HeapImage, VmLayout } from './lua-vm.js';

/**
 * A checkpoint of a Lua process: the VM's heap image plus what must match to restore it.
 *
 *   "AOLUAVM1" | binary sha256 (32) | module sha256 (32) | state, allocFn, hookFn, statics (u32)
 *   | ref count (u32) | refs (u32 each) | memoryUsed (f64) | heap length (u32) | heap bytes
 * All integers little-endian. The bytes are raw: compress them when storing (a fresh heap
 * gzips ~20:1).
 */
const MAGIC = 'AOLUAVM1';

export interface VmImage {
  layout: VmLayout;
  moduleDigest: string;
  refs: number[];
  heap: HeapImage;
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Serializes an image (the heap bytes are copied once). */
export function encodeVmImage(image: VmImage): Uint8Array {
  const headerLength = 8 + 32 + 32 + 16 + 4 + 4 * image.refs.length + 8 + 4;
  const out = new Uint8Array(headerLength + image.heap.length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  out.set(hexToBytes(image.layout.binary), 8);
  out.set(hexToBytes(image.moduleDigest), 40);
  let o = 72;
  const { state, allocFn, hookFn, statics } = image.layout;
  for (const v of [state, allocFn, hookFn, statics, image.refs.length, ...image.refs]) {
    view.setUint32(o, v, true);
    o += 4;
  }
  view.setFloat64(o, image.heap.memoryUsed, true);
  view.setUint32(o + 8, image.heap.length, true);
  out.set(image.heap.bytes.subarray(0, image.heap.length), headerLength);
  return out;
}

/** Parses an image; fails with INVALID_REQUEST when the bytes are not one. */
export function decodeVmImage(bytes: Uint8Array): VmImage {
  const fail = (why: string): never => {
    throw new AoError('INVALID_REQUEST', `not a Lua process checkpoint: ${why}`);
  };
  if (bytes.length < 104 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail('bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hex = (from: number): string => Buffer.from(bytes.subarray(from, from + 32)).toString('hex');
  const u32 = (o: number): number => view.getUint32(o, true);
  const count = u32(88);
  const refsEnd = 92 + 4 * count;
  if (count > 64 || bytes.length < refsEnd + 12) fail('truncated header');
  const refs = Array.from({ length: count }, (_, i) => u32(92 + 4 * i));
  const memoryUsed = view.getFloat64(refsEnd, true);
  const length = u32(refsEnd + 8);
  const start = refsEnd + 12;
  if (bytes.length !== start + length) fail('truncated heap');
  return {
    layout: { binary: hex(8), state: u32(72), allocFn: u32(76), hookFn: u32(80), statics: u32(84) },
    moduleDigest: hex(40),
    refs,
    heap: { bytes: bytes.subarray(start), length, memoryUsed },
  };
}
