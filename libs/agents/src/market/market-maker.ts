import { z } from 'zod';
import { param, parseConfig, type Blueprint } from '../blueprint.js';
import { agentBootCode, amount, amountOrOff, decimal, luaConfigSpec, optionalAddress, positiveAmount, subscriptionConfigShape } from '../lib/config-spec.js';
import { blueprintLua, bundleLua } from '../lib/lua-libs.js';

/** The market maker's Lua: the shared libraries, the ladder maths (lua/market-maker/ladder.lua), then the agent. */
export const marketMakerSource: string = bundleLua(
  ['agent'],
  `do -- market-maker/ladder.lua\n${blueprintLua('market-maker/ladder.lua')}\nend\n`,
  blueprintLua('market-maker/agent.lua'),
);

const VERSION = '1.0.1';
const TOPICS = ['config', 'fills', 'inventory', 'pnl', 'quotes', 'status'] as const;
const bps = (min: number, max: number) => z.number().int().min(min).max(max);

const marketMakerConfigSchema = z.strictObject({
  // where and how it runs (stop the agent to change)
  mode: param(z.enum(['live', 'paper']).default('live'), { help: 'live sends orders to the venue; paper simulates its fills against the venue’s public trades and book (or the reference price) and sends none.', hot: false }),
  venue: param(optionalAddress().default(''), { help: 'Order-book process it quotes on (needed in live mode and for the venue-mid and last-trade price sources).', hot: false }),
  baseToken: param(optionalAddress().default(''), { help: 'Base token process (deposits sent to the agent go on to the venue; Withdraw names it).', hot: false }),
  quoteToken: param(optionalAddress().default(''), { help: 'Quote token process.', hot: false }),
  baseDenomination: param(z.number().int().min(0).max(30).default(12), { help: 'Decimals of the base token: prices are quote atomic units per whole base.', unit: 'decimals', hot: false }),
  tickSize: param(positiveAmount().default('1'), { help: 'The venue’s tick: bids round down to it, asks up.', unit: 'quote atomic units per whole base', hot: false }),
  lotSize: param(positiveAmount().default('1'), { help: 'The venue’s lot: sizes round down to it.', unit: 'base atomic units', hot: false }),
  priceSource: param(z.enum(['venue-mid', 'last-trade', 'oracle']).default('venue-mid'), { help: 'Reference price: the venue’s mid (floor((bid+ask)/2)), its last trade, or the prices an oracle process publishes.', hot: false }),
  oracle: param(optionalAddress().default(''), { help: 'Price-oracle process (price source oracle); the agent subscribes to its prices topic on Start.', hot: false }),
  tickOn: param(z.enum(['cron', 'price']).default('cron'), { help: 'cron: a cycle per cron Tick; price: a cycle per oracle price, at the price’s own time (backtests).', hot: false }),
  paperBalances: param(z.strictObject({ base: amount().default('0'), quote: amount().default('0') }).default({ base: '0', quote: '0' }), { help: 'Simulated starting balances in paper mode.', unit: 'atomic units', hot: false }),
  paperFeeBps: param(bps(0, 1000).default(10), { help: 'Fee charged on simulated fills (the venue’s maker fee).', unit: 'bps', hot: false }),
  // Hummingbot pure market making (defaults as in its config map; percentages become bps)
  bidSpreadBps: param(bps(1, 9999), { help: 'Distance of the first bid below the reference price (bid_spread).', unit: 'bps', hot: true }),
  askSpreadBps: param(bps(1, 100_000), { help: 'Distance of the first ask above the reference price (ask_spread).', unit: 'bps', hot: true }),
  minimumSpreadBps: param(bps(-10_000, 10_000).default(-10_000), { help: 'Cancel an order whose distance from the reference price falls below this (minimum_spread; -10000: never).', unit: 'bps', hot: false }),
  orderAmount: param(positiveAmount(), { help: 'Size of the first level (order_amount).', unit: 'base atomic units', hot: true }),
  orderLevels: param(z.number().int().min(1).max(20).default(1), { help: 'Levels per side (order_levels).', hot: true }),
  orderLevelAmount: param(amount().default('0'), { help: 'Size added per level: size_l = orderAmount + l × orderLevelAmount (order_level_amount).', unit: 'base atomic units', hot: false }),
  orderLevelSpreadBps: param(bps(0, 5000).default(100), { help: 'Spread added per level (order_level_spread).', unit: 'bps', hot: true }),
  orderRefreshTimeMs: param(z.number().int().min(1000).max(86_400_000).default(30_000), { help: 'How long orders live before the refresh check (order_refresh_time).', unit: 'ms', hot: false }),
  maxOrderAgeMs: param(z.number().int().min(1000).max(604_800_000).default(1_800_000), { help: 'When any order is older, all are cancelled and renewed (max_order_age).', unit: 'ms', hot: false }),
  orderRefreshToleranceBps: param(bps(-1000, 1000).default(0), { help: 'At refresh, orders stay when every new price is within this of the old one and the counts match (order_refresh_tolerance_pct; negative: always replace).', unit: 'bps', hot: false }),
  filledOrderDelayMs: param(z.number().int().min(0).max(86_400_000).default(60_000), { help: 'After a full fill, no new orders until this much later (strictly after) (filled_order_delay).', unit: 'ms', hot: true }),
  inventorySkewEnabled: param(z.boolean().default(false), { help: 'Scale buy and sell sizes toward the target base share (inventory_skew_enabled).', hot: true }),
  inventoryTargetBaseBps: param(bps(0, 10_000).default(5000), { help: 'Target share of the portfolio value held in base (inventory_target_base_pct).', unit: 'bps', hot: true }),
  inventoryRangeMultiplier: param(decimal().default('1'), { help: 'Skew band = multiplier × total order size (inventory_range_multiplier), a decimal.', hot: true }),
  priceCeiling: param(amountOrOff().default('-1'), { help: 'No buys while the reference price is at or above it (price_ceiling; -1 off).', unit: 'quote atomic units per whole base', hot: true }),
  priceFloor: param(amountOrOff().default('-1'), { help: 'No sells while the reference price is at or below it (price_floor; -1 off).', unit: 'quote atomic units per whole base', hot: true }),
  pingPongEnabled: param(z.boolean().default(false), { help: 'After n full buy fills drop the first n buy levels, and vice versa, until the counts are equal (ping_pong_enabled).', hot: false }),
  takeIfCrossed: param(z.boolean().default(false), { help: 'When false, buys at or above the others’ best ask and sells at or below their best bid are dropped (take_if_crossed). Orders are post-only either way.', hot: false }),
  killSwitch: param(z.strictObject({ enabled: z.boolean().default(false), lossBps: bps(1, 10_000).default(1000) }).default({ enabled: false, lossBps: 1000 }), {
    help: 'Cancel everything and move to Killed when the return since Start falls to -lossBps (Hummingbot’s kill_switch_rate 10 %, as a loss).',
    unit: 'bps',
    hot: true,
  }),
  ...subscriptionConfigShape(TOPICS),
});

