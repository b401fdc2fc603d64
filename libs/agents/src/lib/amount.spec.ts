import { bootAos, evalOk, type BootedProcess } from '@ao/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luaString } from '../blueprint.js';
import { bundleLua } from './lua-libs.js';

// lib/amount.lua checked against JavaScript's BigInt (the independent oracle) on operands of every
// size class: the native fast paths (< 18 digits), limb boundaries (7, 14, 21 digits), powers of
// ten, the short-division range (divisors < 17 digits) and Knuth's long division beyond.

let booted: BootedProcess;
beforeAll(async () => {
  booted = await bootAos({ bootCode: bundleLua(['amount']) });
});
afterAll(() => booted?.process.close());

const lua = (v: bigint) => luaString(v.toString());

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}
function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}
function halfUp(a: bigint, b: bigint): bigint {
  // nearest, halves away from zero
  const neg = (a < 0n) !== (b < 0n);
  const [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  const q = (2n * x + y) / (2n * y);
  return neg ? -q : q;
}

/** Big integers whose digit counts cluster on the boundaries the implementation cares about. */
const digits = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(6, 7, 8, 13, 14, 15, 16, 17, 18, 19, 21, 22, 28, 35, 36), fc.integer({ min: 20, max: 78 }));
const magnitude = digits.chain((d) =>
  fc.oneof(
    fc.bigInt({ min: 10n ** BigInt(d - 1), max: 10n ** BigInt(d) - 1n }),
    fc.constant(10n ** BigInt(d - 1)),
    fc.constant(10n ** BigInt(d) - 1n),
    fc.constant(5n * 10n ** BigInt(d - 1)),
  ),
);
const signed = fc.tuple(magnitude, fc.boolean(), fc.integer({ min: 0, max: 9 })).map(([m, neg, z]) => (z === 0 ? 0n : neg ? -m : m));

async function run(exprs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < exprs.length; i += 400) {
    const code = exprs.slice(i, i + 400).map((e) => `print(${e})`).join('\n');
    out.push(...(await evalOk(booted, code)).split('\n'));
  }
  return out;
}

describe('lib/amount.lua', () => {
  it('add, sub, mul, cmp match BigInt', async () => {
    const pairs = fc.sample(fc.tuple(signed, signed), { numRuns: 1500, seed: 21 });
    const lines = await run(pairs.map(([a, b]) => `Amount.add(${lua(a)}, ${lua(b)}), Amount.sub(${lua(a)}, ${lua(b)}), Amount.mul(${lua(a)}, ${lua(b)}), Amount.cmp(${lua(a)}, ${lua(b)})`));
    pairs.forEach(([a, b], i) => {
      expect(lines[i], `${a} ? ${b}`).toBe(`${a + b}\t${a - b}\t${a * b}\t${a === b ? 0 : a > b ? 1 : -1}`);
    });
  });

  it('divmod and every rounding rule match BigInt', async () => {
    const pairs = fc.sample(fc.tuple(signed, signed.filter((b) => b !== 0n)), { numRuns: 1500, seed: 7 });
    const lines = await run(
      pairs.map(([a, b]) => `Amount.div(${lua(a)}, ${lua(b)}, "floor"), Amount.div(${lua(a)}, ${lua(b)}, "ceil"), Amount.div(${lua(a)}, ${lua(b)}, "trunc"), Amount.div(${lua(a)}, ${lua(b)}, "half-up"), Amount.divmod(${lua(a)}, ${lua(b)})`),
    );
    pairs.forEach(([a, b], i) => {
      const q = floorDiv(a, b);
      expect(lines[i], `${a} / ${b}`).toBe(`${q}\t${ceilDiv(a, b)}\t${a / b}\t${halfUp(a, b)}\t${q}\t${a - q * b}`);
    });
  });

  it('long division (divisors of 17+ digits) on the hard cases of Knuth D: near-equal tops, add-back', async () => {
    const cases: Array<[bigint, bigint]> = [];
    const B = 10n ** 7n;
    for (const n of [3, 4, 6, 11]) {
      const v = B ** BigInt(n - 1) * (B / 2n) + 1n; // top limb exactly half the base
      cases.push([v * (B - 1n) + v - 1n, v], [B ** BigInt(n + 1) - 1n, v], [v * v - 1n, v], [(B ** BigInt(n) - 1n) * B ** 2n, B ** BigInt(n) - 1n]);
    }
    cases.push([10n ** 78n - 1n, 10n ** 17n + 3n], [10n ** 77n, 99999999999999999n], [4n * 10n ** 40n + 1n, 2n * 10n ** 20n + 1n]);
    const lines = await run(cases.map(([a, b]) => `Amount.divmod(${lua(a)}, ${lua(b)})`));
    cases.forEach(([a, b], i) => expect(lines[i], `${a} / ${b}`).toBe(`${a / b}\t${a % b}`));
  });

  it('mulDiv states its rounding; the product is exact before dividing', async () => {
    const out = await evalOk(
      booted,
      'return Amount.mulDiv("7", "3", "2", "floor"), Amount.mulDiv("7", "3", "2", "ceil"), Amount.mulDiv("-7", "3", "2", "floor"), Amount.mulDiv("-7", "3", "2", "trunc"), Amount.mulDiv("5", "1", "2", "half-up"), Amount.mulDiv("-5", "1", "2", "half-up")',
    );
    expect(out).toBe('10\t11\t-11\t-10\t3\t-3');
    const big = 2n ** 200n + 17n;
    expect(await evalOk(booted, `return Amount.mulDiv(${lua(big)}, ${lua(big)}, ${lua(big)}, "floor")`)).toBe(big.toString());
  });

  it('parse accepts canonical non-negative integer strings of at most 78 digits only', async () => {
    expect(await evalOk(booted, 'return Amount.parse("000120"), Amount.parse("0000"), Amount.parse("12a"), Amount.parse(5), Amount.parse("-3"), Amount.parse("")')).toBe('120\t0\tnil\tnil\tnil\tnil');
    expect(await evalOk(booted, `return Amount.parse("${'9'.repeat(78)}"), Amount.parse("${'9'.repeat(79)}"), Amount.parse("1.5"), Amount.parse(" 1")`)).toBe(`${'9'.repeat(78)}\tnil\tnil\tnil`);
    expect(await evalOk(booted, 'return Amount.parseSigned("-007"), Amount.parseSigned("-0"), Amount.parseSigned("--1"), Amount.parseSigned("-")')).toBe('-7\t0\tnil\tnil');
  });

  it('helpers: fixed, pow10, min/max, sign, toInteger, errors', async () => {
    expect(await evalOk(booted, 'return Amount.fixed("18000", 4), Amount.fixed("-5", 3), Amount.fixed("123", 0), Amount.fixed("0", 2)')).toBe('1.8000\t-0.005\t123\t0.00');
    expect(await evalOk(booted, 'return Amount.pow10(0), Amount.pow10(20), Amount.min("-3", "2"), Amount.max("-3", "2"), Amount.sign("-9"), Amount.sign("0")')).toBe('1\t100000000000000000000\t-3\t2\t-1\t0');
    expect(await evalOk(booted, `return Amount.toInteger("123456789012345678"), Amount.toInteger("1234567890123456789"), Amount.neg("0"), Amount.abs("-4")`)).toBe('123456789012345678\tnil\t0\t4');
    const r = await booted.process.evaluate(booted.msgs.eval('return Amount.div("1", "0", "floor")'));
    expect(r.Error).toMatch(/division by zero/);
  });
});
