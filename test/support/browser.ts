/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser and use its globals.)
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/** Debian's chromium (Playwright's own browser download is not reachable here; .ci/run installs the package). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that keep a headless Chromium off the network it cannot reach and away from the sandbox it cannot have as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where browser tests put screenshots and traces (gitignored). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-results/web/', import.meta.url));

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (own storage), tracing into chunks that `keepTrace` saves on failure. */
  context(options?: BrowserContextOptions): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh user-data dir (removed on close). The last run's screenshots and
 * traces are removed once per e2e run (global-setup.ts), so each spec file's stay beside the others'.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  await mkdir(ARTIFACTS, { recursive: true });
  const profile = await mkdtemp(join(tmpdir(), 'ao-chromium-'));
  // launchPersistentContext is how Playwright takes a user-data dir; further contexts come from its browser.
  const persistent = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const browser = persistent.browser() as Browser;
  return {
    browser,
    async context(options = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
      await context.tracing.start({ screenshots: true, snapshots: true });
      return context;
    },
    async close() {
      await persistent.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Starts a trace chunk for one test. */
export async function traceTest(context: BrowserContext): Promise<void> {
  await context.tracing.startChunk();
}

/** Ends a test's trace chunk: saved under test-results/web when the test failed, dropped otherwise. */
export async function keepTrace(context: BrowserContext, name: string, failed: boolean): Promise<string | undefined> {
  const path = failed ? join(ARTIFACTS, `${slug(name)}.trace.zip`) : undefined;
  await context.tracing.stopChunk(path ? { path } : {});
  return path;
}

/** A full-page screenshot under test-results/web. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${slug(name)}.png`), fullPage: true });
}

export interface AxeProblem {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/** axe-core's violations of impact serious or critical on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeProblem[]> {
  const report = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return report.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}

/**
 * What makes the page wider than the window (a sideways scroll bar on a phone): the outermost
 * elements reaching past its right edge, as `tag.class` paths; empty when it fits.
 */
export async function sidewaysOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    if (document.documentElement.scrollWidth <= window.innerWidth + 1) return [];
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.classList.length ? `.${[...el.classList].join('.')}` : ''}`;
    const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1);
    const outermost = wide.filter((el) => !wide.includes(el.parentElement as Element));
    return outermost.slice(0, 5).map((el) => {
      const path: string[] = [];
      for (let e: Element | null = el; e && e !== document.body; e = e.parentElement) path.unshift(name(e));
      return `${path.join(' > ')} (${Math.round(el.getBoundingClientRect().right)} px)`;
    });
  });
}

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}
