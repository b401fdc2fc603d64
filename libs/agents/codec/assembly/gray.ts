// Gray conversion, the integer area resize and the 64-bit hashes (see ../README.md for the
// definitions, which the goldens pin).

/** Pillow's L24 luma: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16, exact in integers. */
// @ts-ignore: decorator
@inline export function luma(r: u32, g: u32, b: u32): u32 {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/**
 * A W×H gray image reduced to w×h cells, fed one row at a time. Cell (tx, ty) averages the whole
 * source pixels x in [⌊tx·W/w⌋, ⌊(tx+1)·W/w⌋) and y in [⌊ty·H/h⌋, ⌊(ty+1)·H/h⌋), a range widened
 * to one pixel when it is empty (images smaller than the grid); value = ⌊(sum + ⌊n/2⌋) / n⌋.
 */
export class Grid {
  x0: StaticArray<i32>;
  x1: StaticArray<i32>;
  y0: StaticArray<i32>;
  y1: StaticArray<i32>;
  sums: StaticArray<u64>;
  rowSums: StaticArray<u64>;

  constructor(public w: i32, public h: i32, W: i32, H: i32) {
    this.x0 = new StaticArray<i32>(w);
    this.x1 = new StaticArray<i32>(w);
    this.y0 = new StaticArray<i32>(h);
    this.y1 = new StaticArray<i32>(h);
    this.sums = new StaticArray<u64>(w * h);
    this.rowSums = new StaticArray<u64>(w);
    for (let i = 0; i < w; i++) {
      const a = <i32>((<i64>i * W) / w);
      let b = <i32>((<i64>(i + 1) * W) / w);
      if (b <= a) b = a + 1;
      this.x0[i] = a;
      this.x1[i] = b;
    }
    for (let i = 0; i < h; i++) {
      const a = <i32>((<i64>i * H) / h);
      let b = <i32>((<i64>(i + 1) * H) / h);
      if (b <= a) b = a + 1;
      this.y0[i] = a;
      this.y1[i] = b;
    }
  }

  /** Adds source row `y` (W gray bytes at `row`). */
  addRow(y: i32, row: usize): void {
    const w = this.w;
    let any = false;
    for (let ty = 0; ty < this.h; ty++) {
      if (y >= unchecked(this.y0[ty]) && y < unchecked(this.y1[ty])) { any = true; break; }
    }
    if (!any) return;
    for (let tx = 0; tx < w; tx++) {
      let s: u32 = 0;
      const end = row + <usize>unchecked(this.x1[tx]);
      for (let p = row + <usize>unchecked(this.x0[tx]); p < end; p++) s += load<u8>(p);
      unchecked(this.rowSums[tx] = s);
    }
    for (let ty = 0; ty < this.h; ty++) {
      if (y < unchecked(this.y0[ty]) || y >= unchecked(this.y1[ty])) continue;
      const base = ty * w;
      for (let tx = 0; tx < w; tx++) unchecked(this.sums[base + tx] += unchecked(this.rowSums[tx]));
    }
  }

  /** The cell values, row-major. */
  values(): StaticArray<i32> {
    const out = new StaticArray<i32>(this.w * this.h);
    for (let ty = 0; ty < this.h; ty++) {
      for (let tx = 0; tx < this.w; tx++) {
        const n = <u64>(this.x1[tx] - this.x0[tx]) * <u64>(this.y1[ty] - this.y0[ty]);
        out[ty * this.w + tx] = <i32>((this.sums[ty * this.w + tx] + n / 2) / n);
      }
    }
    return out;
  }
}

const HEX = "0123456789abcdef";

function hex64(v: u64): string {
  let out = "";
  for (let s = 60; s >= 0; s -= 4) out += HEX.charAt(<i32>((v >> <u64>s) & 15));
  return out;
}

/** dHash of a 9×8 grid: bit = right > left, row-major, first bit most significant. */
export function dhash(g: StaticArray<i32>): string {
  let v: u64 = 0;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) v = (v << 1) | (g[y * 9 + x + 1] > g[y * 9 + x] ? 1 : 0);
  }
  return hex64(v);
}

/** aHash of an 8×8 grid: bit = 64·px > Σpx (px above the exact mean), same order. */
export function ahash(g: StaticArray<i32>): string {
  let sum: i64 = 0;
  for (let i = 0; i < 64; i++) sum += g[i];
  let v: u64 = 0;
  for (let i = 0; i < 64; i++) v = (v << 1) | (<i64>g[i] * 64 > sum ? 1 : 0);
  return hex64(v);
}

/** Feeds both grids (9×8 for dHash, 8×8 for aHash) from gray rows. */
export class Hasher {
  d: Grid;
  a: Grid;
  constructor(W: i32, H: i32) {
    this.d = new Grid(9, 8, W, H);
    this.a = new Grid(8, 8, W, H);
  }
  addRow(y: i32, row: usize): void {
    this.d.addRow(y, row);
    this.a.addRow(y, row);
  }
}
