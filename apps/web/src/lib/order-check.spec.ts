import { describe, expect, it } from 'vitest';
import { notional, orderProblems, toWhole } from './order-check';

const market = { tickSize: 1000n, lotSize: 1000n, baseDenomination: 6 };

describe('an order checked before it is signed', () => {
  it('accepts an order on the tick and the lot', () => {
    expect(orderProblems(market, { side: 'buy', type: 'limit', price: '100000000', quantity: '5000' })).toEqual({});
  });

  it('refuses a price off the tick and a quantity off the lot, naming the step and a valid value', () => {
    const p = orderProblems(market, { side: 'sell', type: 'limit', price: '100000500', quantity: '1500' });
    expect(p.price).toMatch(/tick size, 1000 \(e\.g\. 100000000\)/);
    expect(p.quantity).toMatch(/lot size, 1000 \(e\.g\. 1000\)/);
  });

  it('refuses what is not a positive integer string', () => {
    for (const bad of ['', '0', '-1000', '1e6', '1000.5', ' 10 00', '0100']) {
      expect(orderProblems(market, { side: 'buy', type: 'limit', price: bad, quantity: '1000' }).price, bad).toBeDefined();
    }
  });

  it('refuses a buy whose locked quote rounds to 0, as the book does (too-small)', () => {
    // 1000 base units at 1000 quote per whole base (10^6 units): floor(1000 × 1000 ÷ 10^6) = 1; at 999 it would be 0
    expect(notional(1000n, 1000n, 6)).toBe(1n);
    expect(orderProblems({ ...market, tickSize: 1n }, { side: 'buy', type: 'limit', price: '999', quantity: '1000' }).quantity).toMatch(/rounds down to 0/);
  });

  it('refuses an order the balance at the venue cannot cover: quote for a buy, base for a sell', () => {
    const available = { base: 4000n, quote: 499n };
    // a buy of 5000 at 100000 locks floor(5000 × 100000 ÷ 10^6) = 500
    expect(orderProblems(market, { side: 'buy', type: 'limit', price: '100000', quantity: '5000' }, available).quantity).toMatch(/Needs 500 quote units; 499 available/);
    expect(orderProblems(market, { side: 'sell', type: 'ioc', price: '100000', quantity: '5000' }, available).quantity).toMatch(/Needs 5000 base units; 4000 available/);
    expect(orderProblems(market, { side: 'sell', type: 'ioc', price: '100000', quantity: '4000' }, available)).toEqual({});
  });

  it('writes atomic units as whole tokens exactly', () => {
    expect(toWhole('1234567', 6)).toBe('1.234567');
    expect(toWhole('100000000', 6)).toBe('100');
    expect(toWhole('5', 6)).toBe('0.000005');
    expect(toWhole('123456789012345678901234567890', 0)).toBe('123,456,789,012,345,678,901,234,567,890');
    expect(toWhole('-1500', 3)).toBe('-1.5');
  });
});
