import { bootAos, evalOk, type BootedProcess } from '@ao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueprintLua, bundleLua } from '../lib/lua-libs.js';
import golden from './fixtures/mm-goldens.json' with { type: 'json' };

// The ladder maths of lua/market-maker/ladder.lua in the aos runtime, against the golden numbers
// (hand-checked, AGENTS.md §1a) and against an independent exact-rational reimplementation of
// Hummingbot's formulas in TypeScript (BigInt) over seeded random inputs.

let lua: BootedProcess;
beforeAll(async () => {
  lua = await bootAos({ bootCode: bundleLua(['amount'], `do\n${blueprintLua('market-maker/ladder.lua')}\nend\n`) });
});
afterAll(() => lua?.process.close());

const call = async (expr: string): Promise<unknown> => JSON.parse(await evalOk(lua, `print(json.encode({ ${expr} }))`));
const lstr = (s: string) => JSON.stringify(s);
const cfgLua = (c: Record<string, unknown>) =>
  `{ orderLevels = ${c.orderLevels ?? 1}, orderAmount = ${lstr(String(c.orderAmount))}, orderLevelAmount = ${lstr(String(c.orderLevelAmount ?? '0'))}, bidSpreadBps = ${c.bidSpreadBps}, askSpreadBps = ${c.askSpreadBps}, orderLevelSpreadBps = ${c.orderLevelSpreadBps ?? 100}, tickSize = ${lstr(String(c.tickSize))} }`;

// --- independent reference (exact rationals, Hummingbot's formulas as written) ---
const fdiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const cdiv = (a: bigint, b: bigint) => -fdiv(-a, b);
type Frac = [bigint, bigint];
const clamp = (x: Frac, lo: Frac, hi: Frac): Frac => (x[0] * lo[1] < lo[0] * x[1] ? lo : x[0] * hi[1] > hi[0] * x[1] ? hi : x);
/** np.interp(x, [x0, x1], [y0, y1]) with clamping, exactly. */
function interp(x: Frac, x0: Frac, x1: Frac, y0: Frac, y1: Frac): Frac {
  const [n, d] = clamp(x, x0, x1);
  // y0 + (x - x0) * (y1 - y0) / (x1 - x0)
  const dxN = n * x0[1] - x0[0] * d, dxD = d * x0[1];
  const spanN = x1[0] * x0[1] - x0[0] * x1[1], spanD = x1[1] * x0[1];
  const dyN = y1[0] * y0[1] - y0[0] * y1[1], dyD = y1[1] * y0[1];
  const tN = dxN * spanD * dyN, tD = dxD * spanN * dyD;
  return [y0[0] * tD + tN * y0[1], y0[1] * tD];
}
/** Hummingbot's c_calculate_bid_ask_ratios_from_base_asset_ratio, in exact fractions (values in quote units). */
function refSkew(base: bigint, quote: bigint, p: Frac, targetBps: bigint, range: Frac): Frac {
  const bp: Frac = [base * p[0], p[1]];
  const v: Frac = [base * p[0] + quote * p[1], p[1]];
  if (v[0] <= 0n || range[0] <= 0n) return [0n, 1n];
  const rp: Frac = [range[0] * p[0], range[1] * p[1]];
  const half: Frac = [v[0], v[1] * 2n];
  const rv = rp[0] * half[1] < half[0] * rp[1] ? rp : half;
  const tv: Frac = [v[0] * targetBps, v[1] * 10000n];
  const lt = (a: Frac, b: Frac) => a[0] * b[1] < b[0] * a[1];
  if (lt(bp, tv)) {
    const lo0: Frac = [tv[0] * rv[1] - rv[0] * tv[1], tv[1] * rv[1]];
    const lo: Frac = lo0[0] < 0n ? [0n, 1n] : lo0;
    const x = interp(bp, lo, tv, [0n, 1n], [1n, 2n]);
    return interp(x, [0n, 1n], [1n, 2n], [2n, 1n], [1n, 1n]);
  }
  const hi: Frac = [tv[0] * rv[1] + rv[0] * tv[1], tv[1] * rv[1]];
  const x = interp(bp, tv, hi, [1n, 2n], [1n, 1n]);
  return interp(x, [1n, 2n], [1n, 1n], [1n, 1n], [0n, 1n]);
}
const eqFrac = (a: Frac, b: [string, string]) => a[0] * BigInt(b[1]) === BigInt(b[0]) * a[1];

