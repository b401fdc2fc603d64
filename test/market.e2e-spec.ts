import { createHash, generateKeyPair } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { connect, createDataItemSigner } from '@permaweb/aoconnect';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { marketMakerBootCode, orderBookBootCode, priceOracleBootCode, tokenBootCode } from '@ao/agents';
import { ArweaveGateway, loadOrCreateWallet } from '@ao/infra';
import { startCron } from './support/cron-helpers.js';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';
import { lastLine, runVerifyCli } from './support/verify-helpers.js';

// A whole market on the real pipeline: two tokens, an order book, a price oracle, two market
// makers on different configs ticked by the cron service (1 s and 2 s), a taker trading through
// an unmodified aoconnect, and a subscriber wallet. Then every process is reproduced from the
// gateway alone by npm run verify.

type Tag = { name: string; value: string };
type Msg = { Target: string; Data: string; Tags: Tag[] };
type Result = { Messages: Msg[]; Error?: string };
interface LegacyAo {
  message(args: { process: string; signer: unknown; tags?: Tag[]; data?: string }): Promise<string>;
  result(args: { process: string; message: string }): Promise<Result>;
}
const tagsOf = (tags: Tag[]): Record<string, string> => Object.fromEntries(tags.map((t) => [t.name, t.value]));
const toTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([name, value]) => ({ name, value }));
const newWallet = async () => (await promisify(generateKeyPair)('rsa', { modulusLength: 4096, publicExponent: 65537 })).privateKey.export({ format: 'jwk' }) as { n: string };
const jwkAddress = (jwk: { n: string }) => createHash('sha256').update(Buffer.from(jwk.n, 'base64url')).digest('base64url');

const BASE_UNIT = 1_000_000n; // both tokens have 6 decimals; prices are quote atomic units per whole base
const price = (p: number) => String(Math.round(p * 1_000_000));
const base = (q: number) => String(BigInt(Math.round(q * 1000)) * (BASE_UNIT / 1000n));
const SUPPLY = '1000000000000000';

