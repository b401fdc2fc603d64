import { createRequire } from 'node:module';

/**
 * An independent reference for tests: decodes with pngjs / jpeg-js (not the codec), then applies
 * the definitions of docs/agents-media.md written out plainly (L24 gray, whole-pixel area cells,
 * dHash right > left, aHash above the exact mean).
 */

const require = createRequire(import.meta.url);

export interface Grids {
  grid9x8: number[];
  grid8x8: number[];
}

function grid(gray: Uint8Array, w: number, h: number, gw: number, gh: number): number[] {
  const out: number[] = [];
  for (let ty = 0; ty < gh; ty++) {
    for (let tx = 0; tx < gw; tx++) {
      const x0 = Math.floor((tx * w) / gw);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * w) / gw));
      const y0 = Math.floor((ty * h) / gh);
      const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * h) / gh));
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += gray[y * w + x];
      const n = (x1 - x0) * (y1 - y0);
      out.push(Math.floor((s + Math.floor(n / 2)) / n));
    }
  }
  return out;
}

/** The grids of an RGBA image (8-bit channels). */
export function gridsOf(width: number, height: number, rgba: Uint8Array): Grids {
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) gray[i] = (rgba[4 * i] * 19595 + rgba[4 * i + 1] * 38470 + rgba[4 * i + 2] * 7471 + 0x8000) >> 16;
  return { grid9x8: grid(gray, width, height, 9, 8), grid8x8: grid(gray, width, height, 8, 8) };
}

/** Decodes a PNG (pngjs, 16-bit samples reduced to their high byte) or a JPEG (jpeg-js), then grids it. */
export function decodedGrid(bytes: Uint8Array): Grids {
  if (bytes[0] === 0x89) {
    const { PNG } = require('pngjs') as typeof import('pngjs');
    const img = PNG.sync.read(Buffer.from(bytes), { skipRescale: true } as never);
    const samples = img.data as unknown as Uint8Array | Uint16Array;
    // 16-bit files come back as 16-bit samples (skipRescale): keep their high byte, as the codec does
    const data = samples.BYTES_PER_ELEMENT === 2 ? Uint8Array.from(samples, (v) => v >> 8) : new Uint8Array(samples);
    return gridsOf(img.width, img.height, data);
  }
  const jpeg = require('jpeg-js') as typeof import('jpeg-js');
  const img = jpeg.decode(Buffer.from(bytes), { useTArray: true });
  return gridsOf(img.width, img.height, img.data);
}

function hex64(bits: number[]): string {
  let v = 0n;
  for (const b of bits) v = (v << 1n) | BigInt(b);
  return v.toString(16).padStart(16, '0');
}

/** dHash and aHash of grids. */
export function hashesOf(g: Grids): Grids & { dhash: string; ahash: string } {
  const d: number[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) d.push(g.grid9x8[y * 9 + x + 1] > g.grid9x8[y * 9 + x] ? 1 : 0);
  const sum = g.grid8x8.reduce((a, b) => a + b, 0);
  return { ...g, dhash: hex64(d), ahash: hex64(g.grid8x8.map((v) => (v * 64 > sum ? 1 : 0))) };
}

/** Bits that differ between two 16-hex-digit hashes. */
export function hamming(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  while (x) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}
