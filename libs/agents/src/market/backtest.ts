import type { Tag } from '@ao/core';
import { marketMakerBootCode, type MarketMakerConfig } from './market-maker.js';
import { priceOracleBootCode } from './price-oracle.js';

/**
 * Backtests: a price-oracle process fed a price series (one signed Publish-Price message per
 * point, with the point's time) and a market maker in paper mode that runs one cycle per price at
 * that time. Both are real processes on whatever pipeline `client` talks to, so the run is a
 * process log `npm run verify` reproduces. Transport-free: the CLI (scripts/backtest.js) and the
 * specs pass their own client.
 */

/** One point of a price series: time (ms) and price (quote atomic units per whole base). */
export interface PricePoint {
  time: number;
  price: string;
}

/** What a backtest needs from an ao client. */
export interface BacktestClient {
  /** Spawns an aos process with On-Boot code; resolves with its id once its boot evaluated. */
  spawn(name: string, bootCode: string, tags?: Tag[]): Promise<string>;
  /** Sends a signed message from the backtest's wallet and resolves with its evaluation. */
  message(process: string, tags: Record<string, string>, data?: string): Promise<{ Messages: { Tags: Tag[]; Data?: string }[]; Error?: string }>;
  /** A dry-run query: the first reply's tags and data. */
  query(process: string, tags: Record<string, string>): Promise<{ tags: Record<string, string>; data: string }>;
}

export interface BacktestReport {
  oracle: string;
  agent: string;
  prices: number;
  fills: Record<string, unknown>[];
  pnl: Record<string, string> | null;
  inventory: Record<string, string> | null;
  maxDrawdown: string;
}

/** Parses a series: CSV lines `time,price` (a header line allowed) or JSON `[{time, price}]` / `[price, ...]`; decimals scaled by 10^quoteDecimals exactly. */
export function parseSeries(text: string, quoteDecimals = 6, startTime = 1_700_000_000_000, stepMs = 1000): PricePoint[] {
  const scale = (v: string | number): string => {
    const s = String(v).trim();
    const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
    if (!m) throw new RangeError(`not a price: ${s}`);
    const frac = (m[2] ?? '').padEnd(quoteDecimals, '0');
    if (frac.length > quoteDecimals && /[1-9]/.test(frac.slice(quoteDecimals))) throw new RangeError(`${s} has more than ${quoteDecimals} decimals`);
    const n = BigInt(m[1] + frac.slice(0, quoteDecimals));
    if (n <= 0n) throw new RangeError(`price must be positive: ${s}`);
    return n.toString();
  };
  const trimmed = text.trim();
  const points: PricePoint[] = [];
  if (trimmed.startsWith('[')) {
    const rows = JSON.parse(trimmed) as unknown[];
    rows.forEach((row, i) => {
      if (typeof row === 'object' && row !== null) {
        const r = row as { time?: number | string; price: string | number };
        points.push({ time: r.time !== undefined ? Number(r.time) : startTime + i * stepMs, price: scale(r.price) });
      } else points.push({ time: startTime + i * stepMs, price: scale(row as string) });
    });
  } else {
    const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
    lines.forEach((line, i) => {
      const cells = line.split(',').map((c) => c.trim());
      if (i === 0 && !/^\d/.test(cells.at(-1) ?? '')) return; // header
      const [t, p] = cells.length >= 2 ? cells : [String(startTime + i * stepMs), cells[0]];
      const time = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
      if (!Number.isSafeInteger(time)) throw new RangeError(`line ${i + 1}: bad time ${t}`);
      points.push({ time, price: scale(p) });
    });
  }
  if (points.length === 0) throw new RangeError('the series is empty');
  for (let i = 1; i < points.length; i++) if (points[i].time < points[i - 1].time) throw new RangeError(`times must not go backwards (point ${i + 1})`);
  return points;
}

/** The market-maker config a backtest runs: the user's, in paper mode, priced and clocked by the oracle. */
export function backtestConfig(config: MarketMakerConfig, oracle: string): MarketMakerConfig {
  return { ...config, mode: 'paper', venue: '', priceSource: 'oracle', oracle, tickOn: 'price' };
}

/** Runs a backtest; `onProgress` is called after each price the agent has taken. */
export async function runBacktest(
  client: BacktestClient,
  config: MarketMakerConfig,
  series: PricePoint[],
  options: { pollMs?: number; timeoutMs?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<BacktestReport> {
  const pollMs = options.pollMs ?? 100;
  const oracle = await client.spawn('backtest-oracle', priceOracleBootCode({ mode: 'feed', pair: 'backtest' }));
  const agent = await client.spawn('backtest-market-maker', marketMakerBootCode(backtestConfig(config, oracle)));
  const ok = (r: { Error?: string }, what: string) => {
    if (r.Error) throw new Error(`${what} failed: ${r.Error}`);
  };
  ok(await client.message(oracle, { Action: 'Start' }), 'starting the oracle');
  const started = await client.message(agent, { Action: 'Start' });
  ok(started, 'starting the agent');
  const err = started.Messages.find((m) => m.Tags.some((t) => t.name === 'Action' && t.value === 'Start-Error'));
  if (err) throw new Error(`the agent refused to start: ${err.Tags.find((t) => t.name === 'Error')?.value}`);
  const waitFor = async (what: string, probe: () => Promise<boolean>) => {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  await waitFor('the agent to subscribe to the oracle', async () => (JSON.parse((await client.query(oracle, { Action: 'Get-Subscriptions' })).data) as unknown[]).length > 0);
  // one price at a time: the next is sent once the agent has taken this one, so it sees them in order
  for (let i = 0; i < series.length; i++) {
    ok(await client.message(oracle, { Action: 'Publish-Price', Price: series[i].price, Time: String(series[i].time) }), `price ${i + 1}`);
    await waitFor(`the agent to take price ${i + 1}`, async () => Number(JSON.parse((await client.query(agent, { Action: 'Info' })).data).oracleSeq ?? 0) >= i + 1);
    options.onProgress?.(i + 1, series.length);
  }
  const fills: Record<string, unknown>[] = [];
  for (let from = 1; ; ) {
    const page = await client.query(agent, { Action: 'Get-Fills', 'From-Seq': String(from), Limit: '500' });
    const rows = JSON.parse(page.data) as Record<string, unknown>[];
    fills.push(...rows);
    if (rows.length < 500) break;
    from = Number(page.tags['Next-Seq']);
  }
  const { pnl } = JSON.parse((await client.query(agent, { Action: 'Get-PnL' })).data) as { pnl: Record<string, string> | null };
  const inventory = JSON.parse((await client.query(agent, { Action: 'Get-Inventory' })).data) as Record<string, string>;
  return { oracle, agent, prices: series.length, fills, pnl, inventory: Object.keys(inventory).length ? inventory : null, maxDrawdown: pnl?.maxDrawdown ?? '0' };
}
