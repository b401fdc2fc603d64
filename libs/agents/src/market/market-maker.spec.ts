import { TEST_OWNER } from '@ao/core';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenBootCode } from '../blueprints/token.js';
import golden from './fixtures/mm-goldens.json' with { type: 'json' };
import { marketMakerBootCode, type MarketMakerConfig } from './market-maker.js';
import { orderBookBootCode } from './order-book.js';
import { priceOracleBootCode } from './price-oracle.js';
import { SimNet } from './sim-net.js';

// The market maker's golden scenarios in the real aos runtime, on a real order book with real
// tokens and a price oracle: what it sends the venue (Batch-Orders), what it publishes, its PnL.

const id = (name: string) => `${name}-`.padEnd(43, '0');
const BASE = id('base'), QUOTE = id('quote'), BOOK = id('book'), ORACLE = id('oracle'), MM = id('mm'), TAKER = id('taker'), SUB = id('subscriber');
const OWNER = TEST_OWNER;
const { baseDenomination, tickSize, lotSize } = golden.units;

interface Batch { cancel: string[]; place: { side: string; price: string; quantity: string; clientOrderId: string }[] }

async function market(config: Partial<MarketMakerConfig>, funds: { base: string; quote: string }, price: string, start = 1_000_000): Promise<SimNet> {
  const net = new SimNet();
  net.now = start;
  await net.spawn(BASE, tokenBootCode({ denomination: 6, balances: { [OWNER]: '1000000000000', [TAKER]: '1000000000000' } }));
  await net.spawn(QUOTE, tokenBootCode({ denomination: 6, balances: { [OWNER]: '1000000000000', [TAKER]: '1000000000000' } }));
  await net.spawn(BOOK, orderBookBootCode({ baseToken: BASE, quoteToken: QUOTE, baseDenomination, tickSize, lotSize, makerFeeBps: golden.pnl.feeBps, takerFeeBps: 20 }));
  await net.spawn(ORACLE, priceOracleBootCode({ mode: 'feed' }));
  await net.spawn(MM, marketMakerBootCode({ venue: BOOK, baseToken: BASE, quoteToken: QUOTE, baseDenomination, tickSize, lotSize, priceSource: 'oracle', oracle: ORACLE,
    bidSpreadBps: 100, askSpreadBps: 100, orderAmount: '1000000', orderRefreshTimeMs: 1000, ...config }));
  await net.send(ORACLE, { Action: 'Start' });
  // funds sent to the agent go on to the venue as deposits
  if (funds.base !== '0') await net.send(BASE, { Action: 'Transfer', Recipient: MM, Quantity: funds.base });
  if (funds.quote !== '0') await net.send(QUOTE, { Action: 'Transfer', Recipient: MM, Quantity: funds.quote });
  // the taker's inventory at the venue
  await net.send(BASE, { Action: 'Transfer', Recipient: BOOK, Quantity: '500000000' }, { from: TAKER });
  await net.send(QUOTE, { Action: 'Transfer', Recipient: BOOK, Quantity: '50000000000' }, { from: TAKER });
  await net.send(MM, { Action: 'Register-Subscriber', Topics: '["fills","pnl","quotes","status"]' }, { from: SUB });
  const started = await net.send(MM, { Action: 'Start' });
  expect(started.Messages.map((m) => m.Tags.find((t) => t.name === 'Action')?.value)).toContain('Status-Changed');
  await publish(net, price);
  return net;
}

const publish = (net: SimNet, price: string) => net.send(ORACLE, { Action: 'Publish-Price', Price: price });
const batches = (net: SimNet, from = 0): Batch[] => net.log.slice(from).filter((m) => m.target === BOOK && m.from === MM && m.tags.Action === 'Batch-Orders').map((m) => JSON.parse(m.data) as Batch);
const side = (b: Batch, s: string) => b.place.filter((o) => o.side === s).map((o) => [o.price, o.quantity]);
const query = async (net: SimNet, action: string, tags: Record<string, string> = {}) => JSON.parse((await net.send(MM, { Action: action, ...tags }, { from: SUB })).Messages[0].Data ?? '');
async function tickAt(net: SimNet, t: number): Promise<number> {
  net.now = t;
  const before = net.log.length;
  await net.tick(MM);
  return before;
}
const taker = (net: SimNet, s: 'buy' | 'sell', price: string, quantity: string) => net.send(BOOK, { Action: 'Place-Order', Side: s, Price: price, Quantity: quantity, 'Order-Type': 'ioc' }, { from: TAKER });

