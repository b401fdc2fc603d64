/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { screenshot, sidewaysOverflow } from './support/browser.js';
import { messageItem, newUser } from './support/items.js';
import { apiKeyFor, newTrader } from './support/platform-users.js';
import type { TestPlatform } from './support/platform.js';
import { until } from './support/until.js';
import { closeWeb, expectAccessible as axe, openBrowser, startWebPlatform, traceEachTest, type WebBrowser, type WebPlatform } from './support/web-fixture.js';

const ADMIN = { email: 'admin@example.com', password: 'admin password 1' };
const TRADER = { email: 'trader@example.com', password: 'trader password 1' };
const UNIT = 1_000_000n; // 6 decimals
const eventually = <T>(probe: () => T | Promise<T>, timeout = 60_000) => expect.poll(probe, { timeout, interval: 200 });
type Order = { id: string; side: string; price: string; remaining: string };
type Trade = { seq: number; price: string; quantity: string; buyer: string; seller: string };

/**
 * The trader's venue page in a real Chromium against a real market made through the platform:
 * two tokens, an order book, an oracle and a market maker quoting on cron ticks. The trader
 * deposits, sees the depth of both sides, is stopped before sending an order off the tick, sells
 * into the market maker's bid and sees the trade, and places and cancels a resting order; each
 * step is checked against the book's own answers (dry-runs as the trader).
 */
