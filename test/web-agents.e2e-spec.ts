/// <reference lib="dom" />
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoSet } from '@ao/agents';
import { screenshot, sidewaysOverflow } from './support/browser.js';
import { apiKeyFor, newTrader } from './support/platform-users.js';
import type { TestPlatform } from './support/platform.js';
import { until } from './support/until.js';
import { closeWeb, expectAccessible as axe, openBrowser, startWebPlatform, traceEachTest, type WebBrowser, type WebPlatform } from './support/web-fixture.js';

const ADMIN = { email: 'admin@example.com', password: 'admin password 1' };
const TRADER = { email: 'trader@example.com', password: 'trader password 1' };
const eventually = <T>(probe: () => T | Promise<T>, timeout = 30_000) => expect.poll(probe, { timeout, interval: 150 });

/**
 * The agent platform's pages in a real Chromium against the real platform: an admin signs in,
 * creates an agent from the form generated from its blueprint's schema, starts it, changes a hot
 * key live, publishes it and pauses it; a trader signs in, subscribes and watches the feed,
 * which resumes after losing its connection without missing or repeating an event.
 */
describe('agents and traders in Chromium', () => {
  let web: WebPlatform;
  let browser: WebBrowser;
  let platform: TestPlatform;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let admin: { authorization: string };
  let agentId: string;
  const http = () => platform.http();

  const signIn = async (who: { email: string; password: string }) => {
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByLabel('Password').press('Enter');
    await eventually(() => page.getByTestId('signed-in').textContent()).toContain(who.email);
  };
  const expectAccessible = (name: string) => axe(page, name);
  const confirm = async (action: string) => {
    await page.getByTestId('lifecycle').getByRole('button', { name: new RegExp(`^${action}$`, 'i') }).click();
    await page.getByRole('button', { name: new RegExp(`^Yes, ${action}$`, 'i') }).click();
  };
  const status = () => page.getByRole('heading', { level: 1 }).textContent();

  beforeAll(async () => {
    web = await startWebPlatform({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RESULT_TIMEOUT_MS: '60000', FEED_HEARTBEAT_MS: '1000', PROJECTION_SWEEP_MS: '500' });
    ({ platform, base } = web);
    admin = await apiKeyFor(http, ADMIN.email, ADMIN.password);
    await newTrader(http, admin, TRADER.email);
    await until('the modules', async () => (await http().get('/info').expect(200)).body.modules['media-codec'], 60_000, 300);
    browser = await openBrowser();
    ({ context, page } = browser);
  }, 180_000);

  traceEachTest(() => browser);

  afterAll(() => closeWeb(web, browser));

  it('sends a signed-out visitor to sign-in with the page remembered; a wrong password is said so', async () => {
    await page.goto(`${base}/agents`);
    await eventually(() => new URL(page.url()).pathname).toBe('/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/agents');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.getByRole('alert').first().textContent()).toContain('Wrong email or password');
    await expectAccessible('sign-in');
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await eventually(() => new URL(page.url()).pathname).toBe('/agents');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await eventually(() => nav.textContent()).toContain('Dead letters');
    expect(await nav.textContent()).toContain('Agents');
    // An admin's session opens the admin routes: no ADMIN_TOKEN prompt.
    await page.goto(`${base}/dead-letters`);
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Dead letters');
    await eventually(async () => (await page.getByText(/No failed jobs|failed job/).count()) > 0).toBe(true);
    expect(await page.getByLabel('Admin token').count()).toBe(0);
  });

  it('users and API keys: a new user checked before sending, a key shown once and revoked', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users & keys' }).click();
    await eventually(() => page.getByTestId('users').textContent()).toContain(TRADER.email);
    await page.getByLabel('Email').fill('second@example.com');
    await page.getByLabel(/^Password/).fill('short');
    await page.getByRole('button', { name: 'Create user' }).click();
    await eventually(() => page.locator('#user-password-error').textContent()).toContain('at least 12');
    await page.getByLabel(/^Password/).fill('a long enough password');
    await page.getByRole('button', { name: 'Create user' }).click();
    await eventually(() => page.getByTestId('users').textContent()).toContain('second@example.com');
    await page.getByLabel('Key name').fill('browser key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('new-key').locator('code').textContent();
    await http().get('/api/me').set('authorization', `Bearer ${secret}`).expect(200);
    await expectAccessible('account');
    await page.getByRole('button', { name: 'Revoke key browser key' }).click();
    await eventually(() => page.getByTestId('keys').textContent()).toContain('revoked');
    expect((await http().get('/api/me').set('authorization', `Bearer ${secret}`).expect(401)).body.code).toBe('KEY_REVOKED');
  });

  it('creates an agent from the form of its blueprint: defaults, units, help, refusals shown before sending', async () => {
    await page.goto(`${base}/agents/new`);
    await page.getByLabel('Blueprint').selectOption('media-verifier');
    const form = page.getByTestId('create-agent-form');
    const distance = form.getByLabel(/^nearDuplicateMaxDistance/);
    await eventually(() => distance.inputValue()).toBe('10');
    expect(await form.locator('[data-field="nearDuplicateMaxDistance"]').textContent()).toContain('bits');
    await distance.fill('99');
    await form.getByLabel('Name').fill('web verifier');
    await form.getByRole('button', { name: 'Create agent' }).click();
    await eventually(() => form.locator('[data-field="nearDuplicateMaxDistance"] .field-error').textContent()).toContain('at most 16');
    expect(new URL(page.url()).pathname).toBe('/agents/new');
    await expectAccessible('create-agent');
    await distance.fill('8');
    await form.getByRole('button', { name: 'Create agent' }).click();
    await eventually(() => new URL(page.url()).pathname).toMatch(/^\/agents\/[0-9a-f-]{36}$/);
    agentId = new URL(page.url()).pathname.split('/')[2];
    await eventually(status).toContain('draft');
    const created = (await http().get(`/api/agents/${agentId}`).set(admin).expect(200)).body;
    expect(created).toMatchObject({ name: 'web verifier', blueprint: 'media-verifier', status: 'draft', config: expect.objectContaining({ nearDuplicateMaxDistance: 8 }) });
  });

  it('starts it after confirmation, changes a hot key live, publishes it, pauses it', async () => {
    await page.goto(`${base}/agents/${agentId}`);
    await eventually(status).toContain('draft');
    await confirm('start');
    await eventually(status).toContain('running');
    const config = page.getByTestId('config-form');
    const distance = config.getByLabel(/^nearDuplicateMaxDistance/);
    await eventually(() => distance.isEnabled()).toBe(true);
    await distance.fill('5');
    await config.getByRole('button', { name: /Apply 1 change/ }).click();
    await eventually(() => page.getByTestId('config-applied').textContent()).toContain('nearDuplicateMaxDistance');
    await eventually(async () => (await http().get(`/api/agents/${agentId}`).set(admin).expect(200)).body.config.nearDuplicateMaxDistance).toBe(5);
    await eventually(() => page.getByTestId('audit').textContent()).toContain('configure');
    // The Configure message is in its log: the events table shows the config event it published.
    await eventually(() => page.getByTestId('events').textContent()).toContain('"nearDuplicateMaxDistance":5');
    await eventually(() => page.locator('section[aria-label="What it publishes"] canvas').count()).toBeGreaterThan(0);
    await page.getByText('Publish as a strategy').click();
    await page.getByLabel('Title').fill('Web provenance alerts');
    await page.getByRole('button', { name: 'Publish' }).click();
    await eventually(() => page.getByRole('status').filter({ hasText: 'Published as' }).count()).toBe(1);
    await expectAccessible('agent-running');
    await confirm('pause');
    await eventually(status).toContain('paused');
    await page.goto(`${base}/agents?status=paused`);
    await eventually(() => page.getByTestId('agents').textContent()).toContain('web verifier');
    await page.getByLabel('Status').selectOption('running');
    await eventually(() => page.getByText('No agent matches these filters.').count()).toBe(1);
    await expectAccessible('agents-table');
  });

  it('draws its messages as a graph whose nodes and edges open the explorer', async () => {
    await page.goto(`${base}/agents/${agentId}`);
    const graph = page.getByTestId('message-graph');
    await eventually(() => graph.locator('a[data-node]').count()).toBeGreaterThan(1);
    // The oracle: the messages route the graph is drawn from, grouped by sender.
    const messages = (await http().get(`/api/agents/${agentId}/messages`).set(admin).query({ limit: 100 }).expect(200)).body as { incoming: { nonce: number; from: string }[]; outgoing: { target: string | null }[] };
    const pid = (await http().get(`/api/agents/${agentId}`).set(admin).expect(200)).body.processId as string;
    const bySender = new Map<string, number[]>();
    for (const m of messages.incoming) if (m.from !== pid) bySender.set(m.from, [...(bySender.get(m.from) ?? []), m.nonce]);
    const [sender, nonces] = [...bySender.entries()].sort((a, b) => b[1].length - a[1].length)[0];
    const peers = new Set([...bySender.keys(), ...messages.outgoing.map((m) => m.target).filter((x): x is string => !!x && x !== pid)]);
    expect(await graph.locator('a[data-node]').count()).toBe(1 + Math.min(peers.size, 16));
    const edge = graph.locator(`a[data-edge="incoming:${sender}"]`);
    expect(await edge.getAttribute('aria-label')).toMatch(new RegExp(`^${nonces.length} messages? sent to it by ${sender}`));
    await expectAccessible('agent-message-graph');
    await edge.focus();
    await page.keyboard.press('Enter');
    await eventually(() => `${new URL(page.url()).pathname}${new URL(page.url()).search}`).toBe(`/explorer/${pid}?nonce=${Math.max(...nonces)}`);
    await page.goBack();
    await graph.locator(`a[data-node="${sender}"]`).click();
    await eventually(() => new URL(page.url()).pathname).toBe(`/explorer/${sender}`);
  });

  it('a trader sees trader pages, subscribes, and the feed resumes after a lost connection without gaps or repeats', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await eventually(() => new URL(page.url()).pathname).toBe('/sign-in');
    await signIn(TRADER);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.textContent()).not.toContain('Agents');
    expect(await nav.textContent()).not.toContain('Dead letters');
    await page.goto(`${base}/strategies`);
    await eventually(() => page.getByTestId('strategies').textContent()).toContain('Web provenance alerts');
    await page.getByRole('button', { name: 'Subscribe to Web provenance alerts' }).click();
    await eventually(() => page.getByRole('button', { name: 'Unsubscribe from Web provenance alerts' }).count()).toBe(1);
    await expectAccessible('strategies');
    await page.goto(`${base}/feed`);
    await eventually(() => page.getByTestId('feed-state').getAttribute('data-state')).toBe('open');
    const patch = (value: number) => http().patch(`/api/agents/${agentId}/config`).set(admin).send({ config: { nearDuplicateMaxDistance: value } }).expect(200);
    await http().post(`/api/agents/${agentId}/resume`).set(admin).expect(200);
    await patch(6);
    const rows = page.locator('[data-testid="feed"] tbody tr');
    await eventually(() => rows.count()).toBe(2);
    // Lose the connection; events published meanwhile come after it is back (Last-Event-ID).
    await context.setOffline(true);
    await page.getByRole('button', { name: 'Reconnect now' }).click();
    await eventually(() => page.getByTestId('feed-state').getAttribute('data-state')).toBe('retrying');
    await patch(7);
    await patch(8);
    await context.setOffline(false);
    await eventually(() => rows.count(), 60_000).toBe(4);
    await eventually(() => page.getByTestId('feed-state').getAttribute('data-state')).toBe('open');
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => ({ id: tr.getAttribute('data-feed-id'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent) })));
    // The oracle: the agent's own events since the subscription, from the projection, in order.
    const events = (await http().get(`/api/agents/${agentId}/events`).set(admin).query({ limit: 200 }).expect(200)).body.items as { id: string; topic: string; payload: { values?: Record<string, number>; status?: string } }[];
    expect(shown.map((r) => r.id)).toEqual(events.slice(0, 4).map((e) => e.id));
    expect(events.slice(0, 4).map((e) => e.payload.values?.nearDuplicateMaxDistance ?? e.payload.status)).toEqual([8, 7, 6, 'Running']);
    await expectAccessible('feed');
    await page.goto(`${base}/subscriptions`);
    await eventually(() => page.getByTestId('subscriptions').textContent()).toContain('Web provenance alerts');
    await page.goto(`${base}/agents`);
    await eventually(() => page.getByRole('alert').first().textContent()).toContain('for the admin role');
  });

  it('media: a trader uploads an image and sees the verdict, a copy with the earlier image’s thumbnail and author', async () => {
    // the verifier as created (distance 10): a half-size JPEG of a photo is within 10 bits of it
    await http().patch(`/api/agents/${agentId}/config`).set(admin).send({ config: { nearDuplicateMaxDistance: 10 } }).expect(200);
    const trader = (await http().get('/api/users').set(admin).expect(200)).body.find((u: { email: string }) => u.email === TRADER.email) as { aoAddress: string };
    const uploads: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/media') uploads.push(r.url());
    });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Media' }).click();
    const form = page.getByTestId('media-form');
    await eventually(() => form.getByLabel('Verifier').locator('option').allTextContents()).toEqual(['Web provenance alerts']);
    const file = form.getByLabel(/^Image/);
    await file.setInputFiles({ name: 'poem.txt', mimeType: 'text/plain', buffer: Buffer.from('a poem, not a picture') });
    await form.getByRole('button', { name: 'Upload and verify' }).click();
    await eventually(() => form.locator('.field-error').textContent()).toContain('A PNG or JPEG image is needed');
    expect(uploads).toEqual([]);
    const set = await photoSet(256, 192);
    await file.setInputFiles({ name: 'original.png', mimeType: 'image/png', buffer: Buffer.from(set.original) });
    await form.getByRole('button', { name: 'Upload and verify' }).press('Enter');
    const verdict = page.getByTestId('verdict');
    await eventually(() => verdict.getByRole('heading', { level: 2 }).textContent(), 180_000).toBe('Verdict: original');
    const events = async () => (await http().get(`/api/agents/${agentId}/events`).set(admin).query({ topic: 'verifications', limit: 10 }).expect(200)).body.items as { payload: { mediaId: string; verdict: string; author: string; nearestId?: string } }[];
    const first = (await events())[0].payload;
    expect(first).toMatchObject({ verdict: 'original', author: trader.aoAddress });
    await file.setInputFiles({ name: 'copy.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(set.halfJpeg) });
    await form.getByRole('button', { name: 'Upload and verify' }).click();
    await eventually(() => verdict.getByRole('heading', { level: 2 }).textContent(), 180_000).toBe('Verdict: near-duplicate');
    const second = (await events())[0].payload;
    expect(second).toMatchObject({ verdict: 'near-duplicate', nearestId: first.mediaId, author: trader.aoAddress });
    const thumb = page.getByTestId('nearest').locator('img');
    expect(await thumb.getAttribute('src')).toMatch(new RegExp(`/${first.mediaId}$`));
    expect(await thumb.getAttribute('alt')).toContain(`by ${trader.aoAddress}`);
    await eventually(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(256);
    expect(await page.getByTestId('similar').locator('img').count()).toBeGreaterThan(0);
    expect(uploads).toHaveLength(2);
    await expectAccessible('media-verdict');
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await sidewaysOverflow(page)).toEqual([]);
    await screenshot(page, 'phone-media');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 420_000);
});