describe('market maker: golden scenarios', () => {
  let net: SimNet;
  afterEach(() => net?.close());

  it('places the 3-level ladder, skewed when long 52 % (7/9 buys, 11/9 sells)', async () => {
    const g = golden.ladder;
    net = await market({ ...g.config }, { base: '50000000', quote: '5000000000' }, g.price);
    await tickAt(net, 1_001_000);
    const [first] = batches(net);
    expect(side(first, 'buy')).toEqual(g.buys);
    expect(side(first, 'sell')).toEqual(g.sells);
    expect(first.place.map((o) => o.clientOrderId)).toEqual(['1-B-0', '1-B-1', '1-B-2', '1-S-0', '1-S-1', '1-S-2']);
    net.close();
    const long = golden.skew[0];
    net = await market({ ...g.config, inventorySkewEnabled: true }, { base: long.base, quote: long.quote }, g.price);
    await tickAt(net, 1_001_000);
    const [skewed] = batches(net);
    expect(skewed.place.filter((o) => o.side === 'buy').map((o) => o.quantity)).toEqual(long.buys);
    expect(skewed.place.filter((o) => o.side === 'sell').map((o) => o.quantity)).toEqual(long.sells);
    net.close();
    const sixty = golden.skew[2];
    net = await market({ ...g.config, inventorySkewEnabled: true }, { base: sixty.base, quote: sixty.quote }, g.price);
    await tickAt(net, 1_001_000);
    const [oneSided] = batches(net);
    expect(side(oneSided, 'buy')).toEqual([]);
    expect(oneSided.place.map((o) => o.quantity)).toEqual(sixty.sells);
    // the venue holds what the agent asked for
    const orders = JSON.parse((await net.send(BOOK, { Action: 'Get-Orders', Account: MM })).Messages[0].Data ?? '');
    expect(orders.map((o: { price: string; remaining: string }) => [o.price, o.remaining])).toEqual(golden.ladder.sells.map(([p], i) => [p, sixty.sells[i]]));
    expect(net.errors).toEqual([]);
  });

  it('keeps orders within the refresh tolerance and replaces them beyond it', async () => {
    const t = golden.tolerance;
    for (const [tol, replaced] of [[t.keepAtBps, false], [t.replaceAtBps, true]] as const) {
      net = await market({ ...t.config, orderRefreshToleranceBps: tol }, { base: '50000000', quote: '5000000000' }, t.from);
      await tickAt(net, 1_001_000);
      expect(batches(net)[0].place.map((o) => o.price)).toEqual(t.active);
      await publish(net, t.to);
      const from = await tickAt(net, 1_002_000);
      const next = batches(net, from);
      if (!replaced) {
        expect(next, `tolerance ${tol}`).toEqual([]);
      } else {
        expect(next).toHaveLength(1);
        expect(next[0].cancel.sort()).toEqual(['1-B-0', '1-S-0']);
        expect(next[0].place.map((o) => o.price)).toEqual(t.replacedBy);
      }
      net.close();
    }
  });

  it('waits the filled-order delay, strictly: nothing at fill + 60 s, quotes again 10 s later', async () => {
    const d = golden.filledOrderDelay;
    net = await market({ filledOrderDelayMs: d.delayMs }, { base: '50000000', quote: '5000000000' }, '100000000', 990_000);
    await tickAt(net, 990_000 + 1);
    expect(batches(net)).toHaveLength(1);
    net.now = d.fillAt;
    await taker(net, 'sell', '99000000', '1000000'); // fills the whole bid
    const created: number[] = [];
    for (let t = d.fillAt + d.cronMs; t <= d.createAt; t += d.cronMs) {
      const from = await tickAt(net, t);
      if (batches(net, from).some((b) => b.place.length > 0)) created.push(t);
    }
    expect(created).toEqual([d.createAt]);
    expect(created).not.toContain(d.noCreateAt);
  });

  it('quotes one side only beyond the price ceiling or floor', async () => {
    const c = golden.ceilingFloor;
    for (const [price, only] of [[c.above, 'sell'], [c.below, 'buy']] as const) {
      net = await market({ priceCeiling: c.ceiling, priceFloor: c.floor }, { base: '50000000', quote: '5000000000' }, price);
      await tickAt(net, 1_001_000);
      const [b] = batches(net);
      expect(b.place.map((o) => o.side)).toEqual([only]);
      net.close();
    }
  });

  it('accounts PnL after a buy and a sell with fees, publishes each fill once, and replays identically', async () => {
    const g = golden.pnl;
    const run = async () => {
      const n = await market({}, { base: g.start.base, quote: g.start.quote }, g.start.price);
      await tickAt(n, 1_001_000);
      n.now = 1_001_500;
      await taker(n, 'sell', '99000000', '1000000');
      await taker(n, 'buy', '101000000', '1000000');
      await tickAt(n, 1_002_000);
      return n;
    };
    net = await run();
    const firstHash = await net.process(MM).stateHash();
    const outbox = (n: SimNet) => JSON.stringify([...n.log, ...n.mail].filter((m) => m.from === MM));
    const firstOutbox = outbox(net);
    const { pnl } = await query(net, 'Get-PnL');
    expect(pnl).toMatchObject(g.afterBuyAndSell);
    const fills = net.mailTo(SUB, 'Notify-On-Topic').filter((m) => m.tags.Topic === 'fills');
    expect(fills.map((m) => JSON.parse(m.data)).map((f) => [f.side, f.price, f.quantity, f.fee, f.feeToken])).toEqual([
      ['buy', '99000000', '1000000', '1000', 'base'],
      ['sell', '101000000', '1000000', '101000', 'quote'],
    ]);
    expect(new Set(fills.map((m) => m.tags['Event-Seq'])).size).toBe(2);
    const page = await net.send(MM, { Action: 'Get-Fills', Limit: '1' });
    expect(JSON.parse(page.Messages[0].Data ?? '')).toHaveLength(1);
    expect(page.Messages[0].Tags.find((t) => t.name === 'Next-Seq')?.value).toBe('2');
    // the same log twice: the same state, byte for byte
    const again = await run();
    expect(await again.process(MM).stateHash()).toBe(firstHash);
    expect(outbox(again)).toBe(firstOutbox);
    again.close();
  });

  it('values a lone buy at a lower price as a loss', async () => {
    net = await market({}, { base: golden.pnl.start.base, quote: golden.pnl.start.quote }, golden.pnl.start.price);
    await tickAt(net, 1_001_000);
    await taker(net, 'sell', '99000000', '1000000');
    await publish(net, golden.pnl.buyOnlyAt98.price);
    await tickAt(net, 1_002_000);
    expect((await query(net, 'Get-PnL')).pnl).toMatchObject(golden.pnl.buyOnlyAt98);
  });

  it('trips the kill switch: cancels everything and moves to Killed', async () => {
    net = await market({ orderAmount: '30000000', killSwitch: { enabled: true, lossBps: golden.killSwitch.lossBps } }, { base: '50000000', quote: '5000000000' }, '100000000');
    await tickAt(net, 1_001_000);
    await taker(net, 'sell', '99000000', '30000000'); // the agent buys 30 at 99
    await publish(net, '80000000'); // 30 * (80 - 99) = -570 on a hold of 9000: -6.3 %
    const from = await tickAt(net, 1_002_000);
    expect(net.log.slice(from).some((m) => m.from === MM && m.target === BOOK && m.tags.Action === 'Cancel-All')).toBe(true);
    const info = (await net.send(MM, { Action: 'Info' })).Messages[0].Tags.find((t) => t.name === 'Status')?.value;
    expect(info).toBe('Killed');
    const status = net.mailTo(SUB, 'Notify-On-Topic').filter((m) => m.tags.Topic === 'status').map((m) => JSON.parse(m.data));
    expect(status.at(-1)).toMatchObject({ status: 'Killed', reason: expect.stringMatching(/^kill-switch/) });
    expect(JSON.parse((await net.send(BOOK, { Action: 'Get-Orders', Account: MM })).Messages[0].Data ?? '')).toEqual([]);
    expect((await net.send(MM, { Action: 'Start' })).Messages[0].Tags.find((t) => t.name === 'Error')?.value).toBe('killed');
  });

  it('applies a hot Configure at the next tick and refuses bad patches, leaving the config unchanged', async () => {
    net = await market({}, { base: '50000000', quote: '5000000000' }, '100000000');
    await tickAt(net, 1_001_000);
    const configure = async (patch: unknown, from = OWNER) => JSON.parse((await net.send(MM, { Action: 'Configure' }, { from, data: JSON.stringify(patch) })).Messages[0].Data ?? '{}');
    const bad = await configure({ bidSpreadBps: 'wide', colour: 'red', orderLevels: 99, orderRefreshTimeMs: 5000, inventoryRangeMultiplier: '1.23456' });
    expect(bad.applied).toEqual([]);
    expect(Object.fromEntries(bad.rejected.map((r: { key: string; reason: string }) => [r.key, r.reason]))).toMatchObject({
      bidSpreadBps: expect.stringMatching(/integer/), colour: 'unknown key', orderLevels: expect.stringMatching(/at most 20/),
      orderRefreshTimeMs: expect.stringMatching(/^restart-required/),
    });
    expect((await net.send(MM, { Action: 'Configure' }, { from: TAKER, data: '{"bidSpreadBps":5}' })).Messages[0].Tags.find((t) => t.name === 'Error')?.value).toBe('not-owner');
    expect((await query(net, 'Get-Config')).configVersion).toBe(0);
    const ok = await configure({ bidSpreadBps: 200 });
    expect(ok).toMatchObject({ applied: ['bidSpreadBps'], rejected: [], configVersion: 1 });
    const from = await tickAt(net, 1_002_000);
    expect(batches(net, from)[0].place.map((o) => o.price)).toEqual(['98000000', '101000000']);
  });

  it('stops (cancelling at the venue) and withdraws for its owner only while stopped', async () => {
    net = await market({}, { base: '50000000', quote: '5000000000' }, '100000000');
    await tickAt(net, 1_001_000);
    const early = await net.send(MM, { Action: 'Withdraw', Token: 'base', Quantity: '1' });
    expect(early.Messages[0].Tags.find((t) => t.name === 'Action')?.value).toBe('Withdraw-Error');
    await net.send(MM, { Action: 'Stop' });
    expect(JSON.parse((await net.send(BOOK, { Action: 'Get-Orders', Account: MM })).Messages[0].Data ?? '')).toEqual([]);
    const before = BigInt((await net.send(BASE, { Action: 'Balance', Recipient: OWNER })).Messages[0].Data ?? '');
    await net.send(MM, { Action: 'Withdraw', Token: 'base', Quantity: '50000000' });
    expect(BigInt((await net.send(BASE, { Action: 'Balance', Recipient: OWNER })).Messages[0].Data ?? '') - before).toBe(50_000_000n);
    expect(net.errors).toEqual([]);
  });

  it('in paper mode sends no orders and fills against the venue’s public trades', async () => {
    net = await market({ mode: 'paper', priceSource: 'venue-mid', paperBalances: { base: '50000000', quote: '5000000000' } }, { base: '0', quote: '0' }, '100000000');
    // someone else makes a market at 99 / 101: the mid is 100
    await net.send(BOOK, { Action: 'Place-Order', Side: 'buy', Price: '99000000', Quantity: '5000000' }, { from: TAKER });
    await net.send(BOOK, { Action: 'Place-Order', Side: 'sell', Price: '101000000', Quantity: '5000000' }, { from: TAKER });
    await tickAt(net, 1_001_000);
    const quoted = await query(net, 'Get-Quotes');
    expect(quoted.orders.map((o: { side: string; price: string }) => [o.side, o.price])).toEqual([['buy', '99000000'], ['sell', '101000000']]);
    // a trade prints at 99 (a seller hits the public bid): the paper bid at 99 fills
    await net.send(BASE, { Action: 'Transfer', Recipient: BOOK, Quantity: '1000000', 'X-Action': 'Place-Order', 'X-Side': 'sell', 'X-Price': '99000000', 'X-Type': 'ioc' }, { from: OWNER });
    await tickAt(net, 1_002_000);
    const fills = JSON.parse((await net.send(MM, { Action: 'Get-Fills' })).Messages[0].Data ?? '');
    expect(fills.map((f: Record<string, unknown>) => [f.side, f.price, f.quantity, f.paper])).toEqual([['buy', '99000000', '1000000', true]]);
    expect((await query(net, 'Get-Inventory')).base).toBe('50999000');
    expect(batches(net)).toEqual([]);
    expect(net.log.some((m) => m.from === MM && m.target === BOOK && m.tags.Action !== 'Get-Book')).toBe(false);
  });

  it('runs one cycle per Get-Book reply: a repeated or older reply runs nothing', async () => {
    net = await market({}, { base: '50000000', quote: '5000000000' }, '100000000');
    await tickAt(net, 1_001_000);
    await tickAt(net, 1_002_000);
    const replies = net.log.filter((m) => m.from === BOOK && m.target === MM && m.tags.Action === 'Book');
    expect(replies).toHaveLength(2);
    const cycles = async () => JSON.parse((await net.send(MM, { Action: 'Info' })).Messages[0].Data ?? '').cycles;
    expect(await cycles()).toBe(2);
    for (const r of replies) {
      await net.send(MM, { Action: 'Book', 'X-Reference': r.tags['X-Reference'], 'Content-Type': 'application/json' }, { from: BOOK, data: r.data });
    }
    expect(await cycles()).toBe(2);
  });
});

