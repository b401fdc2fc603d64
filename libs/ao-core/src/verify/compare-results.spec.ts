import { describe, expect, it } from 'vitest';
import { canonicalJson, CuComparison } from './compare-results.js';
import type { ResultSource, ServedResult } from './ports.js';

/** A CU serving fixed results, recording each page it was asked for. */
class FixedCu implements ResultSource {
  readonly asked: { after: number | undefined; limit: number }[] = [];
  constructor(
    public served: ServedResult[],
    public head: { nonce: number; stateHash: string } = { nonce: -1, stateHash: '' },
  ) {}
  async results(_processId: string, after: number | undefined, limit: number): Promise<ServedResult[]> {
    this.asked.push({ after, limit });
    return this.served.filter((r) => after === undefined || r.nonce > after).slice(0, limit);
  }
  async state(): Promise<{ nonce: number; stateHash: string }> {
    return this.head;
  }
}

const result = (n: number, extra: Record<string, unknown> = {}) => ({ Output: { data: `n=${n}` }, Messages: [], GasUsed: n, ...extra });
const check = (c: CuComparison, nonce: number, r: unknown) => c.check(nonce, r, canonicalJson(r));

describe('canonicalJson', () => {
  it('sorts object keys at every depth, keeps array order, drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('x')).toBe('"x"');
  });
});

describe('CuComparison', () => {
  it('passes equal results nonce by nonce, paging the CU forward, and counts them', async () => {
    const cu = new FixedCu([0, 1, 2, 3, 4].map((n) => ({ nonce: n, result: result(n) })), { nonce: 4, stateHash: 'h' });
    const c = new CuComparison(cu, 'p', 2);
    for (let n = 0; n <= 4; n++) expect(await check(c, n, result(n))).toBeUndefined();
    expect(c.compared).toBe(5);
    expect(cu.asked.slice(0, 3)).toEqual([
      { after: undefined, limit: 2 },
      { after: 1, limit: 2 },
      { after: 3, limit: 2 },
    ]);
    expect(await c.finish(4, 'h')).toBeUndefined();
  });

  it('names the top-level fields that differ (sorted), or "shape"', async () => {
    const cu = new FixedCu([
      { nonce: 0, result: result(0, { Error: 'boom' }) },
      { nonce: 1, result: [1] },
    ]);
    const c = new CuComparison(cu, 'p');
    expect(await check(c, 0, result(0, { Output: { data: 'other' } }))).toEqual({
      nonce: 0,
      code: 'CU_MISMATCH',
      reason: "the CU's result differs from the replay (Error, Output)",
    });
    expect(await check(c, 1, [2])).toEqual({ nonce: 1, code: 'CU_MISMATCH', reason: "the CU's result differs from the replay (0)" });
    expect(c.compared).toBe(0);
    // values that are not objects have no fields to name
    const scalar = new CuComparison(new FixedCu([{ nonce: 0, result: 'a' }]), 'p');
    expect(await check(scalar, 0, 'b')).toEqual({ nonce: 0, code: 'CU_MISMATCH', reason: "the CU's result differs from the replay (shape)" });
  });

  it('fails at a nonce the CU has no result for, and skips results it has before the asked nonce', async () => {
    const cu = new FixedCu([0, 2, 3].map((n) => ({ nonce: n, result: result(n) })));
    const c = new CuComparison(cu, 'p');
    expect(await check(c, 1, result(1))).toEqual({ nonce: 1, code: 'CU_MISMATCH', reason: 'the CU has no result for nonce 1' });
    expect(await check(c, 3, result(3))).toBeUndefined();
    expect(await check(c, 4, result(4))).toEqual({ nonce: 4, code: 'CU_MISMATCH', reason: 'the CU has no result for nonce 4' });
  });

  it('stops asking once a page is empty or does not move forward', async () => {
    const cu = new FixedCu([{ nonce: 0, result: result(0) }]);
    // a CU that ignores `after` and always answers its first page
    cu.results = async (_p, after, limit) => {
      cu.asked.push({ after, limit });
      return [{ nonce: 0, result: result(0) }];
    };
    const c = new CuComparison(cu, 'p');
    expect(await check(c, 0, result(0))).toBeUndefined();
    expect(await check(c, 1, result(1))).toMatchObject({ nonce: 1, reason: 'the CU has no result for nonce 1' });
    expect(cu.asked).toHaveLength(2);
  });

  it('compares only after the nonce it resumes from', async () => {
    const cu = new FixedCu([0, 1, 2, 3].map((n) => ({ nonce: n, result: result(n) })));
    const c = new CuComparison(cu, 'p', 10, 1);
    expect(await check(c, 2, result(2))).toBeUndefined();
    expect(cu.asked[0]).toEqual({ after: 1, limit: 10 });
  });

  it('finish: fails on a result beyond the log, a state at another nonce, or another state hash', async () => {
    const three = [0, 1, 2].map((n) => ({ nonce: n, result: result(n) }));
    const beyond = new CuComparison(new FixedCu(three, { nonce: 2, stateHash: 'h' }), 'p');
    expect(await beyond.finish(1, 'h')).toEqual({
      nonce: 2,
      code: 'CU_MISMATCH',
      reason: 'the CU has a result for nonce 2, beyond the log on the gateway (last nonce 1)',
    });
    // already buffered: found without asking again
    const buffered = new CuComparison(new FixedCu(three, { nonce: 2, stateHash: 'h' }), 'p');
    expect(await check(buffered, 0, result(0))).toBeUndefined();
    expect(await buffered.finish(0, 'h')).toMatchObject({ nonce: 1, reason: expect.stringContaining('nonce 1, beyond') });

    const behind = new CuComparison(new FixedCu(three.slice(0, 2), { nonce: 0, stateHash: 'h' }), 'p');
    expect(await behind.finish(1, 'h')).toEqual({ nonce: 1, code: 'CU_MISMATCH', reason: "the CU's state is at nonce 0, the log ends at 1" });
    const wayBehind = new CuComparison(new FixedCu([], { nonce: -1, stateHash: '' }), 'p');
    expect(await wayBehind.finish(5, 'h')).toMatchObject({ nonce: 0 });
    const ahead = new CuComparison(new FixedCu(three.slice(0, 2), { nonce: 7, stateHash: 'h' }), 'p');
    expect(await ahead.finish(1, 'h')).toMatchObject({ nonce: 1, reason: "the CU's state is at nonce 7, the log ends at 1" });

    const other = new CuComparison(new FixedCu(three, { nonce: 2, stateHash: 'cu' }), 'p');
    expect(await other.finish(2, 'replay')).toEqual({ nonce: 2, code: 'CU_MISMATCH', reason: 'state hash differs: CU cu, replay replay' });
  });
});
