import { describe, expect, it } from 'vitest';
import { wasmApi } from '../wasm/wasm-api.js';
import { watToWasm } from '../wasm/wabt.js';
import { CAPPED_ALLOCATOR_WASM, CAPPED_ALLOCATOR_WAT, cappedAllocator } from './capped-allocator.js';
import type { LuaExports } from './wasm-instance.js';

/** A fake C heap: realloc hands out fresh addresses (or fails when told to), free records. */
function fakeHeap() {
  const calls: string[] = [];
  let next = 1000;
  let failing = false;
  const lua = {
    realloc(ptr: number, size: number): number {
      calls.push(`realloc ${ptr} ${size}`);
      if (failing) return 0;
      next += 16;
      return next;
    },
    free(ptr: number): void {
      calls.push(`free ${ptr}`);
    },
  } as unknown as LuaExports;
  return { lua, calls, fail: (on: boolean) => (failing = on) };
}

describe('the capped Lua allocator (WebAssembly)', () => {
  it('is the published text compiled by wabt, byte for byte', async () => {
    expect(Buffer.from(await watToWasm(CAPPED_ALLOCATOR_WAT))).toEqual(Buffer.from(CAPPED_ALLOCATOR_WASM));
    expect(() => new wasmApi.Module(CAPPED_ALLOCATOR_WASM)).not.toThrow();
  });

  it('counts new blocks, growth, shrinking and frees, and frees nothing for a null pointer', () => {
    const { lua, calls } = fakeHeap();
    const a = cappedAllocator(lua);
    const p = a.alloc(0, 0, 5 /* a type tag */, 100);
    expect(p).toBeGreaterThan(0);
    expect(a.used.value).toBe(100);
    const q = a.alloc(0, p, 100, 300);
    expect(a.used.value).toBe(300);
    a.alloc(0, q, 300, 40);
    expect(a.used.value).toBe(40);
    expect(a.alloc(0, 0, 0, 0)).toBe(0);
    expect(a.alloc(0, 1234, 40, 0)).toBe(0);
    expect(a.used.value).toBe(0);
    expect(calls).toEqual([`realloc 0 100`, `realloc ${p} 300`, `realloc ${q} 40`, 'free 1234']);
  });

  it('refuses a growth past the cap without calling realloc, but always lets a block shrink', () => {
    const { lua, calls } = fakeHeap();
    const a = cappedAllocator(lua);
    a.max.value = 1000;
    const p = a.alloc(0, 0, 0, 900);
    expect(a.alloc(0, 0, 0, 101)).toBe(0);
    expect(a.alloc(0, p, 900, 1001)).toBe(0);
    expect(calls).toHaveLength(1);
    expect(a.alloc(0, 0, 0, 100)).toBeGreaterThan(0); // exactly at the cap
    expect(a.used.value).toBe(1000);
    a.max.value = 10; // a lowered cap still lets memory be given back
    expect(a.alloc(0, p, 900, 500)).toBeGreaterThan(0);
    expect(a.used.value).toBe(600);
  });

  it('leaves the count alone when realloc fails', () => {
    const { lua, fail } = fakeHeap();
    const a = cappedAllocator(lua);
    fail(true);
    expect(a.alloc(0, 0, 0, 64)).toBe(0);
    expect(a.used.value).toBe(0);
  });

  it('starts uncapped, and each instance has its own count', () => {
    const one = cappedAllocator(fakeHeap().lua);
    const two = cappedAllocator(fakeHeap().lua);
    expect(one.max.value).toBe(Number.POSITIVE_INFINITY);
    one.alloc(0, 0, 0, 64);
    expect(one.used.value).toBe(64);
    expect(two.used.value).toBe(0);
  });
});
