import { afterEach, describe, expect, it } from 'vitest';
import { tokenBootCode } from '../blueprints/token.js';
import fixture from './fixtures/book-matching.json' with { type: 'json' };
import { orderBookBootCode, type OrderBookConfig } from './order-book.js';
import { SimNet } from './sim-net.js';

// The order book in the real aos runtime, with two real token processes: the hand-checked
// matching fixture (price-time, partial fills, IOC, self-trade, post-only, fee rounding, refunds).

const id = (name: string) => `${name}-`.padEnd(43, '0');
const BASE = id('base-token');
const QUOTE = id('quote-token');
const BOOK = id('book');
const FEES = id('fees');

async function market(net: SimNet, config: Partial<OrderBookConfig>, wallets: { base: Record<string, string>; quote: Record<string, string> }): Promise<void> {
  await net.spawn(BASE, tokenBootCode({ name: 'Base', ticker: 'BASE', denomination: config.baseDenomination ?? 12, balances: wallets.base }));
  await net.spawn(QUOTE, tokenBootCode({ name: 'Quote', ticker: 'QUOTE', denomination: 6, balances: wallets.quote }));
  await net.spawn(BOOK, orderBookBootCode({ baseToken: BASE, quoteToken: QUOTE, feeAccount: FEES, ...config }));
}

const bookBalances = async (net: SimNet, account: string) => {
  const r = await net.send(BOOK, { Action: 'Get-Balances', Account: account });
  return JSON.parse(r.Messages[0].Data ?? '') as { base: { available: string; locked: string }; quote: { available: string; locked: string } };
};
const tokenBalance = async (net: SimNet, token: string, account: string) => (await net.send(token, { Action: 'Balance', Recipient: account })).Messages[0].Data;