/** Settings a market maker starts with. */
export type MarketMakerConfig = z.input<typeof marketMakerConfigSchema>;

/** Boot code for a market-maker process. */
export function marketMakerBootCode(input: MarketMakerConfig): string {
  const config = parseConfig(marketMakerBlueprint, input);
  return agentBootCode(config, marketMakerSource, { ConfigSpec: luaConfigSpec(marketMakerBlueprint), MarketMakerVersion: VERSION });
}

/** Hummingbot-style pure market maker. */
export const marketMakerBlueprint: Blueprint<typeof marketMakerConfigSchema> = {
  name: 'market-maker',
  version: VERSION,
  kind: 'market-maker',
  title: 'Market maker (pure market making)',
  description:
    'Hummingbot’s pure market making as an ao process: every cron tick it reads the reference price (the venue’s mid or last ' +
    'trade, or an oracle), computes a ladder of bids and asks, applies price ceiling/floor, ping-pong, inventory skew and its ' +
    'budget, and cancels and places on the order book only what moved beyond the refresh tolerance, in one atomic batch. It ' +
    'tracks fills, fees, inventory and realised/unrealised PnL against its start snapshot, trips a kill switch on losses, and ' +
    'can run in paper mode (simulated fills) for backtests. Every quote and fill is a signed message: verify re-derives them.',
  configSchema: marketMakerConfigSchema,
  topics: [
    { name: 'quotes', help: 'Orders placed in a cycle.', fields: { cycle: 'cycle number', refPrice: 'reference price', cancelled: 'orders cancelled', levels: '[{side, level, price, quantity, clientOrderId, spreadBps}]', paper: 'paper mode' } },
    { name: 'fills', help: 'Every fill of its orders (once per trade).', fields: { seq: 'fill number', tradeId: 'venue trade id', clientOrderId: 'order', side: 'buy | sell', price: 'price', quantity: 'base atomic units', quoteQuantity: 'notional', fee: 'fee', feeToken: 'base | quote', remaining: 'left on the order', paper: 'simulated' } },
    { name: 'inventory', help: 'Balances when they change.', fields: { base: 'total base', quote: 'total quote', baseLocked: 'in orders', quoteLocked: 'in orders', price: 'reference price', baseShareBps: 'base share of the value' } },
    { name: 'pnl', help: 'PnL when it changes.', fields: { price: 'valuation price', hold: 'start portfolio at this price', current: 'hold + tradePnl', tradePnl: 'value of the trades', fees: 'fees in quote', total: 'tradePnl − fees', realised: 'average-cost realised', unrealised: 'tradePnl − realised', returnBps: 'floor(total × 1e4 / hold)', returnPpm: 'floor(total × 1e6 / hold)' } },
    { name: 'status', help: 'A status change (Start, Stop, kill switch).', fields: { status: 'new status', previousStatus: 'old status', reason: 'why' } },
    { name: 'config', help: 'An accepted Configure patch.', fields: { configVersion: 'new version', applied: 'keys', values: 'new values' } },
  ],
  actions: [
    { name: 'Tick', kind: 'event', audience: 'cron', help: 'Asks the venue for its book; the Book reply runs one cycle.' },
    { name: 'Book', kind: 'event', audience: 'venue', help: 'The venue’s snapshot: runs the cycle (cancels and places in one Batch-Orders).' },
    { name: 'Order-Fill', kind: 'event', audience: 'venue', help: 'Records a fill (fills topic, PnL, ping-pong, filled-order delay).' },
    { name: 'Notify-On-Topic/prices', kind: 'event', audience: 'subscriber', help: 'A price from the configured oracle.' },
    { name: 'Credit-Notice', kind: 'event', audience: 'token', help: 'Base or quote sent to the agent is deposited at the venue; anything else is refunded.' },
    { name: 'Configure', kind: 'command', audience: 'owner', help: 'Data: JSON patch; hot keys apply at the next tick, others need the agent stopped; Configure-Response {applied, rejected, configVersion}.' },
    { name: 'Start', kind: 'command', audience: 'owner', help: 'Starts quoting (a new PnL session).' },
    { name: 'Stop', kind: 'command', audience: 'owner', help: 'Cancels every order (Cancel-All at the venue) and stops.' },
    { name: 'Kill', kind: 'command', audience: 'owner', help: 'Stop for good.' },
    { name: 'Withdraw', kind: 'command', audience: 'owner', tags: { Token: 'base | quote', Quantity: 'atomic units', Recipient: 'default: the owner' }, help: 'From the venue, while stopped.' },
    { name: 'Info', kind: 'query', audience: 'anyone', help: 'Status, mode, reference price, open orders, PnL, inventory.' },
    { name: 'Get-Config', kind: 'query', audience: 'anyone', help: 'Config, version and history.' },
    { name: 'Get-Quotes', kind: 'query', audience: 'anyone', help: 'Open orders.' },
    { name: 'Get-Inventory', kind: 'query', audience: 'anyone', help: 'Last balances.' },
    { name: 'Get-PnL', kind: 'query', audience: 'anyone', help: 'PnL and the session’s accumulators.' },
    { name: 'Get-Fills', kind: 'query', audience: 'anyone', tags: { 'From-Seq': 'default 1', Limit: 'default 50, max 500' }, help: 'Fills, paged (Next-Seq).' },
  ],
  source: marketMakerSource,
  bootCode: marketMakerBootCode,
};
