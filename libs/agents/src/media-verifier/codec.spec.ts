import { beforeAll, describe, expect, it } from 'vitest';
import { WasmLibrary } from '@ao/core';
import { mediaCodecModule } from './codec.js';
import { encodeJpeg, encodePng, encodeProgressiveJpeg, flatImage, grayImage, packRow, photoSet, rawPng, syntheticPhoto } from './fixtures.js';
import { decodedGrid, hashesOf, hamming } from './oracle.js';

// The codec as the CU runs it: instrumented, metered, a fresh instance per call.
let codec: WasmLibrary;
beforeAll(async () => {
  codec = await WasmLibrary.load(mediaCodecModule('codec-id-000000000000000000000000000000000', 'owner'), 512 * 1024 * 1024);
});

interface Analysis {
  ok: boolean;
  sha256: string;
  size: number;
  format: string;
  width: number;
  height: number;
  dhash?: string;
  ahash?: string;
  grid9x8?: number[];
  grid8x8?: number[];
  error?: string;
  reason?: string;
}

function analyze(bytes: Uint8Array, maxPixels = 25_000_000, fuel = 1e11): Analysis {
  const out = codec.call('analyze', new TextEncoder().encode(`maxPixels=${maxPixels}`), bytes, fuel);
  if (!out.ok) throw new Error(out.error);
  return JSON.parse(new TextDecoder().decode(out.output)) as Analysis;
}

describe('media codec: golden hashes (hand-computed, docs/agents-media.md)', () => {
  it('a 9×8 horizontal ramp px = 10x + row: dHash all ones (right > left), aHash 0f0f…', () => {
    const a = analyze(encodePng(grayImage(9, 8, (x, y) => 10 * x + y), { colorType: 0 }));
    expect(a.dhash).toBe('ffffffffffffffff');
    // 8×8 cells: x boxes [0,1)…[6,7), [7,9): 10x + y, the last (75 + y); mean 39.125 → the 4 right cells of each row
    expect(a.ahash).toBe('0f0f0f0f0f0f0f0f');
  });

  it('alternating columns 200/50: dHash 5555…, aHash aaaa…, 32 bits from the ramp on both', () => {
    const a = analyze(encodePng(grayImage(9, 8, (x) => (x % 2 === 0 ? 200 : 50)), { colorType: 0 }));
    expect(a.dhash).toBe('5555555555555555');
    // last cell averages 50 and 200 → 125, under the mean 134.375
    expect(a.ahash).toBe('aaaaaaaaaaaaaaaa');
    expect(hamming(a.dhash!, 'ffffffffffffffff')).toBe(32);
    expect(hamming(a.ahash!, '0f0f0f0f0f0f0f0f')).toBe(32);
  });

  it('an 8×8 image px = index: aHash 00000000ffffffff (above the mean 31.5)', () => {
    expect(analyze(encodePng(grayImage(8, 8, (x, y) => 8 * y + x), { colorType: 0 })).ahash).toBe('00000000ffffffff');
  });

  it('converts named colours to gray with L24: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16', () => {
    const gray = (rgb: [number, number, number]) => analyze(encodePng(flatImage(1, 1, rgb), { colorType: 2 })).grid8x8![0];
    expect(gray([100, 150, 200])).toBe(141); // a float formula gives 140.75
    expect(gray([255, 0, 0])).toBe(76);
    expect(gray([0, 255, 0])).toBe(150);
    expect(gray([0, 0, 255])).toBe(29);
    expect(gray([255, 255, 255])).toBe(255);
    expect(gray([0, 0, 0])).toBe(0);
  });

  it('gives a flat image a flat grid (the verifier calls it low-detail) and zero hashes', () => {
    const a = analyze(encodePng(flatImage(64, 48, [128, 128, 128])));
    expect(new Set(a.grid8x8)).toEqual(new Set([128]));
    expect(a.dhash).toBe('0000000000000000');
    expect(a.ahash).toBe('0000000000000000');
  });
});

