// web: the dashboard's first load in headless Chromium (Debian's, through playwright-core) from the
// platform as a deployment runs it (API and worker processes, bench/platform.js): bytes over the
// wire (the API sends the build's brotli copies), of which JavaScript, and the time until the
// overview shows its first data (a MutationObserver in the page notes when the figures appear).
// Each run is a fresh browser context: a cold cache, as a first visit. A revisit in the same
// context shows what caching leaves to transfer. Anchor: Swagger UI at /docs, served by the same
// API and loaded the same way (until its operations are drawn), in the same run.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { mainIfScript, repeat, row, summarize } from './lib.js';
import { startPlatform } from './platform.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// As the browser tests launch it (test/support/browser.ts): no sandbox as root, no network it cannot reach.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const JS_TARGET_KB = 250;

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
    const platform = await startPlatform(log);
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
        ],
        details: { runs, dashboard, swagger, revisit },
      };
    } finally {
      await persistent.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
      await platform.stop();
    }
  },
};

await mainIfScript(import.meta, bench);
