import { describe, expect, it } from 'vitest';
import { bootAos, evalOk } from '@ao/core';
import { blueprintLua } from '../lib/lua-libs.js';

// The registry's index must find exactly what a brute-force scan finds, in the same order.

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}
const hex = (rnd: () => number) => (rnd().toString(16).padStart(8, '0') + rnd().toString(16).padStart(8, '0')).slice(0, 16);
function flip(h: string, bits: number[]): string {
  let v = BigInt(`0x${h}`);
  for (const b of bits) v ^= 1n << BigInt(b);
  return v.toString(16).padStart(16, '0');
}
function hamming(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  for (; x; x >>= 1n) n += Number(x & 1n);
  return n;
}

describe('media registry: multi-index search over 4 × 16-bit bands', () => {
  it('finds exactly the entries a linear scan finds, nearest first, at every distance', async () => {
    const rnd = lcg(7);
    const centre = hex(rnd);
    // near copies of one hash at every distance 0..20, plus random ones
    const hashes: string[] = [];
    for (let d = 0; d <= 20; d++) {
      const bits = new Set<number>();
      while (bits.size < d) bits.add(rnd() % 64);
      hashes.push(flip(centre, [...bits]));
    }
    for (let i = 0; i < 300; i++) hashes.push(hex(rnd));
    const booted = await bootAos({ bootCode: blueprintLua('media-verifier/registry.lua') });
    await evalOk(booted, `for i, h in ipairs(${JSON.stringify(hashes).replace('[', '{').replace(/]$/, '}')}) do MediaRegistry.add({ id = "e" .. i, dhash = h, blockHeight = i % 3 }) end`);
    for (const max of [0, 1, 3, 4, 7, 10, 12, 15, 16]) {
      const out = await evalOk(booted, `local r = {} for _, f in ipairs(MediaRegistry.search("${centre}", ${max})) do r[#r + 1] = f.entry.id .. ":" .. f.distance end print(table.concat(r, ","))`);
      const expected = hashes
        .map((h, i) => ({ id: `e${i + 1}`, d: hamming(h, centre), height: (i + 1) % 3, seq: i + 1 }))
        .filter((e) => e.d <= max)
        .sort((a, b) => a.d - b.d || a.height - b.height || a.seq - b.seq)
        .map((e) => `${e.id}:${e.d}`);
      expect(out.trim().split(',').filter(Boolean), `max ${max}`).toEqual(expected);
    }
  });

  it('parses hashes, counts bits and computes the grid variance exactly', async () => {
    const booted = await bootAos({ bootCode: blueprintLua('media-verifier/registry.lua') });
    expect(await evalOk(booted, 'print(MediaRegistry.distance("ffffffffffffffff", "5555555555555555"))')).toBe('32');
    expect(await evalOk(booted, 'print(MediaRegistry.distance("0000000000000000", "ffffffffffffffff"))')).toBe('64');
    expect(await evalOk(booted, 'print(MediaRegistry.parse("xyz"), MediaRegistry.parse("00000000000000g0"))')).toBe('nil\tnil');
    // 8×8 grid of 0..63: variance (64·Σv² − (Σv)²) / 4096 = 341.25 → 341
    expect(await evalOk(booted, 'local g = {} for i = 1, 64 do g[i] = i - 1 end print(MediaRegistry.variance(g))')).toBe('341');
    expect(await evalOk(booted, 'local g = {} for i = 1, 64 do g[i] = 128 end print(MediaRegistry.variance(g))')).toBe('0');
  });
});