describe('media codec: decoders against independent decoders', () => {
  const photo = syntheticPhoto(203, 157, 7);

  it('decodes PNG of every colour type, bit depth and interlacing like pngjs (exact grids)', () => {
    const variants: Array<Parameters<typeof encodePng>[1]> = [
      { colorType: 6 }, { colorType: 2 }, { colorType: 0 }, { colorType: 4 }, { colorType: 6, bitDepth: 16 }, { colorType: 2, bitDepth: 16 },
      { colorType: 0, bitDepth: 16 }, { colorType: 2, interlace: true }, { colorType: 6, interlace: true, bitDepth: 16 },
    ];
    for (const v of variants) {
      const png = encodePng(photo, v);
      const a = analyze(png);
      const expected = hashesOf(decodedGrid(png));
      expect({ v, ok: a.ok, dhash: a.dhash, ahash: a.ahash, grid: a.grid9x8 }).toEqual({ v, ok: true, dhash: expected.dhash, ahash: expected.ahash, grid: expected.grid9x8 });
    }
  });

  it('decodes palette and 1/2/4-bit gray PNGs (samples scaled ×255, ×85, ×17)', () => {
    const palette: Array<[number, number, number]> = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [100, 150, 200]];
    const rows = Array.from({ length: 8 }, (_, y) => packRow(Array.from({ length: 9 }, (_, x) => (x + y) % 4), 2));
    const p = analyze(rawPng({ width: 9, height: 8, colorType: 3, bitDepth: 2, rows, palette }));
    expect(p.grid9x8!.slice(0, 4)).toEqual([76, 150, 29, 141]);
    for (const [depth, scale] of [[1, 255], [2, 85], [4, 17]] as const) {
      const max = (1 << depth) - 1;
      const g = analyze(rawPng({ width: 9, height: 8, colorType: 0, bitDepth: depth, rows: Array.from({ length: 8 }, () => packRow(Array.from({ length: 9 }, (_, x) => x % (max + 1)), depth)) }));
      expect(g.grid9x8!.slice(0, 2)).toEqual([0, Math.min(1, max) * scale]);
    }
  });

  it('decodes baseline JPEG (jpeg-js) and progressive JPEG (mozjpeg) within one gray level of their decoders', async () => {
    for (const jpg of [encodeJpeg(photo, 90), encodeJpeg(photo, 40), await encodeProgressiveJpeg(photo, 75), await encodeProgressiveJpeg(photo, 60, { auto_subsample: false, chroma_subsample: 1 })]) {
      const a = analyze(jpg);
      expect(a.ok).toBe(true);
      const ref = decodedGrid(jpg);
      expect(Math.max(...a.grid8x8!.map((v, i) => Math.abs(v - ref.grid8x8[i])))).toBeLessThanOrEqual(1);
      expect(hamming(a.dhash!, hashesOf(ref).dhash)).toBeLessThanOrEqual(2);
    }
  });
});

describe('media codec: the photo set of the golden scenarios', () => {
  it('keeps re-encodings and resizes within a few bits of the original and an unrelated photo far away', async () => {
    const set = await photoSet();
    const a = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, analyze(v)]));
    const d = (k: string) => hamming(a[k].dhash!, a.original.dhash!);
    for (const k of ['jpegQ90', 'jpegQ50', 'progressive', 'halfPng', 'halfJpeg']) expect(d(k), k).toBeLessThanOrEqual(6);
    expect(d('unrelated')).toBeGreaterThan(16);
    expect(a.original).toMatchObject({ format: 'png', width: 512, height: 384 });
    expect(a.halfJpeg).toMatchObject({ format: 'jpeg', width: 256, height: 192 });
  });
});

describe('media codec: bad input', () => {
  const png = encodePng(syntheticPhoto(64, 48, 3));
  const jpg = encodeJpeg(syntheticPhoto(64, 48, 3), 80);

  it('answers a clear error for each kind of bad file, with the content hash', () => {
    const cases: Array<[string, Uint8Array, string]> = [
      ['not an image', new TextEncoder().encode('hello, world'), 'unsupported'],
      ['empty', new Uint8Array(0), 'unsupported'],
      ['truncated PNG', png.subarray(0, Math.floor(png.length / 2)), 'corrupt'],
      ['truncated JPEG', jpg.subarray(0, Math.floor(jpg.length / 2)), 'corrupt'],
      ['PNG 0×0', rawPng({ width: 0, height: 0, colorType: 0, bitDepth: 8, rows: [] }), 'empty'],
      ['PNG bomb: 100000×100000 declared', rawPng({ width: 100_000, height: 100_000, colorType: 0, bitDepth: 8, idat: new Uint8Array([120, 156, 3, 0, 0, 0, 0, 1]) }), 'too-large'],
      ['PNG without data', rawPng({ width: 4, height: 4, colorType: 0, bitDepth: 8, idat: new Uint8Array(0) }), 'corrupt'],
      ['JPEG header only', Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'corrupt'],
    ];
    for (const [what, bytes, code] of cases) {
      const a = analyze(bytes);
      expect({ what, ok: a.ok, error: a.error }).toEqual({ what, ok: false, error: code });
      expect(a.reason).toBeTruthy();
      expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('stops a decompression bomb within its declared size: 4000×4000 of zeros from a 16 KB stream decodes under the pixel cap, refused over it', () => {
    const rows = Array.from({ length: 4000 }, () => new Uint8Array(4000));
    const bomb = rawPng({ width: 4000, height: 4000, colorType: 0, bitDepth: 8, rows });
    expect(bomb.length).toBeLessThan(40_000);
    expect(analyze(bomb, 1_000_000)).toMatchObject({ ok: false, error: 'too-large' });
    const out = codec.call('analyze', new TextEncoder().encode('maxPixels=25000000'), bomb, 1e11);
    expect(out.ok).toBe(true);
  });

  it('matches the content hash computed by Node', async () => {
    const { createHash } = await import('node:crypto');
    for (const bytes of [png, jpg, new Uint8Array(0), new Uint8Array(1000).fill(7)]) {
      expect(analyze(bytes).sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});
