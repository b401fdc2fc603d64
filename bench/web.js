// web: the dashboard's first load in headless Chromium (Debian's, through playwright-core) from the
// platform as a deployment runs it (API and worker processes, bench/platform.js): bytes over the
// wire (the API sends the build's brotli copies), of which JavaScript, and the time until the
// overview shows its first data (a MutationObserver in the page notes when the figures appear).
// Each run is a fresh browser context: a cold cache, as a first visit. A revisit in the same
// context shows what caching leaves to transfer. Anchor: Swagger UI at /docs, served by the same
// API and loaded the same way (until its operations are drawn), in the same run. Then the agents
// table with 1,000 agents (rows seeded in Postgres), against the same rows as plain HTML.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { mainIfScript, repeat, row, summarize } from './lib.js';
import { startPlatform } from './platform.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// As the browser tests launch it (test/support/browser.ts): no sandbox as root, no network it cannot reach.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const JS_TARGET_KB = 250;
const TABLE_AGENTS = 1000;
const TABLE_TARGET_MS = 500;
const ADMIN = { email: 'bench-admin@example.com', password: 'bench admin password' };

/** A UUIDv7 as the API makes them (time first), so the list's cursor order holds. */
function uuidv7(ms) {
  const hex = ms.toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * TABLE_AGENTS agent rows in the table GET /api/agents reads, as POST /api/agents writes them
 * (their processes are not spawned: what is measured is the list route and the page drawing it).
 */
async function seedAgents(prisma) {
  const admin = await prisma.user.findFirstOrThrow({ where: { email: ADMIN.email } });
  const blueprints = [['market-maker', '1.0.1'], ['media-verifier', '1.0.0'], ['price-oracle', '1.0.0'], ['order-book', '1.0.0'], ['token', '1.0.0']];
  const statuses = ['running', 'paused', 'draft', 'killed'];
  const start = Date.now() - TABLE_AGENTS * 1000;
  const data = Array.from({ length: TABLE_AGENTS }, (_, i) => {
    const [blueprint, blueprintVersion] = blueprints[i % blueprints.length];
    const status = statuses[i % statuses.length];
    return {
      id: uuidv7(start + i * 1000),
      name: `bench agent ${String(i).padStart(4, '0')}`,
      blueprint,
      blueprintVersion,
      status,
      config: {},
      configVersion: i % 7,
      processId: randomBytes(32).toString('base64url'),
      cronInterval: i % 3 ? '1-minute' : null,
      createdBy: admin.id,
      runningSince: status === 'running' ? new Date(start + i * 1000) : null,
      uptimeMs: BigInt(i * 1000),
    };
  });
  await prisma.agent.createMany({ data });
}

/** In the page: note when the agents table has `n` rows (layout forced), and when its data had arrived. */
function watchTable(n) {
  window.__rowsAt = undefined;
  new MutationObserver((_, observer) => {
    if (document.querySelectorAll('table[data-testid="agents"] tbody tr').length >= n) {
      void document.body.offsetHeight;
      window.__rowsAt = performance.now();
      observer.disconnect();
    }
  }).observe(document.body, { childList: true, subtree: true });
  window.__clickAt = performance.now();
  document.querySelector('nav a[href="/agents"]').click();
}

/** The anchor: the same rows' cells as one plain HTML string set with innerHTML (no React), layout forced; ms. */
function plainTable() {
  const rows = [...document.querySelectorAll('table[data-testid="agents"] tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent));
  const box = document.createElement('div');
  document.body.append(box);
  const t0 = performance.now();
  box.innerHTML = `<table><tbody>${rows.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  void document.body.offsetHeight;
  const ms = performance.now() - t0;
  box.remove();
  return ms;
}

/** One visit: sign in, open the agents page from the menu; ms from the click and from the last page of data to every row drawn. */
async function tableVisit(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/sign-in`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await page.waitForSelector('[data-testid="signed-in"]');
    await page.waitForSelector('nav a[href="/agents"]');
    await page.evaluate(watchTable, TABLE_AGENTS);
    await page.waitForFunction(() => window.__rowsAt !== undefined, null, { timeout: 60_000, polling: 50 });
    const t = await page.evaluate(() => {
      const lists = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/agents?') && e.startTime >= window.__clickAt);
      return { click: window.__clickAt, rows: window.__rowsAt, data: Math.max(...lists.map((e) => e.responseEnd)), pages: lists.length };
    });
    const anchorMs = await page.evaluate(plainTable);
    return { totalMs: t.rows - t.click, renderMs: t.rows - t.data, pages: t.pages, anchorMs };
  } finally {
    await context.close();
  }
}

/** In the page, before anything runs: note performance.now() when `selector` first matches. */
function watchFor(selector) {
  const check = () => {
    if (window.__readyAt === undefined && document.querySelector(selector)) window.__readyAt = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
}

/** One page load in `context`: bytes transferred (all, JavaScript) and ms from navigation to `selector`. */
async function load(context, url, selector) {
  const page = await context.newPage();
  await page.addInitScript(watchFor, selector);
  const responses = [];
  page.on('response', (response) => responses.push(response));
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__readyAt !== undefined, null, { timeout: 60_000, polling: 50 });
  const readyMs = await page.evaluate(() => window.__readyAt);
  const settled = [...responses];
  let bytes = 0;
  let jsBytes = 0;
  for (const response of settled) {
    const request = response.request();
    // Served from the browser's cache, nothing crossed the wire: the sizes say 0.
    const sizes = await request.sizes().catch(() => ({ responseBodySize: 0, responseHeadersSize: 0 }));
    const wire = sizes.responseBodySize + sizes.responseHeadersSize;
    bytes += wire;
    if (request.resourceType() === 'script') jsBytes += sizes.responseBodySize;
  }
  const requests = settled.length;
  await page.close();
  return { readyMs, bytes, jsBytes, requests };
}

const bench = {
  name: 'web',
  async run({ quick, log }) {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    const runs = quick ? 1 : 7;
    const platform = await startPlatform(log, { vars: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    const profile = await mkdtemp(join(tmpdir(), 'ao-bench-chromium-'));
    const persistent = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
    const browser = persistent.browser();
    try {
      const dashboard = [];
      const swagger = [];
      const revisit = [];
      // Alternate the two pages so the machine's swings hit both alike; one unrecorded warm-up each
      // (the API's first answers, Chromium's first start of each kind of page) unless quick.
      await repeat(
        runs,
        async (i) => {
          for (const target of ['dashboard', 'swagger']) {
            const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
            try {
              if (target === 'dashboard') {
                const first = await load(context, `${platform.url}/`, '[data-testid="figures"]');
                const again = await load(context, `${platform.url}/`, '[data-testid="figures"]');
                if (i >= 0) {
                  dashboard.push(first);
                  revisit.push(again);
                }
              } else {
                const first = await load(context, `${platform.url}/docs`, '.swagger-ui .opblock');
                if (i >= 0) swagger.push(first);
              }
            } finally {
              await context.close();
            }
          }
        },
        { warmup: quick ? 0 : 1, log },
      );
      await seedAgents(platform.prisma);
      const table = [];
      await repeat(runs, async (i) => {
        const visit = await tableVisit(browser, platform.url);
        if (i >= 0) table.push(visit);
      }, { warmup: quick ? 0 : 1, log });
      const render = summarize(table.map((v) => v.renderMs));
      const kb = (values) => summarize(values.map((b) => b / 1024));
      const ready = summarize(dashboard.map((r) => r.readyMs));
      const anchorReady = summarize(swagger.map((r) => r.readyMs));
      const js = kb(dashboard.map((r) => r.jsBytes));
      const anchor = 'Swagger UI at /docs (same API, same browser, until its operations are drawn)';
      return {
        rows: [
          row('web: dashboard first load, time to first data', ready, 'ms', {
            anchor,
            anchorFigure: anchorReady,
            note: `headless Chromium, cold cache, 1280×900; from navigation start until the overview's figures (from /metrics) are on screen; ${dashboard[0].requests} requests`,
          }),
          row('web: dashboard first load, transferred', kb(dashboard.map((r) => r.bytes)), 'KB', { anchor, anchorFigure: kb(swagger.map((r) => r.bytes)), note: 'all responses, headers included, as sent (brotli)' }),
          row('web: dashboard initial JavaScript, transferred', js, 'KB', {
            note: `target ≤ ${JS_TARGET_KB} KB compressed: ${js.median <= JS_TARGET_KB ? 'met' : 'MISSED'}; the chart library and the other pages load on demand`,
          }),
          row('web: dashboard revisit, transferred', kb(revisit.map((r) => r.bytes)), 'KB', {
            note: 'same context again: index.html revalidated (304), hashed assets from the cache (immutable), only the data requests cross the wire',
          }),
          row(`web: agents table, ${TABLE_AGENTS} agents drawn after their data`, render, 'ms', {
            anchor: 'the same rows as one plain HTML string (innerHTML, no React), same page',
            anchorFigure: summarize(table.map((v) => v.anchorMs)),
            note: `from the last /api/agents page arriving to all ${TABLE_AGENTS} rows in the DOM, layout forced; target ≤ ${TABLE_TARGET_MS} ms: ${render.median <= TABLE_TARGET_MS ? 'met' : 'MISSED'}`,
          }),
          row(`web: agents table, ${TABLE_AGENTS} agents from the menu click`, summarize(table.map((v) => v.totalMs)), 'ms', {
            note: `click on Agents to every row drawn: the page's code, ${table[0]?.pages ?? '?'} list pages of 200 from the API (Postgres), and the drawing`,
          }),
        ],
        details: { runs, dashboard, swagger, revisit, table },
      };
    } finally {
      await persistent.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
      await platform.stop();
    }
  },
};

await mainIfScript(import.meta, bench);
