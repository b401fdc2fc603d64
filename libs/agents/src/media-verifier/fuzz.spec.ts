import { beforeAll, describe, expect, it } from 'vitest';
import { WasmLibrary } from '@ao/core';
import { mediaCodecModule } from './codec.js';
import { encodeJpeg, encodePng, encodeProgressiveJpeg, rawPng, syntheticPhoto } from './fixtures.js';

// Mutated files through the codec as the CU runs it (instrumented, fuel-capped): every call must
// end with a JSON answer or a clean library failure — never a hang, a host exception or a crash.

const FUEL = 2_000_000_000;
let codec: WasmLibrary;
beforeAll(async () => {
  codec = await WasmLibrary.load(mediaCodecModule('codec-id-000000000000000000000000000000000', 'owner'), 256 * 1024 * 1024);
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

function mutate(bytes: Uint8Array, rnd: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  switch (rnd() % 4) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + (rnd() % 8); i < n; i++) out[rnd() % out.length] ^= 1 << (rnd() % 8);
      return out;
    case 1: // truncate
      return out.subarray(0, rnd() % out.length);
    case 2: // overwrite a run with random bytes
      for (let i = rnd() % out.length, n = 1 + (rnd() % 64); n > 0 && i < out.length; i++, n--) out[i] = rnd() & 0xff;
      return out;
    default: // set a header byte (sizes, types, table ids) to an extreme
      out[rnd() % Math.min(out.length, 700)] = rnd() % 2 ? 0xff : 0;
      return out;
  }
}

describe('media codec fuzz', () => {
  it('survives 600 mutated PNG and JPEG files with an answer or a clean failure each', async () => {
    const photo = syntheticPhoto(48, 40, 11);
    const seeds = [
      encodePng(photo),
      encodePng(photo, { colorType: 2, interlace: true }),
      encodePng(photo, { colorType: 0, bitDepth: 16 }),
      rawPng({ width: 5, height: 3, colorType: 3, bitDepth: 8, rows: [new Uint8Array([0, 1, 2, 3, 4]), new Uint8Array(5), new Uint8Array(5)], palette: [[1, 2, 3], [4, 5, 6]] }),
      encodeJpeg(photo, 75),
      await encodeProgressiveJpeg(photo, 70),
    ];
    const rnd = lcg(2026);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const file = mutate(seeds[i % seeds.length], rnd);
      const out = codec.call('analyze', new TextEncoder().encode('maxPixels=4000000'), file, FUEL);
      let key: string;
      if (out.ok) {
        const answer = JSON.parse(new TextDecoder().decode(out.output)) as { ok: boolean; error?: string };
        key = answer.ok ? 'decoded' : `refused:${answer.error}`;
      } else {
        key = out.outOfFuel ? 'out of fuel' : 'library failure';
      }
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    // every call ended; most mutations are caught as corrupt, some still decode (e.g. a flipped pixel byte)
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(600);
    expect(outcomes.decoded).toBeGreaterThan(0);
    expect(outcomes['refused:corrupt']).toBeGreaterThan(0);
    expect(outcomes['out of fuel'] ?? 0).toBe(0);
  }, 120_000);
});
