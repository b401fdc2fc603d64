/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser and use its globals.)
import { join } from 'node:path';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { ArweaveGateway, PipelineQueues, loadOrCreateWallet } from '@ao/infra';
import { screenshot, sidewaysOverflow } from './support/browser.js';
import { messageItem, newUser, processItem } from './support/items.js';
import type { TestPlatform } from './support/platform.js';
import { aosModuleItem, buildLog, signAssignments } from './support/signed-log.js';
import type { TestEnv } from './support/test-env.js';
import { until } from './support/until.js';
import { waitMined } from './support/verify-helpers.js';
import { closeWeb, expectAccessible as axe, openBrowser, startWebPlatform, traceEachTest, type WebBrowser, type WebPlatform } from './support/web-fixture.js';

const ADMIN = 'web-admin-token';
const COUNTER = `
Count = Count or 0
Handlers.add("Inc", "Inc", function(msg) Count = Count + 1; msg.reply({ Data = tostring(Count) }) end)
Handlers.add("Get", "Get", function(msg) print("count=" .. Count) end)
`;
const LOCALE = 'de-DE';
const ZONE = 'Asia/Tokyo';
/** expect.poll with room for a machine shared with other builds (its default waits 1 s). */
const eventually = <T>(probe: () => T | Promise<T>, timeout = 15_000) => expect.poll(probe, { timeout, interval: 100 });

/**
 * The dashboard in a real Chromium against the real platform (API + worker + cron in this
 * process, Postgres, Redis, arlocal): each page loads its data, its actions work by keyboard,
 * axe-core finds nothing serious in either theme, and it fits a phone's width.
 */
