import { afterEach, describe, expect, it } from 'vitest';
import { tokenBootCode } from '../blueprints/token.js';
import { orderBookBootCode } from './order-book.js';
import { SimNet } from './sim-net.js';

// Conservation: random flows of deposits (plain and with an order), orders from the balance,
// batches, cancels and withdrawals, with a seeded PRNG. After every message, the sum of every
// account's available and locked balance (fees included: the fee account is an account) equals
// what the book holds on each token (deposits minus withdrawals, by the token's own ledger).

const id = (name: string) => `${name}-`.padEnd(43, '0');
const BASE = id('base'), QUOTE = id('quote'), BOOK = id('book'), FEES = id('fees');
const TRADERS = ['t0', 't1', 't2', 't3', 't4'].map(id);

/** mulberry32: a tiny seeded PRNG, so a failing seed reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('order book: conservation over random flows', () => {
  let net: SimNet;
  afterEach(() => net?.close());

  for (const seed of [7, 2026]) {
    it(`nothing is minted or lost (seed ${seed})`, async () => {
      const rnd = prng(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
      net = new SimNet();
      const big = '1000000000000000000000000'; // beyond 2^64: the arithmetic is exact at any size
      await net.spawn(BASE, tokenBootCode({ balances: Object.fromEntries(TRADERS.map((t) => [t, big])) }));
      await net.spawn(QUOTE, tokenBootCode({ balances: Object.fromEntries(TRADERS.map((t) => [t, big])) }));
      await net.spawn(BOOK, orderBookBootCode({ baseToken: BASE, quoteToken: QUOTE, feeAccount: FEES, baseDenomination: 3, tickSize: '7', lotSize: '3', makerFeeBps: 13, takerFeeBps: 29, selfTradePrevention: pick(['cancel-resting', 'cancel-taking', 'cancel-both'] as const) }));
      const held = async (token: string) => BigInt((await net.send(token, { Action: 'Balance', Recipient: BOOK })).Messages[0].Data ?? '');
      const clientIds: Record<string, string[]> = {};
      let trades = 0;
      for (let step = 0; step < 160; step++) {
        const who = pick(TRADERS);
        const side = pick(['buy', 'sell'] as const);
        const price = String(7 * int(1, 30)); // sometimes off-tick below
        const quantity = String(3 * int(0, 400));
        const cid = `c${step}`;
        const op = int(0, 9);
        if (op <= 1) {
          const token = pick([BASE, QUOTE]);
          await net.send(token, { Action: 'Transfer', Recipient: BOOK, Quantity: String(int(1, 5000)), 'X-Action': pick(['Deposit', 'Deposit', 'Bogus']) }, { from: who });
        } else if (op <= 3) {
          const token = side === 'buy' ? QUOTE : BASE;
          await net.send(token, { Action: 'Transfer', Recipient: BOOK, Quantity: String(int(1, 3000)), 'X-Action': 'Place-Order', 'X-Side': side, 'X-Price': rnd() < 0.1 ? '10' : price, 'X-Quantity': quantity, 'X-Type': pick(['limit', 'ioc', 'post-only']), 'X-Client-Order-Id': cid }, { from: who });
          (clientIds[who] ??= []).push(cid);
        } else if (op <= 5) {
          await net.send(BOOK, { Action: 'Place-Order', Side: side, Price: price, Quantity: quantity, Type: pick(['limit', 'limit', 'ioc', 'post-only']), 'Client-Order-Id': cid }, { from: who });
          (clientIds[who] ??= []).push(cid);
        } else if (op === 6) {
          const place = Array.from({ length: int(1, 4) }, (_, i) => ({ side: pick(['buy', 'sell']), price: String(7 * int(1, 30)), quantity: String(3 * int(1, 200)), clientOrderId: `${cid}-${i}` }));
          await net.send(BOOK, { Action: 'Batch-Orders' }, { from: who, data: JSON.stringify({ cancel: (clientIds[who] ?? []).slice(-2), place }) });
          (clientIds[who] ??= []).push(...place.map((p) => p.clientOrderId));
        } else if (op === 7) {
          await net.send(BOOK, { Action: 'Cancel-Order', 'Client-Order-Id': pick(clientIds[who] ?? ['none']) }, { from: who });
        } else if (op === 8) {
          await net.send(BOOK, { Action: 'Cancel-All' }, { from: pick([...TRADERS, FEES]) });
        } else {
          await net.send(BOOK, { Action: 'Withdraw', Token: pick([BASE, QUOTE]), Quantity: String(int(1, 3000)) }, { from: pick([...TRADERS, FEES]) });
        }
        const totals = JSON.parse(await net.eval(BOOK, 'print(json.encode(BookTotals()))')) as Record<string, string>;
        for (const token of [BASE, QUOTE]) expect(BigInt(totals[token]), `step ${step} ${token}`).toBe(await held(token));
        trades = Number(await net.eval(BOOK, 'print(TradeSeq)'));
      }
      // the flows really traded, refunded and withdrew
      expect(trades).toBeGreaterThan(10);
      expect(net.mail.some((m) => m.tags.Action === 'Credit-Notice' && m.tags['X-Action'] === 'Refund')).toBe(true);
      expect(net.mail.some((m) => m.tags.Action === 'Credit-Notice' && m.tags['X-Action'] === 'Withdrawal')).toBe(true);
      expect(net.errors).toEqual([]);
      // the traders' wallet balances plus what the book holds still add up to the supply
      for (const token of [BASE, QUOTE]) {
        let sum = await held(token);
        for (const t of TRADERS) sum += BigInt((await net.send(token, { Action: 'Balance', Recipient: t })).Messages[0].Data ?? '');
        expect(sum).toBe(5n * BigInt(big));
      }
    }, 120_000);
  }
});
