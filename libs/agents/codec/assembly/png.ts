// PNG (ISO/IEC 15948): every colour type and bit depth, Adam7 interlacing. Pixels go straight to
// gray (see gray.ts); alpha is ignored, 16-bit samples keep their high byte, 1/2/4-bit gray is
// scaled to 0..255 (×255, ×85, ×17), palette entries go through the same luma.
import { alloc } from "./mem";
import { Hasher, luma } from "./gray";
import { Inflater, Sink } from "./inflate";
import { Result } from "./result";

// @ts-ignore: decorator
@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

const PASS_X: StaticArray<i32> = [0, 4, 0, 2, 0, 1, 0];
const PASS_Y: StaticArray<i32> = [0, 0, 4, 0, 2, 0, 1];
const STEP_X: StaticArray<i32> = [8, 8, 4, 4, 2, 2, 1];
const STEP_Y: StaticArray<i32> = [8, 8, 8, 4, 4, 2, 2];

class Rows extends Sink {
  channels: i32;
  bpp: i32;
  prev: usize = 0;
  cur: usize = 0;
  gray: usize = 0;
  plane: usize = 0;
  pass: i32 = 0;
  passW: i32 = 0;
  passH: i32 = 0;
  passRow: i32 = 0;
  rowBytes: i32 = 0;
  error: string = "";

  constructor(
    public width: i32,
    public height: i32,
    public depth: i32,
    public colour: i32,
    public interlaced: bool,
    public palette: StaticArray<u8>,
    public hasher: Hasher,
  ) {
    super();
    this.channels = colour == 0 ? 1 : colour == 2 ? 3 : colour == 3 ? 1 : colour == 4 ? 2 : 4;
    const bits = this.channels * depth;
    this.bpp = bits < 8 ? 1 : bits >> 3;
  }

  /** Bytes of one filtered row of `w` pixels. */
  rowLength(w: i32): i32 {
    return <i32>((<i64>w * this.channels * this.depth + 7) >> 3);
  }

  /** Allocates the row buffers; false when over budget. */
  init(): bool {
    const full = this.rowLength(this.width);
    this.prev = alloc(full + 1);
    this.cur = alloc(full + 1);
    this.gray = alloc(this.width);
    if (this.interlaced) this.plane = alloc(<i64>this.width * this.height);
    if (this.prev == 0 || this.cur == 0 || this.gray == 0 || (this.interlaced && this.plane == 0)) return false;
    if (this.interlaced) {
      this.pass = -1;
      this.nextPass();
    } else {
      this.passW = this.width;
      this.passH = this.height;
      this.rowBytes = full;
    }
    return true;
  }

  private nextPass(): void {
    for (;;) {
      this.pass++;
      if (this.pass >= 7) {
        this.done = true;
        return;
      }
      const p = this.pass;
      this.passW = (this.width - PASS_X[p] + STEP_X[p] - 1) / STEP_X[p];
      this.passH = (this.height - PASS_Y[p] + STEP_Y[p] - 1) / STEP_Y[p];
      if (this.passW > 0 && this.passH > 0) break;
    }
    this.passRow = 0;
    this.rowBytes = this.rowLength(this.passW);
    memory.fill(this.prev, 0, <usize>this.rowBytes);
  }

  consume(buf: usize, from: i32, to: i32): i32 {
    while (!this.done && to - from >= this.rowBytes + 1) {
      if (!this.unfilter(buf + <usize>from)) {
        this.done = true;
        return from;
      }
      from += this.rowBytes + 1;
      this.toGray(this.passW);
      if (this.interlaced) {
        const p = this.pass;
        const y = PASS_Y[p] + this.passRow * STEP_Y[p];
        const line = this.plane + <usize>y * <usize>this.width;
        for (let i = 0; i < this.passW; i++) {
          store<u8>(line + <usize>(PASS_X[p] + i * STEP_X[p]), load<u8>(this.gray + <usize>i));
        }
      } else {
        this.hasher.addRow(this.passRow, this.gray);
      }
      const t = this.prev;
      this.prev = this.cur;
      this.cur = t;
      this.passRow++;
      if (this.passRow >= this.passH) {
        if (this.interlaced) this.nextPass();
        else this.done = true;
      }
    }
    return from;
  }

  /** Undoes the row's filter into `cur` (the previous row, unfiltered, is in `prev`). */
  private unfilter(src: usize): bool {
    const f = load<u8>(src);
    const s = src + 1;
    const cur = this.cur;
    const prev = this.prev;
    const n = <usize>this.rowBytes;
    const bpp = <usize>this.bpp;
    if (f == 0) {
      memory.copy(cur, s, n);
    } else if (f == 1) {
      for (let i: usize = 0; i < n; i++) {
        const a: u32 = i >= bpp ? load<u8>(cur + i - bpp) : 0;
        store<u8>(cur + i, <u8>(load<u8>(s + i) + a));
      }
    } else if (f == 2) {
      for (let i: usize = 0; i < n; i++) store<u8>(cur + i, <u8>(load<u8>(s + i) + load<u8>(prev + i)));
    } else if (f == 3) {
      for (let i: usize = 0; i < n; i++) {
        const a: u32 = i >= bpp ? load<u8>(cur + i - bpp) : 0;
        store<u8>(cur + i, <u8>(load<u8>(s + i) + ((a + <u32>load<u8>(prev + i)) >> 1)));
      }
    } else if (f == 4) {
      for (let i: usize = 0; i < n; i++) {
        const a: i32 = i >= bpp ? load<u8>(cur + i - bpp) : 0;
        const b: i32 = load<u8>(prev + i);
        const c: i32 = i >= bpp ? load<u8>(prev + i - bpp) : 0;
        const p = a + b - c;
        const pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
        const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        store<u8>(cur + i, <u8>(<i32>load<u8>(s + i) + pred));
      }
    } else {
      this.error = "bad row filter";
      return false;
    }
    return true;
  }

