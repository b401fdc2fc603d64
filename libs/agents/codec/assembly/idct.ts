// The integer 8×8 inverse DCT of the Loeffler–Ligtenberg–Moschytz factorisation, 13-bit
// constants, two passes (columns keep 2 extra bits), output + 128 clamped to 0..255. Integer
// only, so every machine gets the same samples.

const CONST_BITS = 13;
const PASS1_BITS = 2;
const F_0_298 = 2446;
const F_0_390 = 3196;
const F_0_541 = 4433;
const F_0_765 = 6270;
const F_0_899 = 7373;
const F_1_175 = 9633;
const F_1_501 = 12299;
const F_1_847 = 15137;
const F_1_961 = 16069;
const F_2_053 = 16819;
const F_2_562 = 20995;
const F_3_072 = 25172;

const ws = new StaticArray<i32>(64);

// @ts-ignore: decorator
@inline function descale(x: i32, n: i32): i32 {
  return (x + (1 << (n - 1))) >> n;
}

// @ts-ignore: decorator
@inline function clampByte(v: i32): u8 {
  return <u8>(v < 0 ? 0 : v > 255 ? 255 : v);
}

/** Dequantizes (coefficients and table in natural order) and inverse-transforms one block into `out` rows of `stride` bytes. */
export function idctBlock(coef: usize, quant: usize, out: usize, stride: i32): void {
  const w = changetype<usize>(ws);
  for (let col = 0; col < 8; col++) {
    const c = coef + (<usize>col << 1);
    const q = quant + (<usize>col << 2);
    const d0 = <i32>load<i16>(c) * load<i32>(q);
    const d1 = <i32>load<i16>(c + 16) * load<i32>(q + 32);
    const d2 = <i32>load<i16>(c + 32) * load<i32>(q + 64);
    const d3 = <i32>load<i16>(c + 48) * load<i32>(q + 96);
    const d4 = <i32>load<i16>(c + 64) * load<i32>(q + 128);
    const d5 = <i32>load<i16>(c + 80) * load<i32>(q + 160);
    const d6 = <i32>load<i16>(c + 96) * load<i32>(q + 192);
    const d7 = <i32>load<i16>(c + 112) * load<i32>(q + 224);
    const o = w + (<usize>col << 2);
    if ((d1 | d2 | d3 | d4 | d5 | d6 | d7) == 0) {
      const dc = d0 << PASS1_BITS;
      for (let r = 0; r < 8; r++) store<i32>(o + (<usize>r << 5), dc);
      continue;
    }
    // even part
    let z1 = (d2 + d6) * F_0_541;
    const t2 = z1 - d6 * F_1_847;
    const t3 = z1 + d2 * F_0_765;
    const t0 = (d0 + d4) << CONST_BITS;
    const t1 = (d0 - d4) << CONST_BITS;
    const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
    // odd part
    let o0 = d7, o1 = d5, o2 = d3, o3 = d1;
    z1 = o0 + o3;
    let z2 = o1 + o2;
    let z3 = o0 + o2;
    let z4 = o1 + o3;
    const z5 = (z3 + z4) * F_1_175;
    o0 *= F_0_298;
    o1 *= F_2_053;
    o2 *= F_3_072;
    o3 *= F_1_501;
    z1 *= -F_0_899;
    z2 *= -F_2_562;
    z3 = z3 * -F_1_961 + z5;
    z4 = z4 * -F_0_390 + z5;
    o0 += z1 + z3;
    o1 += z2 + z4;
    o2 += z2 + z3;
    o3 += z1 + z4;
    const n = CONST_BITS - PASS1_BITS;
    store<i32>(o, descale(t10 + o3, n));
    store<i32>(o + 224, descale(t10 - o3, n));
    store<i32>(o + 32, descale(t11 + o2, n));
    store<i32>(o + 192, descale(t11 - o2, n));
    store<i32>(o + 64, descale(t12 + o1, n));
    store<i32>(o + 160, descale(t12 - o1, n));
    store<i32>(o + 96, descale(t13 + o0, n));
    store<i32>(o + 128, descale(t13 - o0, n));
  }
  const shift = CONST_BITS + PASS1_BITS + 3;
  for (let row = 0; row < 8; row++) {
    const r = w + (<usize>row << 5);
    const d0 = load<i32>(r), d1 = load<i32>(r + 4), d2 = load<i32>(r + 8), d3 = load<i32>(r + 12);
    const d4 = load<i32>(r + 16), d5 = load<i32>(r + 20), d6 = load<i32>(r + 24), d7 = load<i32>(r + 28);
    const dst = out + <usize>(row * stride);
    let z1 = (d2 + d6) * F_0_541;
    const t2 = z1 - d6 * F_1_847;
    const t3 = z1 + d2 * F_0_765;
    const t0 = (d0 + d4) << CONST_BITS;
    const t1 = (d0 - d4) << CONST_BITS;
    const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
    let o0 = d7, o1 = d5, o2 = d3, o3 = d1;
    z1 = o0 + o3;
    let z2 = o1 + o2;
    let z3 = o0 + o2;
    let z4 = o1 + o3;
    const z5 = (z3 + z4) * F_1_175;
    o0 *= F_0_298;
    o1 *= F_2_053;
    o2 *= F_3_072;
    o3 *= F_1_501;
    z1 *= -F_0_899;
    z2 *= -F_2_562;
    z3 = z3 * -F_1_961 + z5;
    z4 = z4 * -F_0_390 + z5;
    o0 += z1 + z3;
    o1 += z2 + z4;
    o2 += z2 + z3;
    o3 += z1 + z4;
    store<u8>(dst, clampByte(descale(t10 + o3, shift) + 128));
    store<u8>(dst + 7, clampByte(descale(t10 - o3, shift) + 128));
    store<u8>(dst + 1, clampByte(descale(t11 + o2, shift) + 128));
    store<u8>(dst + 6, clampByte(descale(t11 - o2, shift) + 128));
    store<u8>(dst + 2, clampByte(descale(t12 + o1, shift) + 128));
    store<u8>(dst + 5, clampByte(descale(t12 - o1, shift) + 128));
    store<u8>(dst + 3, clampByte(descale(t13 + o0, shift) + 128));
    store<u8>(dst + 4, clampByte(descale(t13 - o0, shift) + 128));
  }
}