describe('ladder maths (lua/market-maker/ladder.lua)', () => {
  it('builds the 3-level golden ladder: bids 99/98.5/98, asks 101/101.5/102, sizes 1/1.5/2', async () => {
    const g = golden.ladder;
    const c = { ...g.config, tickSize: golden.units.tickSize };
    const [buys, sells] = (await call(`Ladder.proposal(${cfgLua(c)}, ${lstr(g.price)})`)) as { price: string; size: string }[][];
    expect(buys.map((o) => [o.price, o.size])).toEqual(g.buys);
    expect(sells.map((o) => [o.price, o.size])).toEqual(g.sells);
    expect(await call(`Ladder.totalSize(${cfgLua(c)})`)).toEqual([g.totalSize]);
  });

  it('rounds bids down and asks up to the tick', async () => {
    // 100.0005 * 0.99 = 99.000495 -> 99.000; * 1.01 = 101.000505 -> 101.001
    expect(await call(`Ladder.bidPrice("100000500", 100, "1000"), Ladder.askPrice("100000500", 100, "1000")`)).toEqual(['99000000', '101001000']);
  });

  it('skews sizes toward the target exactly as the golden cases say', async () => {
    const U = '1000000';
    const c = { ...golden.ladder.config, tickSize: golden.units.tickSize };
    for (const s of golden.skew) {
      const [bidNum, askNum, den] = (await call(`Ladder.skew(${lstr(s.base)}, ${lstr(s.quote)}, "100000000", ${lstr(U)}, 5000, Amount.mul(Ladder.totalSize(${cfgLua(c)}), "10000"))`)) as string[];
      expect(BigInt(bidNum) * BigInt(s.bid[1]), s.note).toBe(BigInt(s.bid[0]) * BigInt(den));
      expect(BigInt(askNum) * BigInt(s.bid[1]), s.note).toBe((2n * BigInt(s.bid[1]) - BigInt(s.bid[0])) * BigInt(den));
      const sizes = golden.ladder.buys.map(([, size]) => BigInt(size));
      expect(sizes.map((q) => (q * BigInt(bidNum)) / BigInt(den)).filter((q) => q > 0n).map(String), s.note).toEqual(s.buys);
      expect(sizes.map((q) => (q * BigInt(askNum)) / BigInt(den)).map(String), s.note).toEqual(s.sells);
    }
  });

  it("reproduces Hummingbot's own inventory-skew test figures", async () => {
    const h = golden.hummingbotSkewTest;
    for (const [base, bid, ask] of h.cases) {
      const [bidNum, askNum, den] = (await call(`Ladder.skew(${lstr(base)}, ${lstr(h.quote)}, ${lstr(h.price)}, "1", ${h.targetBps}, ${lstr(String(BigInt(h.range) * 10000n))})`)) as string[];
      const fmt = (n: string) => { const v = (BigInt(n) * 100000000n) / BigInt(den); return `${v / 100000000n}.${String(v % 100000000n).padStart(8, '0')}`; };
      expect([fmt(bidNum), fmt(askNum)], base).toEqual([bid, ask]);
    }
  });

  it('applies the refresh tolerance with a strict test: 0.5 % keeps, 0.4 % replaces', async () => {
    const t = golden.tolerance;
    const within = async (tol: number) => (await call(`Ladder.withinTolerance({ ${lstr(t.active[0])} }, { ${lstr(t.replacedBy[0])} }, ${tol}) and Ladder.withinTolerance({ ${lstr(t.active[1])} }, { ${lstr(t.replacedBy[1])} }, ${tol})`)) as boolean[];
    expect(await within(t.keepAtBps)).toEqual([true]);
    expect(await within(t.replaceAtBps)).toEqual([false]);
    expect(await call(`Ladder.withinTolerance({ "100" }, { "100" }, -1)`)).toEqual([false]);
    expect(await call(`Ladder.withinTolerance({ "100", "99" }, { "100" }, 100)`)).toEqual([false]);
  });

  it('agrees with the independent rational reference on random portfolios and ladders', async () => {
    let seed = 12345;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    for (let i = 0; i < 40; i++) {
      const base = BigInt(rnd(1_000_000) * 1000), quote = BigInt(rnd(1_000_000) * 1000), p = BigInt(1 + rnd(500_000));
      const target = BigInt(rnd(10001)), unit = 1000n, range = BigInt(1 + rnd(50_000)) * 1000n;
      const [bidNum, askNum, den] = (await call(`Ladder.skew("${base}", "${quote}", "${p}", "${unit}", ${target}, "${range}")`)) as string[];
      // the reference values base in quote units: base * p / unit, with range (base units) / 10000
      const ref = refSkew(base, quote * unit, [p, 1n], target, [range, 10000n]);
      expect(eqFrac(ref, [bidNum, den]), `case ${i}: ${base} ${quote} ${p} ${target} ${range}`).toBe(true);
      expect(BigInt(askNum) * ref[1]).toBe((2n * ref[1] - ref[0]) * BigInt(den));
      const spread = rnd(3000), tick = BigInt(1 + rnd(1000)), price = BigInt(1 + rnd(10_000_000));
      const [bid, ask] = (await call(`Ladder.bidPrice("${price}", ${spread}, "${tick}"), Ladder.askPrice("${price}", ${spread}, "${tick}")`)) as string[];
      expect(BigInt(bid)).toBe(fdiv(price * BigInt(10000 - spread), 10000n * tick) * tick);
      expect(BigInt(ask)).toBe(cdiv(price * BigInt(10000 + spread), 10000n * tick) * tick);
    }
  });

  it('parses decimal multipliers into 1/10000ths and refuses the rest', async () => {
    expect(await call(`Ladder.scaled("1"), Ladder.scaled("0.5"), Ladder.scaled("2.25"), Ladder.scaled("0.0001")`)).toEqual([10000, 5000, 22500, 1]);
    expect(await call(`Ladder.scaled("1.23456") == nil, Ladder.scaled("x") == nil, Ladder.scaled("1.") == 10000`)).toEqual([true, true, true]);
  });
});
