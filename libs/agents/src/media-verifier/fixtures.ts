import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Test images made in code, never downloaded: a synthetic "photo" (gradients, shapes, texture;
 * integer maths only, so the pixels are the same everywhere), its re-encodings and resizes, and
 * the small images of the golden hashes. Encoders: pngjs and jpeg-js (baseline), mozjpeg through
 * @jsquash/jpeg (progressive). Development dependencies: tests, benches and tools only.
 */

const require = createRequire(import.meta.url);

/** An RGBA image. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A deterministic 32-bit LCG (Numerical Recipes constants). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/** A synthetic photo: a two-axis colour gradient, eight filled discs and rectangles, fine texture. */
export function syntheticPhoto(width: number, height: number, seed = 1): Rgba {
  const rnd = lcg(seed);
  const shapes = Array.from({ length: 8 }, () => ({
    disc: rnd() % 2 === 0,
    cx: rnd() % width,
    cy: rnd() % height,
    r: 8 + (rnd() % Math.max(9, Math.floor(Math.min(width, height) / 3))),
    rgb: [rnd() % 256, rnd() % 256, rnd() % 256],
  }));
  const base = [rnd() % 128, rnd() % 128, rnd() % 128];
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let rgb = [base[0] + Math.floor((x * 127) / width), base[1] + Math.floor((y * 127) / height), base[2] + Math.floor(((x + y) * 63) / (width + height))];
      for (const s of shapes) {
        const dx = x - s.cx;
        const dy = y - s.cy;
        const inside = s.disc ? dx * dx + dy * dy <= s.r * s.r : Math.abs(dx) <= s.r && Math.abs(dy) <= Math.floor(s.r / 2);
        if (inside) rgb = s.rgb.slice();
      }
      const texture = ((x * 7 + y * 13) % 11) - 5;
      const i = 4 * (y * width + x);
      for (let c = 0; c < 3; c++) data[i + c] = Math.max(0, Math.min(255, rgb[c] + texture));
      data[i + 3] = 255;
    }
  }
  return { width, height, data };
}

/** Each 2×2 block averaged (rounded half up): the image resized by half. */
export function halve(img: Rgba): Rgba {
  const width = Math.floor(img.width / 2);
  const height = Math.floor(img.height / 2);
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        const at = (xx: number, yy: number) => img.data[4 * (yy * img.width + xx) + c];
        data[4 * (y * width + x) + c] = (at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1) + 2) >> 2;
      }
    }
  }
  return { width, height, data };
}

/** An image from a gray value per pixel. */
export function grayImage(width: number, height: number, value: (x: number, y: number) => number): Rgba {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = value(x, y);
      data.set([v, v, v, 255], 4 * (y * width + x));
    }
  }
  return { width, height, data };
}

/** A single-colour image. */
export function flatImage(width: number, height: number, rgb: [number, number, number]): Rgba {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], 4 * i);
  return { width, height, data };
}

interface PngOptions {
  colorType?: 0 | 2 | 4 | 6;
  bitDepth?: 8 | 16;
  interlace?: boolean;
}

/** PNG bytes (pngjs 7; colour type 6 by default). */
export function encodePng(img: Rgba, options: PngOptions = {}): Buffer {
  const { PNG } = require('pngjs') as typeof import('pngjs');
  let data: Buffer = Buffer.from(img.data);
  if (options.bitDepth === 16) {
    // pngjs takes 16-bit input as 2 bytes per channel, big-endian in the file: v × 257 keeps the high byte
    const wide = Buffer.alloc(img.data.length * 2);
    for (let i = 0; i < img.data.length; i++) wide.writeUInt16LE(img.data[i] * 257, 2 * i);
    data = wide;
  }
  return PNG.sync.write(
    { width: img.width, height: img.height, data } as never,
    { colorType: options.colorType ?? 6, bitDepth: options.bitDepth ?? 8, inputColorType: 6, inputHasAlpha: true, ...(options.interlace ? { interlace: true } : {}) } as never,
  );
}

/** Baseline JPEG bytes (jpeg-js 0.4.4, 4:2:0). */
export function encodeJpeg(img: Rgba, quality: number): Buffer {
  const jpeg = require('jpeg-js') as typeof import('jpeg-js');
  return jpeg.encode({ width: img.width, height: img.height, data: Buffer.from(img.data) }, quality).data;
}

type MozEncode = (data: { data: Uint8ClampedArray; width: number; height: number }, options?: Record<string, unknown>) => Promise<ArrayBuffer>;
let mozjpeg: Promise<MozEncode> | undefined;

/** Progressive JPEG bytes (mozjpeg through @jsquash/jpeg, optimized Huffman tables, 4:2:0). */
export async function encodeProgressiveJpeg(img: Rgba, quality: number, options: Record<string, unknown> = {}): Promise<Buffer> {
  mozjpeg ??= (async () => {
    const dir = dirname(require.resolve('@jsquash/jpeg/encode.js'));
    const mod = (await import(join(dir, 'encode.js'))) as { init: (m: unknown) => Promise<void>; default: MozEncode };
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => unknown } }).WebAssembly;
    await mod.init(new wasm.Module(readFileSync(join(dir, 'codec/enc/mozjpeg_enc.wasm'))));
    return mod.default;
  })();
  const encode = await mozjpeg;
  const out = await encode({ data: new Uint8ClampedArray(img.data), width: img.width, height: img.height }, { quality, progressive: true, ...options });
  return Buffer.from(out);
}

/** The photo set of the golden scenarios: the original PNG, its re-encodings and resizes, and an unrelated photo. */
export async function photoSet(width = 512, height = 384) {
  const photo = syntheticPhoto(width, height, 1);
  const half = halve(photo);
  return {
    original: encodePng(photo),
    jpegQ90: encodeJpeg(photo, 90),
    jpegQ50: encodeJpeg(photo, 50),
    progressive: await encodeProgressiveJpeg(photo, 75),
    halfPng: encodePng(half),
    halfJpeg: encodeJpeg(half, 80),
    unrelated: encodePng(syntheticPhoto(width, height, 2)),
  };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** What a hand-made PNG holds: its header fields, its (unfiltered) rows of samples, a palette. */
export interface RawPng {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Rows as packed sample bytes (filter type 0 is added), already in the bit depth. */
  rows?: Uint8Array[];
  /** The zlib stream as is (for corrupt and bomb fixtures); replaces `rows`. */
  idat?: Uint8Array;
  palette?: Array<[number, number, number]>;
}

/** A PNG written by hand, for what pngjs cannot write (palettes, 1/2/4-bit gray) and for broken files. */
export function rawPng(png: RawPng): Buffer {
  const { deflateSync } = require('node:zlib') as typeof import('node:zlib');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(png.width, 0);
  ihdr.writeUInt32BE(png.height, 4);
  ihdr[8] = png.bitDepth;
  ihdr[9] = png.colorType;
  const parts = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr)];
  if (png.palette) parts.push(chunk('PLTE', Buffer.from(png.palette.flat())));
  const idat = png.idat ?? deflateSync(Buffer.concat((png.rows ?? []).map((r) => Buffer.concat([Buffer.from([0]), r]))));
  parts.push(chunk('IDAT', idat), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** Packs samples (each < 2^depth) of one row, most significant bits first. */
export function packRow(samples: number[], depth: 1 | 2 | 4 | 8): Uint8Array {
  const out = new Uint8Array(Math.ceil((samples.length * depth) / 8));
  samples.forEach((s, i) => {
    const bit = i * depth;
    out[bit >> 3] |= s << (8 - depth - (bit & 7));
  });
  return out;
}
