// JPEG (ITU T.81): baseline and extended Huffman (SOF0/1) and progressive (SOF2), 8-bit, 1 or 3
// components, any sampling factors up to 4, restart intervals. Coefficients are kept for the
// whole image (progressive scans refine them), then each MCU row goes through the integer IDCT
// (idct.ts), chroma is upsampled by replication and YCbCr becomes RGB with the integer formula
// of ../README.md before the luma of gray.ts.
import { alloc } from "./mem";
import { Hasher, luma } from "./gray";
import { idctBlock } from "./idct";
import { Result } from "./result";

const ZIGZAG: StaticArray<u8> = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
];

// @ts-ignore: decorator
@inline function be16(p: usize): i32 {
  return (<i32>load<u8>(p) << 8) | <i32>load<u8>(p + 1);
}

class Table {
  lookup: StaticArray<u16> = new StaticArray<u16>(512);
  maxcode: StaticArray<i32> = new StaticArray<i32>(18);
  mincode: StaticArray<i32> = new StaticArray<i32>(17);
  valptr: StaticArray<i32> = new StaticArray<i32>(17);
  vals: StaticArray<u8> = new StaticArray<u8>(256);
  defined: bool = false;

  /** Builds from a DHT segment's counts and values; false when the code lengths overflow. */
  build(counts: usize, values: usize, total: i32): bool {
    for (let i = 0; i < 512; i++) unchecked(this.lookup[i] = 0);
    for (let i = 0; i < total; i++) this.vals[i] = load<u8>(values + <usize>i);
    let code = 0;
    let k = 0;
    for (let l = 1; l <= 16; l++) {
      const n = <i32>load<u8>(counts + <usize>(l - 1));
      this.mincode[l] = code;
      this.valptr[l] = k;
      for (let i = 0; i < n; i++) {
        if (l <= 9) {
          const base = code << (9 - l);
          const entry = <u16>((l << 8) | <i32>this.vals[k]);
          for (let j = 0; j < 1 << (9 - l); j++) this.lookup[base + j] = entry;
        }
        code++;
        k++;
      }
      if (code > 1 << l) return false;
      this.maxcode[l] = n > 0 ? code - 1 : -1;
      code <<= 1;
    }
    this.maxcode[17] = 0x7fffffff;
    this.defined = true;
    return true;
  }
}

class Component {
  id: i32 = 0;
  h: i32 = 1;
  v: i32 = 1;
  tq: i32 = 0;
  /** Blocks per line and per column, padded to whole MCUs. */
  bw: i32 = 0;
  bh: i32 = 0;
  /** Blocks that hold image samples (a single-component scan visits only these). */
  cbw: i32 = 0;
  cbh: i32 = 0;
  coefs: usize = 0;
  pred: i32 = 0;
  dc: i32 = 0;
  ac: i32 = 0;
  strip: usize = 0;
  columns: usize = 0;
}

export class Jpeg {
  error: string = "";
  errorCode: string = "corrupt";
  width: i32 = 0;
  height: i32 = 0;
  progressive: bool = false;
  frame: bool = false;
  adobe: i32 = -1;
  restart: i32 = 0;
  comps: Component[] = [];
  hmax: i32 = 1;
  vmax: i32 = 1;
  mcusX: i32 = 0;
  mcusY: i32 = 0;
  quant: StaticArray<i32> = new StaticArray<i32>(4 * 64);
  dcTables: Table[] = [new Table(), new Table(), new Table(), new Table()];
  acTables: Table[] = [new Table(), new Table(), new Table(), new Table()];
  // bit reader
  pos: usize = 0;
  end: usize = 0;
  bitbuf: u64 = 0;
  bitcnt: i32 = 0;
  phantom: i32 = 0;
  atMarker: bool = false;
  eobrun: i32 = 0;

  fail(code: string, why: string): bool {
    if (!this.error.length) {
      this.error = why;
      this.errorCode = code;
    }
    return false;
  }

  // bits -------------------------------------------------------------------------------------

