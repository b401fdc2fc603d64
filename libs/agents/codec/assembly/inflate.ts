// DEFLATE (RFC 1951) inside a zlib wrapper (RFC 1950), streaming its output through a window
// buffer into a Sink, so memory stays bounded by the window plus what the sink keeps.
import { alloc } from "./mem";

/** Takes the inflated bytes in [from, to) of `buf`; answers how far it consumed (whole units only). */
export abstract class Sink {
  /** Set once the sink needs nothing more: inflating stops there (extra data is ignored). */
  done: bool = false;
  abstract consume(buf: usize, from: i32, to: i32): i32;
}

const LBASE: StaticArray<u16> = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEXT: StaticArray<u8> = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DBASE: StaticArray<u16> = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DEXT: StaticArray<u8> = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CLORDER: StaticArray<u8> = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const WINDOW = 32768;

/**
 * A lookup table indexed by the next `bits` input bits (LSB first); each entry is
 * (symbol << 4) | code length, 0 for bit patterns that are no code.
 */
class Huffman {
  table: StaticArray<u32> = new StaticArray<u32>(1 << 15);
  bits: i32 = 0;
  count: StaticArray<u16> = new StaticArray<u16>(16);
  next: StaticArray<u16> = new StaticArray<u16>(16);

  /** Builds from code lengths (0 = unused); false when the lengths over-subscribe the code space. */
  build(lengths: StaticArray<u8>, n: i32): bool {
    const count = this.count;
    for (let i = 0; i < 16; i++) unchecked(count[i] = 0);
    let maxLen = 0;
    for (let i = 0; i < n; i++) {
      const l = <i32>unchecked(lengths[i]);
      unchecked(count[l]++);
      if (l > maxLen) maxLen = l;
    }
    count[0] = 0;
    let left = 1;
    for (let l = 1; l < 16; l++) {
      left = (left << 1) - <i32>count[l];
      if (left < 0) return false;
    }
    if (maxLen == 0) maxLen = 1;
    this.bits = maxLen;
    const size = 1 << maxLen;
    const table = this.table;
    for (let i = 0; i < size; i++) unchecked(table[i] = 0);
    let code = 0;
    for (let l = 1; l < 16; l++) {
      code = (code + <i32>count[l - 1]) << 1;
      unchecked(this.next[l] = <u16>code);
    }
    for (let s = 0; s < n; s++) {
      const l = <i32>unchecked(lengths[s]);
      if (l == 0) continue;
      const c = <i32>unchecked(this.next[l]);
      unchecked(this.next[l] = <u16>(c + 1));
      let r = 0;
      for (let i = 0; i < l; i++) r |= ((c >> i) & 1) << (l - 1 - i);
      const entry = (<u32>s << 4) | <u32>l;
      for (let i = r; i < size; i += 1 << l) unchecked(table[i] = entry);
    }
    return true;
  }
}

export class Inflater {
  error: string = "";
  private inp: usize;
  private end: usize;
  private bitbuf: u64 = 0;
  private bitcnt: i32 = 0;
  /** Zero bytes fed past the end of the input (a truncated stream shows as reading them). */
  private phantom: i32 = 0;
  private out: usize;
  private cap: i32;
  private op: i32 = 0;
  private consumed: i32 = 0;
  private lit: Huffman = new Huffman();
  private dist: Huffman = new Huffman();
  private lens: StaticArray<u8> = new StaticArray<u8>(320);

  /** `unit`: the largest piece the sink consumes at once (a PNG row), so the window always holds one. */
  constructor(data: usize, len: i32, unit: i32, private sink: Sink) {
    this.inp = data;
    this.end = data + <usize>len;
    this.cap = WINDOW + 2 * unit + 262144;
    this.out = alloc(this.cap);
    if (this.out == 0) this.error = "too-large";
  }

  /** Inflates the zlib stream; false with `error` set when it is corrupt or truncated. */
  run(): bool {
    if (this.error.length) return false;
    if (<i32>(this.end - this.inp) < 2) return this.fail("truncated image data");
    const cmf = <u32>load<u8>(this.inp);
    const flg = <u32>load<u8>(this.inp + 1);
    if ((cmf & 15) != 8 || ((cmf << 8) | flg) % 31 != 0 || (flg & 32) != 0) return this.fail("bad zlib header");
    this.inp += 2;
    let final = false;
    while (!final && !this.sink.done) {
      final = this.bits(1) == 1;
      const type = this.bits(2);
      let ok: bool;
      if (type == 0) ok = this.stored();
      else if (type == 1) ok = this.fixed() && this.codes();
      else if (type == 2) ok = this.dynamic() && this.codes();
      else ok = this.fail("bad block type");
      if (!ok) return false;
    }
    if (!this.flush()) return false;
    if (!this.sink.done) return this.fail("truncated image data");
    return true;
  }

  private fail(why: string): bool {
    if (!this.error.length) this.error = why;
    return false;
  }

  // @ts-ignore: decorator
  @inline private refill(): void {
    while (this.bitcnt <= 56) {
      if (this.inp < this.end) {
        this.bitbuf |= <u64>load<u8>(this.inp) << <u64>this.bitcnt;
        this.inp++;
      } else {
        this.phantom++;
      }
      this.bitcnt += 8;
    }
  }

  /** True once bits past the end of the input were consumed. */
  // @ts-ignore: decorator
  @inline private overrun(): bool {
    return this.phantom > 0 && this.bitcnt < this.phantom * 8;
  }

  private bits(n: i32): u32 {
    if (this.bitcnt < n) this.refill();
    const v = <u32>(this.bitbuf & ((<u64>1 << <u64>n) - 1));
    this.bitbuf >>= <u64>n;
    this.bitcnt -= n;
    return v;
  }