describe('order book: matching fixture', () => {
  let net: SimNet;
  afterEach(() => net?.close());

  it('matches, charges fees, refunds and settles exactly as hand-checked', async () => {
    net = new SimNet();
    const wallets = { base: Object.fromEntries(Object.entries(fixture.wallets.base).map(([k, v]) => [id(k), v])), quote: Object.fromEntries(Object.entries(fixture.wallets.quote).map(([k, v]) => [id(k), v])) };
    await market(net, fixture.config as Partial<OrderBookConfig>, wallets);
    for (const step of fixture.steps as Array<Record<string, any>>) {
      const who = id(step.from);
      const before = net.mail.length;
      if (step.order && step.deposit) {
        const o = step.order;
        const tags: Record<string, string> = { Action: 'Transfer', Recipient: BOOK, Quantity: step.deposit[1], 'X-Action': 'Place-Order', 'X-Side': o.side, 'X-Price': o.price, 'X-Quantity': o.quantity };
        if (o.type) tags['X-Type'] = o.type;
        if (o.clientOrderId) tags['X-Client-Order-Id'] = o.clientOrderId;
        await net.send(step.deposit[0] === 'base' ? BASE : QUOTE, tags, { from: who });
      } else if (step.order) {
        const o = step.order;
        await net.send(BOOK, { Action: 'Place-Order', Side: o.side, Price: o.price, Quantity: o.quantity }, { from: who });
      } else if (step.cancel) {
        await net.send(BOOK, { Action: 'Cancel-Order', ...step.cancel }, { from: who });
      } else if (step.withdraw) {
        for (const [token, q] of step.withdraw) await net.send(BOOK, { Action: 'Withdraw', Token: token === 'base' ? BASE : QUOTE, Quantity: q }, { from: who });
      }
      const mine = net.mail.slice(before).filter((m) => m.target === who);
      const answer = mine.find((m) => m.tags.Action === step.expect.Action);
      expect(answer, `${step.note}: ${JSON.stringify(mine.map((m) => m.tags))}`).toBeDefined();
      expect(answer!.tags, step.note).toMatchObject(step.expect);
      if (step.refund) {
        const credit = mine.find((m) => m.tags.Action === 'Credit-Notice' && m.tags['X-Action'] === 'Refund');
        expect(credit?.tags, step.note).toMatchObject({ Quantity: step.refund, Sender: BOOK });
        expect(credit?.tags['X-Error']).toBe(step.expect.Error);
      }
    }
    expect(net.errors).toEqual([]);
    const trades = JSON.parse((await net.send(BOOK, { Action: 'Get-Trades', Limit: '100' })).Messages[0].Data ?? '');
    const named = (address: string) => Object.keys({ ...fixture.wallets.base, ...fixture.wallets.quote }).find((n) => id(n) === address);
    expect(trades.map((t: Record<string, string>) => ({ price: t.price, quantity: t.quantity, quoteQuantity: t.quoteQuantity, buyer: named(t.buyer), seller: named(t.seller), takerSide: t.takerSide, buyerFee: t.buyerFee, sellerFee: t.sellerFee }))).toEqual(fixture.trades);
    for (const [name, want] of Object.entries(fixture.balances)) {
      const got = await bookBalances(net, name === 'fees' ? FEES : id(name));
      expect({ name, base: [got.base.available, got.base.locked], quote: [got.quote.available, got.quote.locked] }).toEqual({ name, ...want });
    }
    // the book holds on the tokens exactly what its accounts own
    expect(await tokenBalance(net, BASE, BOOK)).toBe(fixture.bookHolds.base);
    expect(await tokenBalance(net, QUOTE, BOOK)).toBe(fixture.bookHolds.quote);
    expect(JSON.parse(await net.eval(BOOK, 'print(json.encode(BookTotals()))'))).toEqual({ [BASE]: fixture.bookHolds.base, [QUOTE]: fixture.bookHolds.quote });
    // each trade notified both sides with an Order-Fill
    expect(net.mail.filter((m) => m.tags.Action === 'Order-Fill')).toHaveLength(2 * fixture.trades.length);
    const daveFills = net.mailTo(id('dave'), 'Order-Fill');
    expect(daveFills.map((m) => [m.tags.Price, m.tags.Quantity, m.tags.Fee, m.tags.Role, m.tags.Remaining])).toEqual([
      ['990', '200', '0', 'taker', '600'],
      ['1000', '500', '1', 'taker', '100'],
      ['1000', '100', '0', 'taker', '0'],
    ]);
    expect(net.mailTo(id('bob'), 'Order-Cancelled')[0].tags).toMatchObject({ Reason: 'self-trade', Remaining: '200' });
  });

  it('refunds a deposit from an unknown token and answers the book queries', async () => {
    net = new SimNet();
    await market(net, { baseDenomination: 0, tickSize: '1', lotSize: '1' }, { base: { [id('a')]: '100' }, quote: { [id('b')]: '1000' } });
    const OTHER = id('other-token');
    await net.spawn(OTHER, tokenBootCode({ balances: { [id('a')]: '5' } }));
    await net.send(OTHER, { Action: 'Transfer', Recipient: BOOK, Quantity: '5', 'X-Action': 'Deposit' }, { from: id('a') });
    expect(await tokenBalance(net, OTHER, id('a'))).toBe('5');
    expect(await tokenBalance(net, OTHER, BOOK)).toBe('0');
    await net.send(BASE, { Action: 'Transfer', Recipient: BOOK, Quantity: '100' }, { from: id('a') });
    await net.send(QUOTE, { Action: 'Transfer', Recipient: BOOK, Quantity: '1000' }, { from: id('b') });
    for (const [p, q] of [['12', '10'], ['11', '5'], ['12', '7']]) await net.send(BOOK, { Action: 'Place-Order', Side: 'sell', Price: p, Quantity: q }, { from: id('a') });
    await net.send(BOOK, { Action: 'Place-Order', Side: 'buy', Price: '9', Quantity: '20', 'Client-Order-Id': 'b1' }, { from: id('b') });
    const book = JSON.parse((await net.send(BOOK, { Action: 'Get-Book', Depth: '5' }, { from: id('b') })).Messages[0].Data ?? '');
    expect(book).toMatchObject({ bids: [['9', '20', 1]], asks: [['11', '5', 1], ['12', '17', 2]], bestBid: '9', bestAsk: '11' });
    expect(book.account).toMatchObject({ quote: { available: '820', locked: '180' }, orders: [{ clientOrderId: 'b1', remaining: '20' }] });
    const orders = JSON.parse((await net.send(BOOK, { Action: 'Get-Orders', Account: id('a') })).Messages[0].Data ?? '');
    expect(orders.map((o: { price: string }) => o.price)).toEqual(['11', '12', '12']);
    // paging of trades: three trades, two per page
    await net.send(BOOK, { Action: 'Place-Order', Side: 'buy', Price: '12', Quantity: '22', 'Order-Type': 'ioc' }, { from: id('b') });
    const page1 = await net.send(BOOK, { Action: 'Get-Trades', Limit: '2' });
    const next = page1.Messages[0].Tags.find((t) => t.name === 'Next-Seq')!.value;
    const page2 = await net.send(BOOK, { Action: 'Get-Trades', Limit: '2', 'From-Seq': next });
    expect([...JSON.parse(page1.Messages[0].Data ?? ''), ...JSON.parse(page2.Messages[0].Data ?? '')].map((t: { price: string; quantity: string }) => `${t.quantity}@${t.price}`)).toEqual(['5@11', '10@12', '7@12']);
    const all = await net.send(BOOK, { Action: 'Cancel-All' }, { from: id('b') });
    expect(all.Messages[0].Tags.find((t) => t.name === 'Cancelled')!.value).toBe('1');
    expect(net.errors).toEqual([]);
  });

  for (const [mode, restingLeft, incomingStatus] of [['cancel-taking', '5', 'cancelled'], ['cancel-both', undefined, 'cancelled']] as const) {
    it(`self-trade prevention ${mode}`, async () => {
      net = new SimNet();
      await market(net, { baseDenomination: 0, tickSize: '1', lotSize: '1', selfTradePrevention: mode }, { base: { [id('a')]: '100' }, quote: { [id('a')]: '1000', [id('b')]: '1000' } });
      await net.send(BASE, { Action: 'Transfer', Recipient: BOOK, Quantity: '100' }, { from: id('a') });
      await net.send(QUOTE, { Action: 'Transfer', Recipient: BOOK, Quantity: '1000' }, { from: id('a') });
      await net.send(BOOK, { Action: 'Place-Order', Side: 'sell', Price: '10', Quantity: '5' }, { from: id('a') });
      const r = await net.send(BOOK, { Action: 'Place-Order', Side: 'buy', Price: '10', Quantity: '3' }, { from: id('a') });
      expect(Object.fromEntries(r.Messages.find((m) => m.Tags.some((t) => t.value === 'Order-Success'))!.Tags.map((t) => [t.name, t.value]))).toMatchObject({ Status: incomingStatus, Filled: '0', Reason: 'self-trade' });
      const orders = JSON.parse((await net.send(BOOK, { Action: 'Get-Orders', Account: id('a') })).Messages[0].Data ?? '');
      expect(orders.map((o: { remaining: string }) => o.remaining)).toEqual(restingLeft ? [restingLeft] : []);
      // nothing traded, nothing lost: all of a's funds are back or still escrowed
      const b = JSON.parse((await net.send(BOOK, { Action: 'Get-Balances', Account: id('a') })).Messages[0].Data ?? '');
      expect([BigInt(b.base.available) + BigInt(b.base.locked), BigInt(b.quote.available) + BigInt(b.quote.locked)]).toEqual([100n, 1000n]);
      expect(JSON.parse((await net.send(BOOK, { Action: 'Get-Trades' })).Messages[0].Data ?? '')).toEqual([]);
    });
  }
});

