import { z } from 'zod';
import { param, parseConfig, type Blueprint } from '../blueprint.js';
import { address, agentBootCode, luaConfigSpec, positiveAmount, subscriptionConfigShape } from '../lib/config-spec.js';
import { blueprintLua, bundleLua } from '../lib/lua-libs.js';

/** The price oracle's Lua: the shared libraries (Agent contract included), then lua/price-oracle.lua. */
export const priceOracleSource: string = bundleLua(['agent'], blueprintLua('price-oracle.lua'));

const VERSION = '1.0.0';
const TOPICS = ['config', 'prices', 'status'] as const;

const priceOracleConfigSchema = z.strictObject({
  pair: param(z.string().min(1).max(32).default('BASE/QUOTE'), { help: 'Label of what is priced, sent with every price.', hot: true }),
  mode: param(z.enum(['feed', 'series', 'walk']).default('feed'), {
    help: 'feed: prices arrive as signed Publish-Price messages (backtests); series: each cron tick publishes the next value of series; walk: each tick a seeded pseudo-random step.',
    hot: false,
  }),
  series: param(z.array(positiveAmount()).max(10_000).default([]), { help: 'Prices published one per tick in series mode.', unit: 'quote atomic units per whole base', hot: false }),
  loop: param(z.boolean().default(true), { help: 'In series mode, start again after the last value (otherwise stop publishing).', hot: true }),
  walk: param(
    z.strictObject({
      start: positiveAmount().default('100000000'),
      stepBps: z.number().int().min(0).max(1000).default(20),
      seed: z.number().int().min(1).max(2 ** 31).default(1),
    }).default({ start: '100000000', stepBps: 20, seed: 1 }),
    { help: 'Walk mode: start price, largest step per tick (bps) and PRNG seed (price = floor(price × (10000 + step) ÷ 10000)).', hot: false },
  ),
  publishers: param(z.array(address()).max(32).default([]), { help: 'Addresses besides the owner that may send Publish-Price.', hot: true }),
  ...subscriptionConfigShape(TOPICS),
});

/** Settings a price oracle starts with. */
export type PriceOracleConfig = z.input<typeof priceOracleConfigSchema>;

/** Boot code for a price-oracle process. */
export function priceOracleBootCode(input: PriceOracleConfig = {}): string {
  const config = parseConfig(priceOracleBlueprint, input);
  return agentBootCode(config, priceOracleSource, { ConfigSpec: luaConfigSpec(priceOracleBlueprint), OracleVersion: VERSION });
}

/** A price oracle: a deterministic series, a seeded walk or a signed feed, published on a topic. */
export const priceOracleBlueprint: Blueprint<typeof priceOracleConfigSchema> = {
  name: 'price-oracle',
  version: VERSION,
  kind: 'oracle',
  title: 'Price oracle',
  description:
    'Publishes a price on topic prices to its subscribers (market makers use it as their reference price): one value per cron ' +
    'tick from a configured series or a seeded random walk, or one per signed Publish-Price message from its owner or publishers, ' +
    'which is how a backtest replays a price file. Prices are integer strings, so every run replays exactly.',
  configSchema: priceOracleConfigSchema,
  topics: [
    { name: 'prices', help: 'Every published price.', fields: { price: 'quote atomic units per whole base', seq: 'price number', time: 'series time or msg.Timestamp (ms)', source: 'series | walk | feed', pair: 'label', timestamp: 'msg.Timestamp' } },
    { name: 'config', help: 'An accepted Configure patch.', fields: { configVersion: 'new version', applied: 'keys', values: 'new values' } },
    { name: 'status', help: 'A status change.', fields: { status: 'new status', previousStatus: 'old status', reason: 'why' } },
  ],
  actions: [
    { name: 'Tick', kind: 'event', audience: 'cron', help: 'Publishes the next series or walk price (while Running).' },
    { name: 'Publish-Price', kind: 'command', audience: 'owner', tags: { Price: 'integer string', Time: 'optional series time, ms' }, help: 'Publishes a price (owner or publishers, while Running); Publish-Price-Confirmation.' },
    { name: 'Get-Price', kind: 'query', audience: 'anyone', help: 'Price {Price, Seq, Time}.' },
    { name: 'Configure', kind: 'command', audience: 'owner', help: 'Data: JSON patch; Configure-Response.' },
    { name: 'Start', kind: 'command', audience: 'owner', help: 'Status Running.' },
    { name: 'Stop', kind: 'command', audience: 'owner', help: 'Status Stopped.' },
    { name: 'Kill', kind: 'command', audience: 'owner', help: 'Status Killed for good.' },
    { name: 'Info', kind: 'query', audience: 'anyone', help: 'Last price, sequence, mode.' },
    { name: 'Get-Config', kind: 'query', audience: 'anyone', help: 'Config, version and history.' },
  ],
  source: priceOracleSource,
  bootCode: priceOracleBootCode,
};