  // @ts-ignore: decorator
  @inline private decode(h: Huffman): i32 {
    if (this.bitcnt < 15) this.refill();
    const e = unchecked(h.table[<i32>(this.bitbuf & ((<u64>1 << <u64>h.bits) - 1))]);
    if (e == 0) return -1;
    const l = <i32>(e & 15);
    this.bitbuf >>= <u64>l;
    this.bitcnt -= l;
    return <i32>(e >> 4);
  }

  /** Hands complete units to the sink and slides the window, keeping 32 KiB of history. */
  private flush(): bool {
    this.consumed = this.sink.consume(this.out, this.consumed, this.op);
    let keep = this.op - WINDOW;
    if (this.consumed < keep) keep = this.consumed;
    if (keep > 0) {
      memory.copy(this.out, this.out + <usize>keep, <usize>(this.op - keep));
      this.op -= keep;
      this.consumed -= keep;
    }
    return true;
  }

  private stored(): bool {
    // drop to a byte boundary, then give back whole bytes still in the bit buffer
    const skip = this.bitcnt & 7;
    this.bitbuf >>= <u64>skip;
    this.bitcnt -= skip;
    while (this.bitcnt >= 8 && this.phantom > 0) {
      this.bitcnt -= 8;
      this.phantom--;
    }
    while (this.bitcnt >= 8) {
      this.bitcnt -= 8;
      this.inp--;
    }
    this.bitbuf = 0;
    this.bitcnt = 0;
    if (this.phantom > 0 || <i32>(this.end - this.inp) < 4) return this.fail("truncated image data");
    const len = <i32>load<u16>(this.inp);
    const nlen = <i32>load<u16>(this.inp + 2);
    if ((len ^ 0xffff) != nlen) return this.fail("bad stored block length");
    this.inp += 4;
    if (<i32>(this.end - this.inp) < len) return this.fail("truncated image data");
    let left = len;
    while (left > 0 && !this.sink.done) {
      if (this.op >= this.cap - 258) this.flush();
      let n = this.cap - 258 - this.op;
      if (n > left) n = left;
      memory.copy(this.out + <usize>this.op, this.inp, <usize>n);
      this.op += n;
      this.inp += <usize>n;
      left -= n;
    }
    return true;
  }

  private fixed(): bool {
    const l = this.lens;
    for (let i = 0; i < 144; i++) l[i] = 8;
    for (let i = 144; i < 256; i++) l[i] = 9;
    for (let i = 256; i < 280; i++) l[i] = 7;
    for (let i = 280; i < 288; i++) l[i] = 8;
    this.lit.build(l, 288);
    for (let i = 0; i < 30; i++) l[i] = 5;
    this.dist.build(l, 30);
    return true;
  }

  private dynamic(): bool {
    const nlen = <i32>this.bits(5) + 257;
    const ndist = <i32>this.bits(5) + 1;
    const ncode = <i32>this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) return this.fail("bad code counts");
    const l = this.lens;
    for (let i = 0; i < 19; i++) l[i] = 0;
    for (let i = 0; i < ncode; i++) l[CLORDER[i]] = <u8>this.bits(3);
    if (!this.lit.build(l, 19)) return this.fail("bad code lengths");
    let i = 0;
    const total = nlen + ndist;
    const all = new StaticArray<u8>(320);
    while (i < total) {
      const sym = this.decode(this.lit);
      if (sym < 0 || this.overrun()) return this.fail(sym < 0 ? "bad code" : "truncated image data");
      if (sym < 16) {
        all[i++] = <u8>sym;
        continue;
      }
      let rep = 0;
      let val: u8 = 0;
      if (sym == 16) {
        if (i == 0) return this.fail("repeat without a previous length");
        val = all[i - 1];
        rep = 3 + <i32>this.bits(2);
      } else if (sym == 17) rep = 3 + <i32>this.bits(3);
      else rep = 11 + <i32>this.bits(7);
      if (i + rep > total) return this.fail("too many code lengths");
      while (rep-- > 0) all[i++] = val;
    }
    if (all[256] == 0) return this.fail("no end-of-block code");
    if (!this.lit.build(all, nlen)) return this.fail("bad literal/length code");
    for (let j = 0; j < ndist; j++) l[j] = all[nlen + j];
    if (!this.dist.build(l, ndist)) return this.fail("bad distance code");
    return true;
  }

  private codes(): bool {
    const out = this.out;
    const limit = this.cap - 258;
    for (;;) {
      if (this.op >= limit) {
        this.flush();
        if (this.sink.done) return true;
      }
      const sym = this.decode(this.lit);
      if (sym < 256) {
        if (sym < 0) return this.fail("bad code");
        if (this.phantom > 0 && this.overrun()) return this.fail("truncated image data");
        store<u8>(out + <usize>this.op, <u8>sym);
        this.op++;
        continue;
      }
      if (this.overrun()) return this.fail("truncated image data");
      if (sym == 256) return true;
      const li = sym - 257;
      if (li >= 29) return this.fail("bad length code");
      const len = <i32>unchecked(LBASE[li]) + <i32>this.bits(<i32>unchecked(LEXT[li]));
      const ds = this.decode(this.dist);
      if (ds < 0 || ds >= 30) return this.fail("bad distance code");
      const d = <i32>unchecked(DBASE[ds]) + <i32>this.bits(<i32>unchecked(DEXT[ds]));
      if (d > this.op) return this.fail("distance too far back");
      const to = out + <usize>this.op;
      const from = to - <usize>d;
      if (d >= len) memory.copy(to, from, <usize>len);
      else for (let k = 0; k < len; k++) store<u8>(to + <usize>k, load<u8>(from + <usize>k));
      this.op += len;
    }
    return true;
  }
}