describe('a market on ao end to end', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let crons: INestApplicationContext[] = [];
  let ao: LegacyAo;
  let takerSigner: unknown;
  let taker: string;
  let gateway: ArweaveGateway;
  const owner: ItemSigner = newUser();
  const subscriber: ItemSigner = newUser();
  const pid: Record<'base' | 'quote' | 'book' | 'oracle' | 'mm1' | 'mm2', string> = { base: '', quote: '', book: '', oracle: '', mm1: '', mm2: '' };

  const send = async (who: ItemSigner, process: string, tags: Record<string, string>, data = '') => {
    const item = await messageItem(who, process, toTags(tags), data);
    await platform.mu(item.raw).expect(202);
    const result = (await platform.result(process, item.id)) as Result;
    expect(result.Error, JSON.stringify(tags)).toBeUndefined();
    return result;
  };
  const reply = (r: Result, action: string) => {
    const m = r.Messages.find((x) => tagsOf(x.Tags).Action === action);
    if (!m) throw new Error(`no ${action} among ${JSON.stringify(r.Messages.map((x) => tagsOf(x.Tags)))}`);
    return { ...tagsOf(m.Tags), data: m.Data } as Record<string, string>;
  };
  const dry = async (process: string, tags: Record<string, string>, from = owner.address) => {
    const body = (await platform.http().post('/cu/dry-run').query({ 'process-id': process }).send({ Target: process, Owner: from, From: from, Tags: toTags(tags), Data: '' }).expect(200)).body as Result;
    return body.Messages[0];
  };
  const dryJson = async (process: string, tags: Record<string, string>, from?: string) => JSON.parse((await dry(process, tags, from)).Data);
  const spawn = async (name: string, code: string, cron?: string) => {
    const tags = [{ name: 'Name', value: name }, { name: 'On-Boot', value: 'Data' }, { name: 'Authority', value: su }];
    if (cron) tags.push({ name: 'Cron-Interval', value: cron }, { name: 'Cron-Tag-Action', value: 'Tick' });
    const p = await processItem(owner, su, tags, code, moduleId);
    await platform.mu(p.raw).expect(202);
    expect(((await platform.result(p.id, p.id)) as Result).Error).toBeUndefined();
    return p.id;
  };
  const monitor = async (process: string, method: 'post' | 'delete') => {
    const item = await messageItem(owner, process, [{ name: 'Action', value: 'Monitor' }], '');
    const res = await platform.http()[method](`/mu/monitor/${process}`).set('content-type', 'application/octet-stream').send(Buffer.from(item.raw));
    expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  };
  const quotes = async (mm: string) => (await dryJson(mm, { Action: 'Get-Quotes' })) as { refPrice?: string; orders: { clientOrderId: string; side: string; price: string; size: string }[] };
  const takerTrades = async () => ((await dryJson(pid.book, { Action: 'Get-Trades', Limit: '500' })) as Record<string, string>[]).filter((x) => x.buyer === taker || x.seller === taker);
  /** The taker deposits and places an IOC order in one aoconnect transfer; answers the trades it made. */
  const take = async (side: 'buy' | 'sell', limit: string, quantity: string, deposit: string) => {
    const before = (await takerTrades()).length;
    const tags = toTags({ Action: 'Transfer', Recipient: pid.book, Quantity: deposit, 'X-Action': 'Place-Order', 'X-Side': side, 'X-Price': limit, 'X-Quantity': quantity, 'X-Type': 'ioc' });
    const token = side === 'buy' ? pid.quote : pid.base;
    const id = await ao.message({ process: token, signer: takerSigner, tags });
    const result = await ao.result({ process: token, message: id });
    expect(result.Error).toBeUndefined();
    expect(result.Messages.map((m) => tagsOf(m.Tags).Action).sort()).toEqual(['Credit-Notice', 'Debit-Notice']);
    // the Credit-Notice reaches the book through the MU: one message, so all its trades at once
    return until(`the taker's ${side} to trade`, async () => {
      const mine = await takerTrades();
      return mine.length > before ? mine.slice(before) : undefined;
    }, 60_000, 300);
  };
  let su = '';
  let moduleId = '';

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '60000' });
    platform = await startTestPlatform(t.env, { listen: true });
    const info = (await platform.http().get('/info').expect(200)).body;
    su = info.scheduler.address;
    moduleId = info.modules['lua-5.4-aos'];
    ao = connect({ MODE: 'legacy', MU_URL: `${platform.url}/mu`, CU_URL: `${platform.url}/cu`, GATEWAY_URL: info.gateway }) as unknown as LegacyAo;
    const jwk = await newWallet();
    takerSigner = createDataItemSigner(jwk);
    taker = jwkAddress(jwk);
    const upload = await loadOrCreateWallet(join(inject('walletDir'), 'arweave-wallet.json'), 'arweave');
    gateway = new ArweaveGateway(inject('arweaveUrl'), upload.jwk as unknown as JWKInterface);

    const balances = { [owner.address]: SUPPLY, [taker]: SUPPLY };
    pid.base = await spawn('base', tokenBootCode({ name: 'Base', ticker: 'BASE', denomination: 6, balances }));
    pid.quote = await spawn('quote', tokenBootCode({ name: 'Quote', ticker: 'QUOTE', denomination: 6, balances }));
    pid.book = await spawn('book', orderBookBootCode({ baseToken: pid.base, quoteToken: pid.quote, baseDenomination: 6, tickSize: '1000', lotSize: '1000', makerFeeBps: 10, takerFeeBps: 20 }));
    pid.oracle = await spawn('oracle', priceOracleBootCode({ mode: 'feed', pair: 'BASE/QUOTE' }));
    const common = { venue: pid.book, baseToken: pid.base, quoteToken: pid.quote, baseDenomination: 6, tickSize: '1000', lotSize: '1000' };
    pid.mm1 = await spawn('mm1', marketMakerBootCode({ ...common, priceSource: 'oracle', oracle: pid.oracle, bidSpreadBps: 100, askSpreadBps: 100, orderLevels: 3,
      orderLevelSpreadBps: 50, orderAmount: base(5), orderLevelAmount: base(1), orderRefreshTimeMs: 3000, orderRefreshToleranceBps: -1, filledOrderDelayMs: 2000 }), '1-second');
    pid.mm2 = await spawn('mm2', marketMakerBootCode({ ...common, priceSource: 'venue-mid', bidSpreadBps: 50, askSpreadBps: 50, orderLevels: 2, orderLevelSpreadBps: 100,
      orderAmount: base(2), orderRefreshTimeMs: 2000, filledOrderDelayMs: 1000, inventorySkewEnabled: true }), '2-seconds');
    // inventory: the owner funds each agent, which deposits at the venue
    for (const [mm, b, q] of [[pid.mm1, 100, 10_000], [pid.mm2, 20, 2000]] as const) {
      await send(owner, pid.base, { Action: 'Transfer', Recipient: mm, Quantity: base(b) });
      await send(owner, pid.quote, { Action: 'Transfer', Recipient: mm, Quantity: price(q) });
    }
    await send(owner, pid.oracle, { Action: 'Start' });
    await send(subscriber, pid.mm1, { Action: 'Register-Subscriber', Topics: '["fills"]' });
    expect(reply(await send(owner, pid.mm1, { Action: 'Start' }), 'Status-Changed')).toMatchObject({ Status: 'Running' });
    expect(reply(await send(owner, pid.mm2, { Action: 'Start' }), 'Status-Changed')).toMatchObject({ Status: 'Running' });
    await until('mm1 to subscribe to the oracle', async () => ((await dryJson(pid.oracle, { Action: 'Get-Subscriptions' })) as unknown[]).length === 1 || undefined, 30_000, 300);
    await send(owner, pid.oracle, { Action: 'Publish-Price', Price: price(100) });
    await until('the deposits at the venue', async () => {
      const b = await dryJson(pid.book, { Action: 'Get-Balances', Account: pid.mm2 });
      return b.quote.available === price(2000) || undefined;
    }, 60_000, 300);
    crons = await startCron(t.env, 1);
    await monitor(pid.mm1, 'post');
    await monitor(pid.mm2, 'post');
  }, 300_000);

  afterAll(async () => {
    await Promise.all(crons.map((c) => c.close()));
    await platform?.close();
    await t?.cleanup();
  });

  it('quotes appear on the book from both agents and refresh', async () => {
    const first = await until('both ladders on the book', async () => {
      const [q1, q2] = [await quotes(pid.mm1), await quotes(pid.mm2)];
      return q1.orders.length === 6 && q2.orders.length === 4 ? { q1, q2 } : undefined;
    }, 90_000, 500);
    expect(first.q1.orders.filter((o) => o.side === 'buy').map((o) => o.price).sort()).toEqual([price(98), price(98.5), price(99)]);
    // Get-Quotes answers what an agent sent; its Batch-Orders reaches the venue as a later message
    await until('both ladders accepted by the venue', async () => {
      const [o1, o2] = [(await dryJson(pid.book, { Action: 'Get-Orders' }, pid.mm1)) as unknown[], (await dryJson(pid.book, { Action: 'Get-Orders' }, pid.mm2)) as unknown[]];
      return (o1.length === 6 && o2.length === 4) || undefined;
    }, 60_000, 300);
    const book = await dryJson(pid.book, { Action: 'Get-Book', Depth: '10' });
    expect(book.asks.length).toBeGreaterThanOrEqual(4);
    // mm2 quotes inside mm1 around the venue's mid
    expect(BigInt(book.bestBid)).toBeGreaterThanOrEqual(BigInt(price(99)));
    const before = new Set(first.q1.orders.map((o) => o.clientOrderId));
    await until('mm1 to refresh its orders', async () => (await quotes(pid.mm1)).orders.some((o) => !before.has(o.clientOrderId)) || undefined, 60_000, 500);
  }, 180_000);

  it('the taker gets fills through aoconnect, and inventory skew moves mm2’s ladder', async () => {
    const trades = await take('buy', price(101.5), base(4), price(500));
    expect(trades.reduce((s, x) => s + BigInt(x.quantity), 0n)).toBe(BigInt(base(4)));
    // mm2 sold base: below its 50 % target, its new ladder bids more than 2 base and offers less
    const skewed = await until('mm2 to quote skewed sizes', async () => {
      const q = await quotes(pid.mm2);
      const sizes = (s: string) => q.orders.filter((o) => o.side === s).map((o) => BigInt(o.size));
      const [buys, sells] = [sizes('buy'), sizes('sell')];
      return buys.length === 2 && sells.length === 2 && buys.every((x) => x > BigInt(base(2))) && sells.every((x) => x < BigInt(base(2))) ? q : undefined;
    }, 60_000, 500);
    expect(skewed.orders).toHaveLength(4);
  }, 180_000);

  it('a hot Configure takes effect at the next tick', async () => {
    const r = reply(await send(owner, pid.mm1, { Action: 'Configure' }, JSON.stringify({ bidSpreadBps: 300 })), 'Configure-Response');
    expect(JSON.parse(r.data)).toMatchObject({ applied: ['bidSpreadBps'], rejected: [] });
    await until('mm1 to bid 3 % under the price', async () => {
      const q = await quotes(pid.mm1);
      const bids = q.orders.filter((o) => o.side === 'buy').map((o) => BigInt(o.price));
      return bids.length > 0 && bids.every((p) => p <= BigInt(price(97))) || undefined;
    }, 60_000, 500);
    // a restart-only key while running is refused, the config unchanged
    const refused = JSON.parse(reply(await send(owner, pid.mm1, { Action: 'Configure' }, JSON.stringify({ orderLevels: 2, priceSource: 'last-trade' })), 'Configure-Response').data);
    expect(refused.rejected).toEqual([{ key: 'priceSource', reason: expect.stringMatching(/^restart-required/) }]);
  }, 180_000);

  it('the kill switch trips when a price drop turns bought inventory into a loss', async () => {
    await send(owner, pid.mm1, { Action: 'Configure' }, JSON.stringify({ bidSpreadBps: 100, killSwitch: { enabled: true, lossBps: 30 } }));
    await until('mm1 to bid at 99 again', async () => (await quotes(pid.mm1)).orders.some((o) => o.side === 'buy' && o.price === price(99)) || undefined, 60_000, 500);
    await take('sell', price(97), base(20), base(20));
    await send(owner, pid.oracle, { Action: 'Publish-Price', Price: price(90) });
    await until('mm1 to be Killed', async () => tagsOf((await dry(pid.mm1, { Action: 'Info' })).Tags).Status === 'Killed' || undefined, 60_000, 500);
    await until('mm1 orders to leave the book', async () => ((await dryJson(pid.book, { Action: 'Get-Orders', Account: pid.mm1 })) as unknown[]).length === 0 || undefined, 60_000, 500);
    const info = JSON.parse((await dry(pid.mm1, { Action: 'Info' })).Data);
    expect(BigInt(info.pnl.returnPpm)).toBeLessThanOrEqual(-3000n);
  }, 180_000);

  it('balances add up exactly across every account, and the subscriber got every fill once', async () => {
    await Promise.all(crons.splice(0).map((c) => c.close()));
    await monitor(pid.mm1, 'delete');
    await monitor(pid.mm2, 'delete');
    // wait for the pipeline to go quiet: the book's trade count stops moving
    let last = -1;
    await until('the market to settle', async () => {
      const n = Number(tagsOf((await dry(pid.book, { Action: 'Info' })).Tags)['Trade-Seq']);
      const settled = n === last;
      last = n;
      return settled || undefined;
    }, 60_000, 3000);
    for (const token of [pid.base, pid.quote]) {
      const all = (await dryJson(token, { Action: 'Balances' })) as Record<string, string>;
      expect(Object.values(all).reduce((s, v) => s + BigInt(v), 0n)).toBe(2n * BigInt(SUPPLY));
      // what the book holds is exactly what its accounts own, available plus locked
      let owned = 0n;
      for (const account of [pid.mm1, pid.mm2, taker, owner.address]) {
        const b = await dryJson(pid.book, { Action: 'Get-Balances', Account: account });
        const side = token === pid.base ? b.base : b.quote;
        owned += BigInt(side.available) + BigInt(side.locked);
      }
      expect(owned).toBe(BigInt(all[pid.book]));
    }
    const fills = Number(JSON.parse((await dry(pid.mm1, { Action: 'Info' })).Data).fills);
    expect(fills).toBeGreaterThan(0);
    const delivered = await until('every fill event on the gateway', async () => {
      const data = await gateway.graphql<{ transactions: { edges: { node: { recipient: string; tags: Tag[] } }[] } }>(
        'query($tags: [TagFilter!]) { transactions(first: 100, tags: $tags) { edges { node { recipient tags { name value } } } } }',
        { tags: [{ name: 'From-Process', values: [pid.mm1] }, { name: 'Action', values: ['Notify-On-Topic'] }, { name: 'Topic', values: ['fills'] }] },
      );
      const mine = data.transactions.edges.filter((e) => e.node.recipient === subscriber.address).map((e) => tagsOf(e.node.tags));
      return mine.length >= fills ? mine : undefined;
    }, 120_000, 1000);
    expect(delivered).toHaveLength(fills);
    expect(new Set(delivered.map((n) => n['Event-Seq'])).size).toBe(fills);
  }, 300_000);

  it('every process of the market is reproduced from the gateway by npm run verify', async () => {
    for (const [name, id] of Object.entries(pid)) {
      await until(`the uploads of ${name}`, async () => {
        const u = (await platform.http().get(`/su/processes/${id}`).expect(200)).body.uploads;
        return (u.pending === 0 && u.uploaded === 0 && u.failed === 0) || undefined;
      }, 180_000, 1000);
      const cli = await runVerifyCli([id, '--gateway', inject('arweaveUrl'), '--cu', `${platform.url}/cu`], 300_000);
      // soft: every process is tried, each failure named (a cron-ticked agent can still fail on a
      // Block-Height that goes back between assignments: the SU fix of branch edge-harden)
      expect.soft(cli.code, `${name}: ${cli.stderr}\n${cli.stdout}`).toBe(0);
      expect.soft(lastLine(cli.stdout), name).toMatch(new RegExp(`^verified ${id}: \\d+ messages, state [0-9a-f]{64}$`));
    }
  }, 1_200_000);
});
