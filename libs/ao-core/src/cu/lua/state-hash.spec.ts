import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UNHASHABLE_STATE } from './lua-process.js';
import { bootAos, evalOk } from './testing.js';

/** Evaluates the same code in two fresh processes and returns both state hashes (the double replay). */
async function hashesAfter(code: string, limits?: { memoryBytes: number }): Promise<[string, string]> {
  const hashes: string[] = [];
  for (let i = 0; i < 2; i++) {
    const booted = await bootAos(limits ? { limits } : {});
    await evalOk(booted, code);
    hashes.push(await booted.process.stateHash());
    booted.process.close();
  }
  return [hashes[0], hashes[1]];
}

describe('state hash: linear and bounded', () => {
  it('hashes a state of nested table keys (the ~3^depth bomb) once per table', async () => {
    // v1 re-serialized table keys at every comparison: this state never finished hashing
    const [a, b] = await hashesAfter('local L={} for i=1,40 do L={[{L}]=true,[{L,1}]=true} end X=L');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).toBe(b);
    const [other] = await hashesAfter('local L={} for i=1,39 do L={[{L}]=true,[{L,1}]=true} end X=L');
    expect(other).not.toBe(a);
  });

  it('orders table keys independently of insertion order', async () => {
    const [forward] = await hashesAfter('X = {} local a, b = {1}, {2} X[a] = "a" X[b] = "b"');
    const [backward] = await hashesAfter('X = {} local a, b = {1}, {2} X[b] = "b" X[a] = "a"');
    expect(forward).toBe(backward);
  });

  it('writes a long string referenced many times once', async () => {
    const [a, b] = await hashesAfter('local s = ("x"):rep(4096) X = {} for i = 1, 100000 do X[i] = s end');
    expect(a).toBe(b);
  });

  it('gives a state it cannot serialize within its bounds a fixed sentinel, the same on every replay', async () => {
    // Deeper than the serializer's stack allows: a deterministic outcome, not a crash.
    const code = 'local t = {} X = t for i = 1, 300000 do local n = {} t[1] = n t = n end';
    const [a, b] = await hashesAfter(code);
    expect(a).toBe(b);
    const sentinels = ['out-of-gas', 'out-of-memory', 'error'].map((why) => createHash('sha256').update(UNHASHABLE_STATE + why).digest('hex'));
    expect(sentinels).toContain(a);
  });
});