describe('the venue page in Chromium', () => {
  let web: WebPlatform;
  let browser: WebBrowser;
  let platform: TestPlatform;
  let page: Page;
  let base: string;
  let admin: { authorization: string };
  let trader: { user: { id: string; aoAddress: string } };
  const funder: ItemSigner = newUser();
  const ids: Record<'base' | 'quote' | 'book' | 'oracle' | 'mm', { id: string; processId: string }> = {} as never;
  const venueCalls: string[] = [];
  const http = () => platform.http();
  const create = async (blueprint: string, name: string, config: Record<string, unknown>, cronInterval?: string) =>
    (await http().post('/api/agents').set(admin).send({ blueprint, name, config, ...(cronInterval ? { cronInterval } : {}) }).expect(201)).body as { id: string; processId: string };
  const dry = async <T = unknown[]>(tags: Record<string, string>, from: string): Promise<T> => {
    const pid = ids.book.processId;
    const res = await http().post('/cu/dry-run').query({ 'process-id': pid }).send({ Target: pid, Owner: from, From: from, Tags: Object.entries(tags).map(([name, value]) => ({ name, value })), Data: '' }).expect(200);
    const parsed = JSON.parse(res.body.Messages[0].Data) as unknown;
    return (Array.isArray(parsed) ? parsed : Object.keys(parsed as object).length ? parsed : []) as T;
  };
  const transfer = async (token: string, recipient: string, quantity: bigint) => {
    const item = await messageItem(funder, token, [{ name: 'Action', value: 'Transfer' }, { name: 'Recipient', value: recipient }, { name: 'Quantity', value: String(quantity) }], '');
    await platform.mu(item.raw).expect(202);
    expect(((await platform.result(token, item.id)) as { Error?: string }).Error).toBeUndefined();
  };
  const expectAccessible = (name: string) => axe(page, name);

  beforeAll(async () => {
    web = await startWebPlatform({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RESULT_TIMEOUT_MS: '60000', PROJECTION_SWEEP_MS: '500' });
    ({ platform, base } = web);
    admin = await apiKeyFor(http, ADMIN.email, ADMIN.password);
    trader = await newTrader(http, admin, TRADER.email);
    await until('the modules', async () => (await http().get('/info').expect(200)).body.modules['lua-5.4-aos'], 60_000, 300);
    const balances = { [funder.address]: String(10n ** 15n) };
    ids.base = await create('token', 'base', { name: 'Base', ticker: 'BASE', denomination: 6, balances });
    ids.quote = await create('token', 'quote', { name: 'Quote', ticker: 'QUOTE', denomination: 6, balances });
    const market = { baseToken: ids.base.processId, quoteToken: ids.quote.processId, baseDenomination: 6, tickSize: '1000', lotSize: '1000' };
    ids.book = await create('order-book', 'book', market);
    ids.oracle = await create('price-oracle', 'oracle', { pair: 'BASE/QUOTE', mode: 'series', series: ['100000000', '100500000'] }, '1-second');
    ids.mm = await create('market-maker', 'mm', { ...market, venue: ids.book.processId, priceSource: 'oracle', oracle: ids.oracle.processId, bidSpreadBps: 100, askSpreadBps: 100, orderAmount: String(5n * UNIT), orderLevels: 2, orderLevelSpreadBps: 50, orderRefreshTimeMs: 5000 }, '1-second');
    await transfer(ids.base.processId, ids.mm.processId, 100n * UNIT);
    await transfer(ids.quote.processId, ids.mm.processId, 10_000n * UNIT);
    await transfer(ids.base.processId, trader.user.aoAddress, 10n * UNIT);
    await transfer(ids.quote.processId, trader.user.aoAddress, 1_000n * UNIT);
    await http().post(`/api/agents/${ids.oracle.id}/start`).set(admin).expect(200);
    await http().post(`/api/agents/${ids.mm.id}/start`).set(admin).expect(200);
    await until('the market maker’s orders on the book', async () => ((await dry({ Action: 'Get-Orders' }, ids.mm.processId)).length === 4 ? true : undefined), 180_000, 500);
    browser = await openBrowser();
    page = browser.page;
    page.on('request', (r) => {
      if (r.url().includes('/api/venues/')) venueCalls.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
  }, 400_000);

  traceEachTest(() => browser);

  afterAll(() => closeWeb(web, browser));

  it('opens a venue by its id and shows the depth of both sides from the market maker', async () => {
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Email').fill(TRADER.email);
    await page.getByLabel('Password').fill(TRADER.password);
    await page.getByLabel('Password').press('Enter');
    await eventually(() => page.getByTestId('signed-in').textContent()).toContain(TRADER.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Venue' }).click();
    const input = page.getByLabel('Order-book process id');
    await input.fill('not an id');
    await input.press('Enter');
    await eventually(() => page.getByRole('alert').first().textContent()).toContain('43 characters');
    await input.fill(ids.book.processId);
    await input.press('Enter');
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Venue BASE/QUOTE');
    await eventually(() => page.getByTestId('bids').locator('tbody tr').count()).toBe(2);
    await eventually(() => page.getByTestId('asks').locator('tbody tr').count()).toBe(2);
    // the best bid shown is one of the market maker's bids on the book
    const mmOrders = await dry<Order[]>({ Action: 'Get-Orders' }, ids.mm.processId);
    const shown = (await page.getByTestId('bids').locator('tbody tr td').first().textContent())?.trim();
    await eventually(async () => {
      const bids = (await dry<Order[]>({ Action: 'Get-Orders' }, ids.mm.processId)).filter((o) => o.side === 'buy').map((o) => o.price);
      return bids.includes((await page.getByTestId('bids').locator('tbody tr td').first().textContent())?.trim() ?? '');
    }).toBe(true);
    expect(mmOrders.length).toBe(4);
    expect(shown).toMatch(/^[0-9]+000$/);
    await eventually(() => page.getByText('No trades yet.').count()).toBe(1);
    await expectAccessible('venue');
  });

  it('deposits both tokens as the trader and shows the balances the book holds', async () => {
    const account = page.getByTestId('venue-account');
    await account.getByLabel('Deposit token').selectOption('quote');
    await account.getByLabel('Deposit quantity (atomic units)').fill(String(500n * UNIT));
    await account.getByRole('button', { name: 'Deposit' }).click();
    await eventually(() => account.getByRole('status').textContent()).toContain('Transferred');
    await account.getByLabel('Deposit token').selectOption('base');
    await account.getByLabel('Deposit quantity (atomic units)').fill(String(3n * UNIT));
    await account.getByLabel('Deposit quantity (atomic units)').press('Enter');
    const balances = page.getByTestId('balances');
    await eventually(() => balances.locator('tbody tr').nth(0).locator('td').first().textContent()).toContain(String(3n * UNIT));
    await eventually(() => balances.locator('tbody tr').nth(1).locator('td').first().textContent()).toContain(String(500n * UNIT));
    const atBook = await dry<Record<'base' | 'quote', { available: string }>>({ Action: 'Get-Balances' }, trader.user.aoAddress);
    expect([atBook.base.available, atBook.quote.available]).toEqual([String(3n * UNIT), String(500n * UNIT)]);
  });

  it('refuses an order off the tick or the lot beside its field, before anything is sent', async () => {
    const form = page.getByTestId('order-form');
    const before = venueCalls.filter((c) => c.endsWith('/orders')).length;
    await form.getByLabel('Price').fill('100000500');
    await form.getByLabel('Quantity').fill('1500');
    await form.getByRole('button', { name: 'Buy' }).click();
    await eventually(() => form.locator('.field-error').allTextContents()).toEqual([expect.stringContaining('multiple of the tick size, 1000'), expect.stringContaining('multiple of the lot size, 1000')]);
    await form.getByLabel('Quantity').fill(String(100n * UNIT));
    await form.getByLabel('Price').fill('100000000');
    await form.getByRole('button', { name: 'Buy' }).click();
    await eventually(() => form.locator('.field-error').textContent()).toMatch(/Needs 10000000000 quote units; 500000000 available/);
    expect(venueCalls.filter((c) => c.endsWith('/orders')).length).toBe(before);
    await expectAccessible('venue-order-refused');
  });

  it('sells into the market maker’s bid from the keyboard and sees the trade', async () => {
    const form = page.getByTestId('order-form');
    await form.getByLabel('Sell').check();
    await form.getByLabel('Type').selectOption('ioc');
    await form.getByLabel('Price').fill('1000'); // an IOC sell at the lowest price takes the best bid, at the bid's price
    await form.getByLabel('Quantity').fill(String(UNIT));
    await form.getByLabel('Quantity').press('Enter');
    await eventually(() => form.getByTestId('order-result').textContent()).toContain(`Order filled: ${UNIT} filled, 0 resting`);
    const trades = await dry<Trade[]>({ Action: 'Get-Trades' }, trader.user.aoAddress);
    expect(trades).toEqual([expect.objectContaining({ seller: trader.user.aoAddress, buyer: ids.mm.processId, quantity: String(UNIT) })]);
    const row = page.getByTestId('trades').locator('tbody tr');
    await eventually(() => row.count()).toBe(1);
    expect(await row.first().textContent()).toContain(trades[0].price);
    await eventually(() => page.getByTestId('book-figures').textContent()).toContain(trades[0].price);
    await expectAccessible('venue-traded');
  });

  it('places a resting order and cancels it with the keyboard', async () => {
    const form = page.getByTestId('order-form');
    await form.getByLabel('Buy').check();
    await form.getByLabel('Type').selectOption('limit');
    await form.getByLabel('Price').fill('2000');
    await form.getByLabel('Quantity').fill(String(UNIT));
    await form.getByRole('button', { name: 'Buy' }).press('Enter');
    await eventually(() => form.getByTestId('order-result').textContent()).toContain(`Order open: 0 filled, ${UNIT} resting`);
    const mine = page.getByTestId('my-orders');
    await eventually(() => mine.locator('tbody tr').count()).toBe(1);
    expect((await dry<Order[]>({ Action: 'Get-Orders' }, trader.user.aoAddress)).map((o) => [o.side, o.price, o.remaining])).toEqual([['buy', '2000', String(UNIT)]]);
    const cancel = mine.getByRole('button', { name: 'Cancel buy order at 2000' });
    await cancel.focus();
    await page.keyboard.press('Enter');
    await eventually(() => page.getByTestId('venue-account').getByText('No open orders.').count()).toBe(1);
    expect(await dry({ Action: 'Get-Orders' }, trader.user.aoAddress)).toEqual([]);
    expect(venueCalls.filter((c) => c.startsWith('DELETE'))).toHaveLength(1);
  });

  it('fits a phone-width screen', async () => {
    // The same tab: the session is kept per tab (sessionStorage), as a phone's browser would.
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${base}/venue/${ids.book.processId}`);
    await eventually(() => page.getByTestId('bids').locator('tbody tr').count()).toBe(2);
    await eventually(() => page.getByTestId('trades').locator('tbody tr').count()).toBe(1);
    expect(await sidewaysOverflow(page)).toEqual([]);
    await screenshot(page, 'phone-venue');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows an admin the market maker’s PnL and last tick in the agents table, as the API lists them', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await eventually(() => new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await eventually(() => page.getByTestId('signed-in').textContent()).toContain(ADMIN.email);
    await page.goto(`${base}/agents?blueprint=market-maker`);
    const row = page.getByTestId('agents').locator('tbody tr');
    await eventually(() => row.count()).toBe(1);
    type Listed = { name: string; live: { pnl: string | null; returnBps: number | null; lastTickAt: string | null } };
    const listed = async () => ((await http().get('/api/agents').set(admin).query({ blueprint: 'market-maker' }).expect(200)).body.items as Listed[])[0];
    const mm = await until('a PnL and a tick in the list', async () => {
      const a = await listed();
      return a.live.pnl !== null && a.live.lastTickAt ? a : undefined;
    }, 60_000, 500);
    // the table refreshes every 5 s; the PnL it shows is the one the API lists at that moment
    await eventually(async () => {
      const [cells, now] = [await row.first().locator('td').allTextContents(), await listed()];
      return cells[3].startsWith(`${now.live.pnl} quote units`) && cells[3].includes(`(${((now.live.returnBps ?? 0) / 100).toFixed(2)} %)`);
    }).toBe(true);
    expect(await row.first().locator('td').nth(4).locator('time').count()).toBe(1);
    expect(mm.name).toBe('mm');
    await expectAccessible('agents-table-market');
  });
});