describe('the dashboard in Chromium', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let web: WebPlatform;
  let browser: WebBrowser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let owner: ItemSigner;
  let counter: string;
  let ticker: string;
  let stuck: string;
  let tampered: string;
  const http = () => platform.http();

  const send = async (pid: string, action: string) => {
    const m = await messageItem(owner, pid, [{ name: 'Action', value: action }]);
    await platform.mu(m.raw).expect(202);
    return platform.result(pid, m.id);
  };
  /** Runs axe on the page as it is, in the light and the dark theme. */
  const expectAccessible = (name: string) => axe(page, name);
  /** Focuses the control by Tab presses from the top of the page (as a keyboard user reaches it), then presses Enter. */
  const pressByKeyboard = async (name: RegExp) => {
    await page.locator('body').focus();
    const target = page.getByRole('button', { name });
    await eventually(async () => target.count()).toBe(1);
    for (let i = 0; i < 200; i += 1) {
      await page.keyboard.press('Tab');
      if (await target.evaluate((el) => el === document.activeElement)) {
        await page.keyboard.press('Enter');
        return;
      }
    }
    throw new Error(`${name} cannot be reached with Tab`);
  };

  beforeAll(async () => {
    web = await startWebPlatform({ ADMIN_TOKEN: ADMIN, RESULT_TIMEOUT_MS: '20000' });
    ({ t, platform, base } = web);
    const info = (await http().get('/info').expect(200)).body;
    owner = newUser();

    const spawn = async (tags: { name: string; value: string }[]) => {
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }, ...tags], COUNTER, info.modules['lua-5.4-aos']);
      await platform.mu(p.raw).expect(202);
      return p.id;
    };
    counter = await spawn([{ name: 'Name', value: 'counter' }]);
    expect((await platform.result(counter, counter)).Error).toBeUndefined();
    for (let i = 0; i < 3; i += 1) await send(counter, 'Inc');

    // A process with cron ticks, registered the way aoconnect's monitor does it.
    ticker = await spawn([{ name: 'Cron-Interval', value: '10-minutes' }, { name: 'Cron-Tag-Action', value: 'Tick' }]);
    const monitor = await messageItem(owner, ticker, [{ name: 'Action', value: 'Monitor' }]);
    await http().post(`/mu/monitor/${ticker}`).set('content-type', 'application/octet-stream').send(Buffer.from(monitor.raw)).expect(201);

    // A job that fails for good: an evaluate job naming no process id (as a broken producer would
    // queue it), run by the real worker, with a single attempt.
    const queues = new PipelineQueues(t.env);
    const job = await queues.evaluate.add('evaluate', { processId: 'not-a-process-id' }, { attempts: 1 });
    stuck = job.id as string;
    await queues.close();
    await until('the failed evaluate job', async () => {
      const failed = (await http().get('/mu/failed').set('authorization', `Bearer ${ADMIN}`).expect(200)).body as { id: string }[];
      return failed.some((j) => j.id === stuck);
    });

    // A log only on the gateway, its hash chain broken at nonce 3 (another scheduler's, say).
    const key = await loadOrCreateWallet(join(inject('walletDir'), 'arweave-wallet.json'), 'arweave');
    const gateway = new ArweaveGateway(inject('arweaveUrl'), key.jwk as unknown as JWKInterface);
    const [gwOwner, gwSu] = [newUser(), newUser()];
    const module = await aosModuleItem(newUser());
    const log = await buildLog({ owner: gwOwner, su: gwSu, moduleId: module.id, bootCode: COUNTER, messages: Array.from({ length: 4 }, () => ({ tags: [{ name: 'Action', value: 'Inc' }] })) });
    const assignments = await signAssignments(gwSu, log.process.id, log.slots, (s) => (s.nonce === 3 ? { ...s, hashChain: s.hashChain!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) } : s));
    await Promise.all([gateway.mint(gwOwner.address, '1'), gateway.mint(gwSu.address, '1')]);
    await gateway.postBundle([module.raw, ...log.messages.map((m) => m.raw), ...assignments.map((a) => a.raw)]);
    tampered = log.process.id;
    await waitMined(gateway, [module.id, ...log.messages.map((m) => m.id), ...assignments.map((a) => a.id)]);

    // Verify reads the gateway: wait for the counter's log to be confirmed there.
    await until('the counter log on the gateway', async () => {
      const p = (await http().get(`/su/processes/${counter}`).expect(200)).body;
      return p.uploads.pending + p.uploads.uploaded === 0 && p.uploads.confirmed >= 4;
    }, 60_000);

    browser = await openBrowser({ locale: LOCALE, timezoneId: ZONE });
    ({ context, page } = browser);
  });

  traceEachTest(() => browser);

  afterAll(() => closeWeb(web, browser));

  it('serves the app at / with caching headers, deep links as index.html, and keeps the API paths', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${base}${asset}`, { headers: { 'accept-encoding': 'br' } });
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-encoding')).toBe('br');
    expect(await (await fetch(`${base}/explorer/${counter}`, { headers: { accept: 'text/html' } })).text()).toBe(html);
    for (const path of ['/health', '/info', '/metrics', '/docs/json', `/su/processes/${counter}`]) {
      const res = await fetch(`${base}${path}`);
      expect([path, res.headers.get('content-type')]).toEqual([path, expect.not.stringContaining('text/html')]);
    }
    expect(await (await fetch(`${base}/api/nothing-here`)).json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('overview: services, pipeline figures and queues from /health and /metrics', async () => {
    await page.goto(base);
    await eventually(() => page.getByRole('heading', { name: /Services/ }).textContent(), 30_000).toContain('all up');
    const figures = page.getByTestId('figures');
    await eventually(() => figures.textContent()).toContain('Processes');
    // Rates need two scrapes 5 s apart; the throughput chart follows.
    await eventually(() => page.locator('figure.chart canvas').count(), 20_000).toBeGreaterThan(0);
    expect(await figures.textContent()).toMatch(/Failed jobs\s*\d+\s*jobs/);
    expect(await page.getByRole('row', { name: /evaluate/ }).count()).toBe(1);
    await expectAccessible('overview');
  });

  it('explorer: the log with nonces, local times and links recomputed in the browser; a message and its result', async () => {
    await page.goto(`${base}/explorer`);
    await page.getByLabel('Process id').fill('not-an-id');
    await page.keyboard.press('Enter');
    await eventually(() => page.getByRole('alert').first().textContent()).toContain('43 characters');
    await page.getByLabel('Process id').fill(counter);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/explorer/${counter}`);
    const table = page.getByTestId('log-table');
    await eventually(() => table.locator('tbody tr').count()).toBe(4);
    await eventually(() => table.locator('.link-ok').count()).toBe(4);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('counter');

    // Times are the user's: German format, Tokyo time.
    const time = table.locator('tbody tr').first().locator('time');
    const iso = await time.getAttribute('datetime');
    const expected = await page.evaluate(([ms, locale, zone]) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone: zone }).format(Date.parse(ms)), [iso as string, LOCALE, ZONE]);
    expect(await time.textContent()).toBe(expected);

    await pressByKeyboard(/Show the message at nonce 2/);
    const detail = page.getByTestId('entry-detail');
    await eventually(() => detail.getByTestId('result').textContent()).toContain('No error');
    expect(await detail.textContent()).toContain('Action');
    // The reply to the second Inc carries Data "2".
    expect(await detail.getByTestId('result').locator('pre').first().textContent()).toBe('2');
    expect(page.url()).toBe(`${base}/explorer/${counter}?nonce=2`);
    await expectAccessible('explorer');

    // A deep link opens the same entry.
    await page.goto(`${base}/explorer/${counter}?nonce=1`);
    await eventually(() => page.getByTestId('entry-detail').getByRole('heading', { level: 2 }).textContent()).toBe('Nonce 1');
  });

  it('dry run: shows why before sending what the API would refuse, then the answer of the latest state', async () => {
    await page.goto(`${base}/explorer/${counter}`);
    const dry = page.getByTestId('dry-run');
    const posts: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
    await dry.getByRole('button', { name: 'Add a tag' }).click();
    await dry.getByLabel('Tag 1 value').fill('orphan');
    await dry.getByRole('button', { name: 'Run' }).click();
    await eventually(() => dry.locator('.field-error').textContent()).toBe('A tag needs a name.');
    expect(posts).toEqual([]);
    await dry.getByRole('button', { name: 'Remove tag 1' }).click();
    await dry.getByLabel('Action').fill('Get');
    await dry.getByRole('button', { name: 'Run' }).click();
    await eventually(() => dry.getByTestId('result').textContent()).toContain('count=3');
    expect(posts).toEqual([`${base}/cu/dry-run?process-id=${counter}`]);
    // Nothing was stored: the log is as long as before.
    expect((await http().get(`/su/processes/${counter}`).expect(200)).body.latest.nonce).toBe(3);
  });

  it('verify: the log re-executed from the gateway, the state hash the CU also has', async () => {
    await page.goto(`${base}/explorer/${counter}`);
    const panel = page.getByTestId('verify-panel');
    await panel.getByLabel(/compare every result/).check();
    await pressByKeyboard(/^Verify$/);
    const outcome = panel.getByTestId('verify-outcome');
    await eventually(() => outcome.textContent(), 60_000).toContain('Verified');
    const state = (await http().get(`/cu/state/${counter}`).expect(200)).body;
    expect(await outcome.textContent()).toContain(state.stateHash);
    expect(await outcome.textContent()).toMatch(/4 log entries re-executed from the gateway, up to nonce 3, 4 results equal/);
    await screenshot(page, 'verify-ok');
  });

  it('verify: a log broken on the gateway fails at the nonce where its chain breaks', async () => {
    await page.goto(`${base}/explorer/${tampered}`);
    await eventually(() => page.getByText('This scheduler has no such process.').count()).toBe(1);
    await page.getByTestId('verify-panel').getByRole('button', { name: 'Verify' }).click();
    const outcome = page.getByTestId('verify-outcome');
    await eventually(() => outcome.textContent(), 60_000).toContain('Fails at nonce 3');
    expect(await outcome.textContent()).toContain('BAD_HASH_CHAIN');
    await expectAccessible('verify-failed');
  });

  it('dead letters: asks for the admin token, lists the failed job with its reason, retries it', async () => {
    await page.goto(`${base}/dead-letters`);
    await page.getByLabel('Admin token').fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.getByRole('alert').first().textContent()).toContain('refused the token');
    await page.getByLabel('Admin token').fill(ADMIN);
    await page.keyboard.press('Enter');
    const row = page.getByTestId('dead-letters').locator('tbody tr', { hasText: 'evaluate' }).first();
    await eventually(() => row.textContent()).toContain('processId');
    const before = (await http().get('/mu/failed').set('authorization', `Bearer ${ADMIN}`).expect(200)).body.find((j: { id: string }) => j.id === stuck);
    await expectAccessible('dead-letters');
    await pressByKeyboard(/^Retry job /);
    await eventually(() => page.getByText('Queued again').count()).toBe(1);
    // The job really ran again: it failed anew (its module still does not exist).
    await until('the retried job to fail again', async () => {
      const failed = (await http().get('/mu/failed').set('authorization', `Bearer ${ADMIN}`).expect(200)).body as { id: string; failedAt: number }[];
      const job = failed.find((j) => j.id === stuck);
      return job !== undefined && job.failedAt > before.failedAt;
    });
  });

  it('cron: the registration with its interval, paused and resumed from the page', async () => {
    await page.goto(`${base}/cron`);
    const row = page.getByTestId('cron-table').locator(`tr[data-process="${ticker}"]`);
    await eventually(() => row.textContent()).toContain('10-minutes');
    expect(await row.textContent()).toContain('active');
    await expectAccessible('cron');
    await pressByKeyboard(new RegExp(`Pause the ticks of ${ticker}`));
    await eventually(() => row.textContent()).toContain('paused');
    const status = async () => ((await http().get('/api/admin/cron').set('authorization', `Bearer ${ADMIN}`).expect(200)).body as { processId: string; status: string }[]).find((r) => r.processId === ticker)?.status;
    expect(await status()).toBe('paused');
    await row.getByRole('button', { name: /Resume/ }).click();
    await eventually(() => row.textContent()).toContain('active');
    expect(await status()).toBe('active');
  });

  it('API down: a banner that retries by itself, and the page comes back when the API answers', async () => {
    await page.goto(base);
    await eventually(() => page.getByTestId('figures').count(), 20_000).toBe(1);
    let healthRequests = 0;
    page.on('request', (request) => {
      if (/\/health$/.test(request.url())) healthRequests += 1;
    });
    // The network between browser and API fails (the API process itself stays up).
    await page.route(/\/(health|metrics)$/, (route) => route.abort('connectionrefused'));
    const banner = page.getByTestId('api-down');
    await eventually(() => banner.count(), 20_000).toBe(1);
    expect(await banner.textContent()).toContain('The API is not answering');
    expect(await page.getByRole('heading', { name: 'Overview' }).count()).toBe(1);
    await screenshot(page, 'api-down');
    // Retry now asks at once (the API still unreachable, the banner stays) ...
    const asked = healthRequests;
    await banner.getByRole('button', { name: 'Retry now' }).click();
    await eventually(() => healthRequests > asked).toBe(true);
    expect(await banner.count()).toBe(1);
    // ... and once the API answers again the banner goes by itself, at its next retry (≤ 15 s).
    await page.unroute(/\/(health|metrics)$/);
    await eventually(() => banner.count(), 30_000).toBe(0);
    await eventually(() => page.getByRole('heading', { name: /Services/ }).count()).toBe(1);
  });

  it('fits a phone-width screen: no page scrolls sideways', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 375, height: 740 });
    for (const path of ['/', `/explorer/${counter}?nonce=1`, '/dead-letters', '/cron']) {
      await phone.goto(`${base}${path}`);
      await eventually(() => phone.locator('main h1').count()).toBe(1);
      await phone.waitForLoadState('networkidle').catch(() => undefined);
      expect([path, await sidewaysOverflow(phone)]).toEqual([path, []]);
      await screenshot(phone, `phone-${path.split(/[/?]/)[1] || 'overview'}`);
    }
    await phone.close();
  });
});
