/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterEach, beforeEach, expect } from 'vitest';
import { keepTrace, launchBrowser, screenshot, seriousViolations, traceTest, type TestBrowser } from './browser.js';
import { startCron } from './cron-helpers.js';
import { startTestPlatform, type TestPlatform } from './platform.js';
import { createTestEnv, type TestEnv } from './test-env.js';

const DIST = fileURLToPath(new URL('../../apps/web/dist/index.html', import.meta.url));

/** The platform the dashboard tests drive: API, worker and cron in this process, listening, with the built app. */
export interface WebPlatform {
  t: TestEnv;
  platform: TestPlatform;
  cron: INestApplicationContext[];
  base: string;
  http: () => ReturnType<TestPlatform['http']>;
}

/** Chromium with one context (traced per test) and one tab. */
export interface WebBrowser {
  chrome: TestBrowser;
  context: BrowserContext;
  page: Page;
}

export async function startWebPlatform(vars: Record<string, string>): Promise<WebPlatform> {
  if (!existsSync(DIST)) throw new Error('apps/web/dist is missing: run npm run build first (npm test does)');
  const t = await createTestEnv(vars);
  const platform = await startTestPlatform(t.env, { listen: true });
  const cron = await startCron(t.env, 1);
  return { t, platform, cron, base: platform.url as string, http: () => platform.http() };
}

export async function openBrowser(options?: BrowserContextOptions): Promise<WebBrowser> {
  const chrome = await launchBrowser();
  const context = await chrome.context(options);
  return { chrome, context, page: await context.newPage() };
}

export async function closeWeb(web: Partial<WebPlatform> | undefined, browser: Partial<WebBrowser> | undefined): Promise<void> {
  await browser?.chrome?.close();
  await Promise.all([web?.platform?.close(), ...(web?.cron ?? []).map((c) => c.close())]);
  await web?.t?.cleanup();
}

/** Each test gets a trace chunk; a failed one keeps it and a screenshot under test-results/web. */
export function traceEachTest(browser: () => WebBrowser | undefined): void {
  beforeEach(async () => {
    const b = browser();
    if (b) await traceTest(b.context);
  });
  afterEach(async (ctx) => {
    const b = browser();
    if (!b) return;
    const failed = ctx.task.result?.state === 'fail';
    const trace = await keepTrace(b.context, ctx.task.name, failed);
    if (failed) {
      await screenshot(b.page, `FAILED-${ctx.task.name}`).catch(() => undefined);
      if (trace) process.stderr.write(`trace kept: ${trace}\n`);
    }
  });
}

/** axe on the page as it is, in the light and the dark theme, with a screenshot of each. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  for (const theme of ['light', 'dark'] as const) {
    await page.evaluate((th) => {
      localStorage.setItem('ao.theme', th);
      document.documentElement.dataset.theme = th;
    }, theme);
    expect({ page: name, theme, violations: await seriousViolations(page) }).toEqual({ page: name, theme, violations: [] });
    await screenshot(page, `${name}-${theme}`);
  }
  await page.evaluate(() => {
    localStorage.removeItem('ao.theme');
    document.documentElement.dataset.theme = 'light';
  });
}
