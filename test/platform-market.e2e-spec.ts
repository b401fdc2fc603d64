import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { startCron } from './support/cron-helpers.js';
import { messageItem, newUser } from './support/items.js';
import { apiKeyFor, newTrader } from './support/platform-users.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { SseClient } from './support/sse.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';
import { lastLine, runVerifyCli } from './support/verify-helpers.js';

// A real market set up the way an admin does it, through the platform API only: two tokens, an
// order book, a price oracle and a market maker created from the catalogue, started, quoting on
// cron ticks, configured live, subscribed to by a trader, killed (its orders leave the book), and
// its history re-derived from the gateway by npm run verify.

const ADMIN = { email: 'admin@example.com', password: 'admin password 1' };
type Tag = { name: string; value: string };
type Msg = { Target: string; Data: string; Tags: Tag[] };
type Order = { clientOrderId: string; side: string; price: string; size?: string; quantity?: string };
const SUPPLY = '1000000000000000';
const UNIT = 1_000_000n; // 6 decimals
const TICK = 1000n;
const PRICES = ['100000000', '100500000', '99800000'];

describe('a market maker through the platform API', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let crons: INestApplicationContext[] = [];
  let admin: { authorization: string };
  let trader: { user: { id: string; aoAddress: string }; auth: { authorization: string } };
  const funder: ItemSigner = newUser();
  const agents: Record<'base' | 'quote' | 'book' | 'oracle' | 'mm', { id: string; processId: string }> = {} as never;
  const http = () => platform.http();
  const create = async (blueprint: string, name: string, config: Record<string, unknown>, cronInterval?: string) =>
    (await http().post('/api/agents').set(admin).send({ blueprint, name, config, ...(cronInterval ? { cronInterval } : {}) }).expect(201)).body as { id: string; processId: string };
  const dry = async (process: string, tags: Record<string, string>, from: string) => {
    const body = (await http().post('/cu/dry-run').query({ 'process-id': process }).send({ Target: process, Owner: from, From: from, Tags: Object.entries(tags).map(([name, value]) => ({ name, value })), Data: '' }).expect(200)).body as { Messages: Msg[] };
    return JSON.parse(body.Messages[0].Data) as unknown;
  };
  /** The market maker's open orders as the book has them (Get-Orders from the agent's account). */
  const bookOrders = async () => (await dry(agents.book.processId, { Action: 'Get-Orders' }, agents.mm.processId)) as Order[];
  const quotesEvents = async () => (await http().get(`/api/agents/${agents.mm.id}/events`).set(admin).query({ topic: 'quotes', limit: 200 }).expect(200)).body.items as { id: string; nonce: number; payload: { levels?: Order[]; refPrice?: string } }[];
  const transfer = async (token: string, recipient: string, quantity: string) => {
    const item = await messageItem(funder, token, [{ name: 'Action', value: 'Transfer' }, { name: 'Recipient', value: recipient }, { name: 'Quantity', value: quantity }], '');
    await platform.mu(item.raw).expect(202);
    expect(((await platform.result(token, item.id)) as { Error?: string }).Error).toBeUndefined();
  };

  beforeAll(async () => {
    t = await createTestEnv({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RESULT_TIMEOUT_MS: '60000', FEED_HEARTBEAT_MS: '300', PROJECTION_SWEEP_MS: '500' });
    platform = await startTestPlatform(t.env, { listen: true });
    admin = await apiKeyFor(http, ADMIN.email, ADMIN.password);
    trader = await newTrader(http, admin, 'trader@example.com');
    await until('the modules', async () => (await http().get('/info').expect(200)).body.modules['lua-5.4-aos'], 60_000, 300);
    crons = await startCron(t.env, 1); // the cron service ticks the oracle and the market maker
  }, 180_000);

  afterAll(async () => {
    await Promise.all(crons.map((c) => c.close()));
    await platform?.close();
    await t?.cleanup();
  });

  it('creates the tokens, the book, the oracle and a market maker from the catalogue, funded and started', async () => {
    const balances = { [funder.address]: SUPPLY };
    agents.base = await create('token', 'base', { name: 'Base', ticker: 'BASE', denomination: 6, balances });
    agents.quote = await create('token', 'quote', { name: 'Quote', ticker: 'QUOTE', denomination: 6, balances });
    const market = { baseToken: agents.base.processId, quoteToken: agents.quote.processId, baseDenomination: 6, tickSize: String(TICK), lotSize: '1000' };
    agents.book = await create('order-book', 'book', market);
    agents.oracle = await create('price-oracle', 'oracle', { pair: 'BASE/QUOTE', mode: 'series', series: PRICES }, '1-second');
    agents.mm = await create('market-maker', 'mm', { ...market, venue: agents.book.processId, priceSource: 'oracle', oracle: agents.oracle.processId,
      bidSpreadBps: 100, askSpreadBps: 100, orderAmount: String(5n * UNIT), orderLevels: 2, orderLevelSpreadBps: 50, orderRefreshTimeMs: 2000 }, '1-second');
    // inventory: the funder's wallet sends base and quote to the agent, which deposits them at the venue
    await transfer(agents.base.processId, agents.mm.processId, String(100n * UNIT));
    await transfer(agents.quote.processId, agents.mm.processId, String(10_000n * UNIT));
    await until('the deposits at the venue', async () => {
      const b = (await dry(agents.book.processId, { Action: 'Get-Balances' }, agents.mm.processId)) as Record<'base' | 'quote', { available: string }>;
      return (b.base.available === String(100n * UNIT) && b.quote.available === String(10_000n * UNIT)) || undefined;
    }, 60_000, 300);
    await http().post(`/api/agents/${agents.oracle.id}/start`).set(admin).expect(200);
    const started = (await http().post(`/api/agents/${agents.mm.id}/start`).set(admin).expect(200)).body;
    expect(started.agent).toMatchObject({ status: 'running' });
  }, 180_000);

  it('quotes on cron ticks: quotes events in the projection, live figures, orders on the book', async () => {
    const events = await until('a quotes event with orders', async () => {
      const items = await quotesEvents();
      return items.some((e) => (e.payload.levels ?? []).length > 0) ? items : undefined;
    }, 120_000, 500);
    expect(events[0].payload).toBeDefined();
    const detail = (await http().get(`/api/agents/${agents.mm.id}`).set(admin).expect(200)).body;
    expect(detail.figuresError).toBeNull();
    expect(detail.figures).toMatchObject({ status: 'Running' });
    expect(detail.cron).toEqual([expect.objectContaining({ interval: '1-second', status: 'active' })]);
    const orders = await until('the orders on the book', async () => ((await bookOrders()).length === 4 ? bookOrders() : undefined), 60_000, 300);
    expect(orders.map((o) => o.side).sort()).toEqual(['buy', 'buy', 'sell', 'sell']);
    // the agents list carries the market maker's live figures: those of its latest pnl and inventory events
    const latest = async (topic: string) => (await http().get(`/api/agents/${agents.mm.id}/events`).set(admin).query({ topic, limit: 1 }).expect(200)).body.items[0]?.payload as Record<string, string> | undefined;
    const listed = await until('the live figures in the list', async () => {
      const items = (await http().get('/api/agents').set(admin).query({ blueprint: 'market-maker' }).expect(200)).body.items as { id: string; live: Record<string, unknown> }[];
      const [pnl, inventory] = [await latest('pnl'), await latest('inventory')];
      const live = items.find((a) => a.id === agents.mm.id)!.live;
      return pnl && inventory && live.pnl === pnl.total && live.returnBps === Number(pnl.returnBps) && JSON.stringify(live.inventory) === JSON.stringify(inventory) ? live : undefined;
    }, 60_000, 500);
    expect(listed).toMatchObject({ pnl: expect.stringMatching(/^-?\d+$/), fills: expect.any(Number), verdicts: null, lastTickAt: expect.any(String), lastActivityAt: expect.any(String) });
    const fills = (await http().get(`/api/agents/${agents.mm.id}/events`).set(admin).query({ topic: 'fills', limit: 200 }).expect(200)).body.items.length;
    expect((await http().get(`/api/agents/${agents.mm.id}`).set(admin).expect(200)).body.live.fills).toBe(fills);
    expect(listed.inventory).toMatchObject({ base: expect.any(String), quote: expect.any(String) });
  }, 240_000);

  it('applies a hot parameter patched through the API at the next tick', async () => {
    const patched = (await http().patch(`/api/agents/${agents.mm.id}/config`).set(admin).send({ config: { bidSpreadBps: 400 } }).expect(200)).body;
    expect(patched).toMatchObject({ applied: ['bidSpreadBps'], agent: { config: { bidSpreadBps: 400 } } });
    // the first-level bid is floor(ref × (10000 − 400) ÷ 10000 ÷ tick) × tick, for whatever reference price the cycle used
    const bidAt = (ref: bigint, bps: bigint) => ((ref * (10000n - bps)) / 10000n / TICK) * TICK;
    await until('a bid at the new spread on the book', async () => {
      const bids = (await bookOrders()).filter((o) => o.side === 'buy').map((o) => BigInt(o.price));
      const best = bids.length ? bids.reduce((a, b) => (a > b ? a : b)) : 0n;
      return PRICES.some((p) => best === bidAt(BigInt(p), 400n)) || undefined;
    }, 120_000, 500);
  }, 180_000);

  it('feeds a trader subscribed to its strategy', async () => {
    const strategy = (await http().post('/api/strategies').set(admin).send({ agentId: agents.mm.id, title: 'BASE/QUOTE maker', description: 'Two levels around the oracle', topics: ['quotes', 'status'] }).expect(201)).body;
    const feed = await SseClient.open(`${platform.url}/api/feed`, trader.auth);
    await http().post('/api/subscriptions').set(trader.auth).send({ strategyId: strategy.id, topics: ['quotes'] }).expect(201);
    const seen = await feed.until(1, 120_000);
    await feed.close();
    const event = JSON.parse(seen[0].data);
    expect(seen[0].event).toBe('quotes');
    expect(event).toMatchObject({ agentId: agents.mm.id, processId: agents.mm.processId, topic: 'quotes' });
  }, 180_000);

  it('is killed through the API and its orders leave the book', async () => {
    expect((await http().post(`/api/agents/${agents.mm.id}/kill`).set(admin).expect(200)).body.agent.status).toBe('killed');
    await until('the book to hold none of its orders', async () => ((await bookOrders()).length === 0) || undefined, 60_000, 300);
    expect((await http().get(`/api/agents/${agents.mm.id}`).set(admin).expect(200)).body).toMatchObject({ figures: { status: 'Killed' }, cron: [] });
  }, 120_000);

  it("is reproduced from the gateway: npm run verify on the market maker's process", async () => {
    const id = agents.mm.processId;
    // nothing may still send to the agent while it is verified: the oracle's price notifications
    // would grow its log past what the gateway holds, so the oracle is killed and the cron stopped
    expect((await http().post(`/api/agents/${agents.oracle.id}/kill`).set(admin).expect(200)).body.agent.status).toBe('killed');
    await Promise.all(crons.splice(0).map((c) => c.close()));
    // every item of its log confirmed on the gateway, and the log head unchanged since the previous
    // poll (messages still in flight when the oracle stopped land in between)
    let head = -1;
    await until("every item of the market maker's log confirmed on the gateway", async () => {
      const p = (await http().get(`/su/processes/${id}`).expect(200)).body as { latest: { nonce: number }; uploads: { pending: number; uploaded: number; failed: number; last_confirmed_nonce: number | null } };
      const u = p.uploads;
      const done = u.pending === 0 && u.uploaded === 0 && u.failed === 0 && u.last_confirmed_nonce === p.latest.nonce && p.latest.nonce === head;
      head = p.latest.nonce;
      return done || undefined;
    }, 300_000, 3000);
    const cli = await runVerifyCli([id, '--gateway', inject('arweaveUrl'), '--cu', `${platform.url}/cu`], 300_000);
    expect(cli.code, `${cli.stderr}\n${cli.stdout}`).toBe(0);
    expect(lastLine(cli.stdout)).toMatch(new RegExp(`^verified ${id}: \\d+ messages, state [0-9a-f]{64}$`));
  }, 600_000);
});