  fill(): void {
    while (this.bitcnt <= 56) {
      let b: u32 = 0;
      if (this.atMarker) {
        // padding past a marker: zeros
      } else if (this.pos >= this.end) {
        this.phantom++;
      } else {
        b = load<u8>(this.pos);
        if (b == 0xff) {
          const next: u32 = this.pos + 1 < this.end ? load<u8>(this.pos + 1) : 0;
          if (next == 0) this.pos += 2;
          else {
            this.atMarker = true;
            b = 0;
          }
        } else this.pos++;
      }
      this.bitbuf = (this.bitbuf << 8) | <u64>b;
      this.bitcnt += 8;
    }
  }

  // @ts-ignore: decorator
  @inline bits(n: i32): i32 {
    if (n == 0) return 0;
    if (this.bitcnt < n) this.fill();
    this.bitcnt -= n;
    return <i32>((this.bitbuf >> <u64>this.bitcnt) & ((<u64>1 << <u64>n) - 1));
  }

  // @ts-ignore: decorator
  @inline extend(v: i32, s: i32): i32 {
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  decode(t: Table): i32 {
    if (this.bitcnt < 16) this.fill();
    const look = <i32>((this.bitbuf >> <u64>(this.bitcnt - 9)) & 511);
    const e = <i32>unchecked(t.lookup[look]);
    if (e != 0) {
      this.bitcnt -= e >> 8;
      return e & 255;
    }
    for (let l = 10; l <= 16; l++) {
      const code = <i32>((this.bitbuf >> <u64>(this.bitcnt - l)) & ((<u64>1 << <u64>l) - 1));
      if (code <= t.maxcode[l]) {
        this.bitcnt -= l;
        const i = t.valptr[l] + code - t.mincode[l];
        return i >= 0 && i < 256 ? <i32>t.vals[i] : -1;
      }
    }
    return -1;
  }

  // segments -----------------------------------------------------------------------------------

  parse(data: usize, len: i32, maxPixels: i64): bool {
    const end = data + <usize>len;
    let p = data + 2;
    let sawScan = false;
    while (p + 1 < end) {
      if (load<u8>(p) != 0xff) {
        p++;
        continue;
      }
      const m = <i32>load<u8>(p + 1);
      p += 2;
      if (m == 0xff) {
        p--;
        continue;
      }
      if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7) || m == 0) continue;
      if (m == 0xd9) break;
      if (p + 2 > end) return this.fail("corrupt", "truncated JPEG");
      const slen = be16(p);
      if (slen < 2 || p + <usize>slen > end) return this.fail("corrupt", "truncated JPEG segment");
      const s = p + 2;
      const n = slen - 2;
      if (m == 0xdb) {
        if (!this.dqt(s, n)) return false;
      } else if (m == 0xc4) {
        if (!this.dht(s, n)) return false;
      } else if (m == 0xc0 || m == 0xc1 || m == 0xc2) {
        if (!this.sof(s, n, m == 0xc2, maxPixels)) return false;
      } else if ((m >= 0xc3 && m <= 0xcf) && m != 0xc4 && m != 0xc8 && m != 0xcc) {
        return this.fail("unsupported", "unsupported JPEG process (lossless, hierarchical or arithmetic coding)");
      } else if (m == 0xdd) {
        if (n < 2) return this.fail("corrupt", "bad DRI segment");
        this.restart = be16(s);
      } else if (m == 0xee) {
        if (n >= 12 && load<u8>(s) == 0x41 && load<u8>(s + 1) == 0x64 && load<u8>(s + 2) == 0x6f && load<u8>(s + 3) == 0x62 && load<u8>(s + 4) == 0x65) {
          this.adobe = load<u8>(s + 11);
        }
      } else if (m == 0xda) {
        if (!this.frame) return this.fail("corrupt", "a scan before the frame header");
        if (!this.scan(s, n, end)) return false;
        sawScan = true;
        p = this.nextMarker();
        continue;
      }
      p += <usize>slen;
    }
    if (!this.frame) return this.fail("corrupt", "the JPEG has no frame header");
    if (!sawScan) return this.fail("corrupt", "the JPEG has no image data");
    return true;
  }

  /** Where the scan's entropy-coded data ends: the first marker that is not a restart. */
  nextMarker(): usize {
    let p = this.pos;
    while (p + 1 < this.end) {
      if (load<u8>(p) == 0xff) {
        const m = load<u8>(p + 1);
        if (m != 0 && m != 0xff && !(m >= 0xd0 && m <= 0xd7)) return p;
      }
      p++;
    }
    return this.end;
  }

  dqt(s: usize, n: i32): bool {
    let o = 0;
    while (o < n) {
      const pq = <i32>load<u8>(s + <usize>o) >> 4;
      const tq = <i32>load<u8>(s + <usize>o) & 15;
      o++;
      if (tq > 3 || pq > 1 || o + 64 * (pq + 1) > n) return this.fail("corrupt", "bad DQT segment");
      for (let i = 0; i < 64; i++) {
        const v = pq == 0 ? <i32>load<u8>(s + <usize>(o + i)) : be16(s + <usize>(o + 2 * i));
        this.quant[tq * 64 + <i32>ZIGZAG[i]] = v;
      }
      o += 64 * (pq + 1);
    }
    return true;
  }

  dht(s: usize, n: i32): bool {
    let o = 0;
    while (o < n) {
      if (o + 17 > n) return this.fail("corrupt", "bad DHT segment");
      const tc = <i32>load<u8>(s + <usize>o) >> 4;
      const th = <i32>load<u8>(s + <usize>o) & 15;
      let total = 0;
      for (let i = 1; i <= 16; i++) total += <i32>load<u8>(s + <usize>(o + i));
      if (tc > 1 || th > 3 || total > 256 || o + 17 + total > n) return this.fail("corrupt", "bad DHT segment");
      const t = tc == 0 ? this.dcTables[th] : this.acTables[th];
      if (!t.build(s + <usize>(o + 1), s + <usize>(o + 17), total)) return this.fail("corrupt", "bad Huffman table");
      o += 17 + total;
    }
    return true;
  }

  sof(s: usize, n: i32, progressive: bool, maxPixels: i64): bool {
    if (this.frame) return this.fail("corrupt", "two frame headers");
    if (n < 6) return this.fail("corrupt", "bad frame header");
    const precision = <i32>load<u8>(s);
    this.height = be16(s + 1);
    this.width = be16(s + 3);
    const nc = <i32>load<u8>(s + 5);
    if (precision != 8) return this.fail("unsupported", "unsupported JPEG sample precision " + precision.toString());
    if (this.width == 0 || this.height == 0) return this.fail("empty", "the image has no pixels (" + this.width.toString() + "x" + this.height.toString() + ")");
    if (<i64>this.width * <i64>this.height > maxPixels) {
      return this.fail("too-large", "the image has " + (<i64>this.width * <i64>this.height).toString() + " pixels, more than maxPixels " + maxPixels.toString());
    }
    if (nc != 1 && nc != 3) return this.fail("unsupported", "unsupported JPEG with " + nc.toString() + " components (CMYK?)");
    if (n < 6 + 3 * nc) return this.fail("corrupt", "bad frame header");
    for (let i = 0; i < nc; i++) {
      const c = new Component();
      const q = s + <usize>(6 + 3 * i);
      c.id = load<u8>(q);
      c.h = <i32>load<u8>(q + 1) >> 4;
      c.v = <i32>load<u8>(q + 1) & 15;
      c.tq = <i32>load<u8>(q + 2);
      if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3) return this.fail("corrupt", "bad component in the frame header");
      if (c.h > this.hmax) this.hmax = c.h;
      if (c.v > this.vmax) this.vmax = c.v;
      this.comps.push(c);
    }
    this.mcusX = (this.width + 8 * this.hmax - 1) / (8 * this.hmax);
    this.mcusY = (this.height + 8 * this.vmax - 1) / (8 * this.vmax);
    for (let i = 0; i < nc; i++) {
      const c = this.comps[i];
      if (this.hmax % c.h != 0 || this.vmax % c.v != 0) return this.fail("unsupported", "unsupported sampling factors");
      c.bw = this.mcusX * c.h;
      c.bh = this.mcusY * c.v;
      const cw = (this.width * c.h + this.hmax - 1) / this.hmax;
      const ch = (this.height * c.v + this.vmax - 1) / this.vmax;
      c.cbw = (cw + 7) / 8;
      c.cbh = (ch + 7) / 8;
      c.coefs = alloc(<i64>c.bw * <i64>c.bh * 128);
      if (c.coefs == 0) return this.fail("too-large", "not enough memory to decode the image");
    }
    this.progressive = progressive;
    this.frame = true;
    return true;
  }

  // scans ----------------------------------------------------------------------------------------

  scan(s: usize, n: i32, end: usize): bool {
    const ns = <i32>load<u8>(s);
    if (ns < 1 || ns > 4 || n < 4 + 2 * ns) return this.fail("corrupt", "bad scan header");
    const list: Component[] = [];
    for (let i = 0; i < ns; i++) {
      const id = <i32>load<u8>(s + <usize>(1 + 2 * i));
      const tables = <i32>load<u8>(s + <usize>(2 + 2 * i));
      let found: Component | null = null;
      for (let j = 0; j < this.comps.length; j++) if (this.comps[j].id == id) found = this.comps[j];
      if (found == null) return this.fail("corrupt", "a scan names an unknown component");
      const c = <Component>found;
      c.dc = tables >> 4;
      c.ac = tables & 15;
      if (c.dc > 3 || c.ac > 3) return this.fail("corrupt", "bad table selector");
      list.push(c);
    }
    const q = s + <usize>(1 + 2 * ns);
    const ss = <i32>load<u8>(q);
    const se = <i32>load<u8>(q + 1);
    const ah = <i32>load<u8>(q + 2) >> 4;
    const al = <i32>load<u8>(q + 2) & 15;
    if (this.progressive) {
      if (ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && ns != 1) || al > 13) return this.fail("corrupt", "bad progressive scan parameters");
    } else if (ss != 0 || se != 63 || ah != 0 || al != 0) return this.fail("corrupt", "bad scan parameters");
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if ((ss == 0 && ah == 0 && !this.dcTables[c.dc].defined) || (se > 0 && !this.acTables[c.ac].defined)) return this.fail("corrupt", "a scan uses an undefined Huffman table");
      c.pred = 0;
    }
    this.pos = s + <usize>n;
    this.end = end;
    this.bitbuf = 0;
    this.bitcnt = 0;
    this.phantom = 0;
    this.atMarker = false;
    this.eobrun = 0;
    let count = 0;
    if (ns == 1) {
      const c = list[0];
      for (let by = 0; by < c.cbh; by++) {
        for (let bx = 0; bx < c.cbw; bx++) {
          if (this.restart > 0 && count > 0 && count % this.restart == 0) this.resync(list);
          count++;
          if (!this.block(c, c.coefs + <usize>((by * c.bw + bx) * 128), ss, se, ah, al)) return false;
        }
      }
    } else {
      for (let my = 0; my < this.mcusY; my++) {
        for (let mx = 0; mx < this.mcusX; mx++) {
          if (this.restart > 0 && count > 0 && count % this.restart == 0) this.resync(list);
          count++;
          for (let i = 0; i < list.length; i++) {
            const c = list[i];
            for (let v = 0; v < c.v; v++) {
              for (let h = 0; h < c.h; h++) {
                const at = ((my * c.v + v) * c.bw + mx * c.h + h) * 128;
                if (!this.block(c, c.coefs + <usize>at, ss, se, ah, al)) return false;
              }
            }
          }
        }
      }
    }
    if (this.phantom > 0 && this.bitcnt < this.phantom * 8) return this.fail("corrupt", "truncated JPEG data");
    return true;
  }

  /** At a restart interval: drop the bits left, step over the RSTn marker, reset predictions. */
  resync(list: Component[]): void {
    this.bitbuf = 0;
    this.bitcnt = 0;
    this.atMarker = false;
    let p = this.pos;
    while (p + 1 < this.end && !(load<u8>(p) == 0xff && load<u8>(p + 1) >= 0xd0 && load<u8>(p + 1) <= 0xd7)) p++;
    this.pos = p + 1 < this.end ? p + 2 : this.end;
    for (let i = 0; i < list.length; i++) list[i].pred = 0;
    this.eobrun = 0;
  }

  block(c: Component, b: usize, ss: i32, se: i32, ah: i32, al: i32): bool {
    if (!this.progressive) {
      const t = this.dcTables[c.dc];
      const s = this.decode(t);
      if (s < 0 || s > 11) return this.fail("corrupt", "bad Huffman code");
      c.pred += s ? this.extend(this.bits(s), s) : 0;
      store<i16>(b, <i16>c.pred);
      const at = this.acTables[c.ac];
      let k = 1;
      while (k < 64) {
        const rs = this.decode(at);
        if (rs < 0) return this.fail("corrupt", "bad Huffman code");
        const r = rs >> 4;
        const sz = rs & 15;
        if (sz == 0) {
          if (r != 15) break;
          k += 16;
          continue;
        }
        k += r;
        if (k > 63) return this.fail("corrupt", "coefficient index out of range");
        store<i16>(b + (<usize>unchecked(ZIGZAG[k]) << 1), <i16>this.extend(this.bits(sz), sz));
        k++;
      }
      return true;
    }
    if (ss == 0) {
      if (ah == 0) {
        const s = this.decode(this.dcTables[c.dc]);
        if (s < 0 || s > 11) return this.fail("corrupt", "bad Huffman code");
        c.pred += s ? this.extend(this.bits(s), s) : 0;
        store<i16>(b, <i16>(c.pred << al));
      } else if (this.bits(1)) {
        store<i16>(b, <i16>(<i32>load<i16>(b) | (1 << al)));
      }
      return true;
    }
    const t = this.acTables[c.ac];
    if (ah == 0) {
      if (this.eobrun > 0) {
        this.eobrun--;
        return true;
      }
      let k = ss;
      while (k <= se) {
        const rs = this.decode(t);
        if (rs < 0) return this.fail("corrupt", "bad Huffman code");
        const r = rs >> 4;
        const s = rs & 15;
        if (s == 0) {
          if (r < 15) {
            this.eobrun = (1 << r) - 1 + this.bits(r);
            break;
          }
          k += 16;
          continue;
        }
        k += r;
        if (k > 63) return this.fail("corrupt", "coefficient index out of range");
        store<i16>(b + (<usize>unchecked(ZIGZAG[k]) << 1), <i16>(this.extend(this.bits(s), s) * (1 << al)));
        k++;
      }
      return true;
    }
    // refinement of AC coefficients
    const p1 = 1 << al;
    const m1 = -1 << al;
    let k = ss;
    if (this.eobrun <= 0) {
      for (; k <= se; k++) {
        const rs = this.decode(t);
        if (rs < 0) return this.fail("corrupt", "bad Huffman code");
        let r = rs >> 4;
        let s = rs & 15;
        if (s != 0) {
          s = this.bits(1) ? p1 : m1;
        } else if (r != 15) {
          this.eobrun = (1 << r) + this.bits(r);
          break;
        }
        while (k <= se) {
          const z = b + (<usize>unchecked(ZIGZAG[k]) << 1);
          const coef = <i32>load<i16>(z);
          if (coef != 0) {
            if (this.bits(1) && (coef & p1) == 0) store<i16>(z, <i16>(coef >= 0 ? coef + p1 : coef + m1));
          } else {
            if (r == 0) break;
            r--;
          }
          k++;
        }
        if (s != 0 && k <= se) store<i16>(b + (<usize>unchecked(ZIGZAG[k]) << 1), <i16>s);
      }
    }
    if (this.eobrun > 0) {
      for (; k <= se; k++) {
        const z = b + (<usize>unchecked(ZIGZAG[k]) << 1);
        const coef = <i32>load<i16>(z);
        if (coef != 0 && this.bits(1) && (coef & p1) == 0) store<i16>(z, <i16>(coef >= 0 ? coef + p1 : coef + m1));
      }
      this.eobrun--;
    }
    return true;
  }

  // output ---------------------------------------------------------------------------------------

  /** IDCTs each MCU row into strips, converts to gray rows and feeds the hasher. */
  output(hasher: Hasher): bool {
    const W = this.width;
    const gray = alloc(W);
    if (gray == 0) return this.fail("too-large", "not enough memory to decode the image");
    for (let i = 0; i < this.comps.length; i++) {
      const c = this.comps[i];
      c.strip = alloc(<i64>c.bw * 8 * c.v * 8);
      c.columns = alloc(<i64>W * 4);
      if (c.strip == 0 || c.columns == 0) return this.fail("too-large", "not enough memory to decode the image");
      for (let x = 0; x < W; x++) store<i32>(c.columns + <usize>(x * 4), (x * c.h) / this.hmax);
    }
    const rgb = this.comps.length == 3 && (this.adobe == 0 || (this.comps[0].id == 82 && this.comps[1].id == 71 && this.comps[2].id == 66));
    for (let my = 0; my < this.mcusY; my++) {
      for (let i = 0; i < this.comps.length; i++) {
        const c = this.comps[i];
        const q = changetype<usize>(this.quant) + <usize>(c.tq * 256);
        const stride = c.bw * 8;
        for (let v = 0; v < c.v; v++) {
          const by = my * c.v + v;
          for (let bx = 0; bx < c.bw; bx++) {
            idctBlock(c.coefs + <usize>((by * c.bw + bx) * 128), q, c.strip + <usize>(v * 8 * stride + bx * 8), stride);
          }
        }
      }
      const y0 = my * this.vmax * 8;
      let y1 = y0 + this.vmax * 8;
      if (y1 > this.height) y1 = this.height;
      for (let y = y0; y < y1; y++) {
        if (this.comps.length == 1) {
          const c = this.comps[0];
          const line = c.strip + <usize>((((y * c.v) / this.vmax) - my * c.v * 8) * c.bw * 8);
          for (let x = 0; x < W; x++) store<u8>(gray + <usize>x, load<u8>(line + <usize>load<i32>(c.columns + <usize>(x * 4))));
        } else {
          const c0 = this.comps[0], c1 = this.comps[1], c2 = this.comps[2];
          const l0 = c0.strip + <usize>((((y * c0.v) / this.vmax) - my * c0.v * 8) * c0.bw * 8);
          const l1 = c1.strip + <usize>((((y * c1.v) / this.vmax) - my * c1.v * 8) * c1.bw * 8);
          const l2 = c2.strip + <usize>((((y * c2.v) / this.vmax) - my * c2.v * 8) * c2.bw * 8);
          for (let x = 0; x < W; x++) {
            const o = <usize>(x * 4);
            const a = <i32>load<u8>(l0 + <usize>load<i32>(c0.columns + o));
            const b = <i32>load<u8>(l1 + <usize>load<i32>(c1.columns + o));
            const d = <i32>load<u8>(l2 + <usize>load<i32>(c2.columns + o));
            let g: u32;
            if (rgb) g = luma(a, b, d);
            else {
              const cb = b - 128;
              const cr = d - 128;
              g = luma(clamp(a + ((91881 * cr + 32768) >> 16)), clamp(a + ((-22554 * cb - 46802 * cr + 32768) >> 16)), clamp(a + ((116130 * cb + 32768) >> 16)));
            }
            store<u8>(gray + <usize>x, <u8>g);
          }
        }
        hasher.addRow(y, gray);
      }
    }
    return true;
  }
}

// @ts-ignore: decorator
@inline function clamp(v: i32): u32 {
  return <u32>(v < 0 ? 0 : v > 255 ? 255 : v);
}

/** Decodes a JPEG into `r`; sets r.error on failure. */
export function decodeJpeg(data: usize, len: i32, maxPixels: i64, r: Result): void {
  r.format = "jpeg";
  const j = new Jpeg();
  const ok = j.parse(data, len, maxPixels);
  r.width = j.width;
  r.height = j.height;
  if (!ok) {
    r.fail(j.errorCode, j.error);
    return;
  }
  const hasher = new Hasher(j.width, j.height);
  if (!j.output(hasher)) {
    r.fail(j.errorCode, j.error);
    return;
  }
  r.finish(hasher);
}