  /** Converts the unfiltered row (`w` pixels in `cur`) to gray bytes in `gray`. */
  private toGray(w: i32): void {
    const cur = this.cur;
    const g = this.gray;
    const d = this.depth;
    const ct = this.colour;
    if (d < 8) {
      const perByte = 8 / d;
      const mask: u32 = (1 << d) - 1;
      const scale: u32 = d == 1 ? 255 : d == 2 ? 85 : 17;
      for (let i = 0; i < w; i++) {
        const byte: u32 = load<u8>(cur + <usize>(i / perByte));
        const shift = 8 - d * (i % perByte + 1);
        const v = (byte >> shift) & mask;
        store<u8>(g + <usize>i, <u8>(ct == 3 ? this.paletteGray(v) : v * scale));
      }
      return;
    }
    const step = <usize>(d >> 3);
    const px = step * <usize>this.channels;
    let p = cur;
    for (let i = 0; i < w; i++) {
      let v: u32;
      if (ct == 0 || ct == 4) v = load<u8>(p);
      else if (ct == 3) v = this.paletteGray(load<u8>(p));
      else v = luma(load<u8>(p), load<u8>(p + step), load<u8>(p + 2 * step));
      store<u8>(g + <usize>i, <u8>v);
      p += px;
    }
  }

  // @ts-ignore: decorator
  @inline private paletteGray(index: u32): u32 {
    return <u32>unchecked(this.palette[<i32>index]);
  }
}

function validDepth(colour: i32, depth: i32): bool {
  if (colour == 0) return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
  if (colour == 3) return depth == 1 || depth == 2 || depth == 4 || depth == 8;
  if (colour == 2 || colour == 4 || colour == 6) return depth == 8 || depth == 16;
  return false;
}

/** Decodes a PNG into `r` (format, size, grids); sets r.error on failure. */
export function decodePng(data: usize, len: i32, maxPixels: i64, r: Result): void {
  r.format = "png";
  if (len < 33 || be32(data + 8) != 13 || be32(data + 12) != 0x49484452) {
    r.fail("corrupt", "the PNG has no IHDR chunk first");
    return;
  }
  const h = data + 16;
  const width = be32(h);
  const height = be32(h + 4);
  const depth = <i32>load<u8>(h + 8);
  const colour = <i32>load<u8>(h + 9);
  const interlace = <i32>load<u8>(h + 12);
  r.width = width;
  r.height = height;
  if (width == 0 || height == 0) {
    r.fail("empty", "the image has no pixels (" + width.toString() + "x" + height.toString() + ")");
    return;
  }
  if (width > 0x7fffffff || height > 0x7fffffff || <i64>width * <i64>height > maxPixels) {
    r.fail("too-large", "the image has " + (<u64>width * <u64>height).toString() + " pixels, more than maxPixels " + maxPixels.toString());
    return;
  }
  if (!validDepth(colour, depth) || load<u8>(h + 10) != 0 || load<u8>(h + 11) != 0 || interlace > 1) {
    r.fail("unsupported", "unsupported PNG header (colour type " + colour.toString() + ", bit depth " + depth.toString() + ")");
    return;
  }
  // collect the IDAT data and the palette
  const palette = new StaticArray<u8>(256);
  let paletteSize = 0;
  const idat = alloc(len);
  if (idat == 0) {
    r.fail("too-large", "not enough memory for the compressed data");
    return;
  }
  let idatLen = 0;
  let p = data + 8;
  const end = data + <usize>len;
  while (p + 8 <= end) {
    const clen = be32(p);
    const type = be32(p + 4);
    const body = p + 8;
    const avail = <u32>(end - body);
    const n = clen < avail ? clen : avail;
    if (type == 0x49444154) {
      memory.copy(idat + <usize>idatLen, body, <usize>n);
      idatLen += <i32>n;
    } else if (type == 0x504c5445) {
      paletteSize = <i32>(n / 3);
      if (paletteSize > 256) paletteSize = 256;
      for (let i = 0; i < paletteSize; i++) {
        const q = body + <usize>(i * 3);
        palette[i] = <u8>luma(load<u8>(q), load<u8>(q + 1), load<u8>(q + 2));
      }
    } else if (type == 0x49454e44) break;
    if (clen >= avail) break;
    p = body + <usize>clen + 4;
  }
  if (colour == 3 && paletteSize == 0) {
    r.fail("corrupt", "a palette image without a PLTE chunk");
    return;
  }
  if (idatLen == 0) {
    r.fail("corrupt", "the PNG has no image data");
    return;
  }
  const hasher = new Hasher(<i32>width, <i32>height);
  const rows = new Rows(<i32>width, <i32>height, depth, colour, interlace == 1, palette, hasher);
  if (!rows.init()) {
    r.fail("too-large", "not enough memory to decode the image");
    return;
  }
  const inflater = new Inflater(idat, idatLen, rows.rowLength(<i32>width) + 1, rows);
  const ok = inflater.run();
  if (rows.error.length) {
    r.fail("corrupt", rows.error);
    return;
  }
  if (!ok) {
    r.fail(inflater.error == "too-large" ? "too-large" : "corrupt", inflater.error);
    return;
  }
  if (rows.interlaced) {
    for (let y = 0; y < <i32>height; y++) hasher.addRow(y, rows.plane + <usize>y * <usize>width);
  }
  r.finish(hasher);
}
