import { z } from 'zod';
import { param, parseConfig, type Blueprint } from '../blueprint.js';
import { address, agentBootCode, optionalAddress, positiveAmount, subscriptionConfigShape } from '../lib/config-spec.js';
import { blueprintLua, bundleLua } from '../lib/lua-libs.js';

/** The order book's Lua: the shared Amount and Subscriptions libraries, then lua/order-book.lua. */
export const orderBookSource: string = bundleLua(['subscriptions'], blueprintLua('order-book.lua'));

const VERSION = '1.0.1';
const TOPICS = ['book', 'trades'] as const;

const orderBookConfigSchema = z.strictObject({
  baseToken: param(address(), { help: 'Token process of the base asset (what is bought and sold).', hot: false }),
  quoteToken: param(address(), { help: 'Token process of the quote asset (what prices are in).', hot: false }),
  baseDenomination: param(z.number().int().min(0).max(30).default(12), {
    help: 'Decimal places of the base token: a price is quote atomic units per 10^baseDenomination base atomic units (one whole base token).',
    unit: 'decimals',
    hot: false,
  }),
  tickSize: param(positiveAmount().default('1'), { help: 'Prices must be multiples of it.', unit: 'quote atomic units per whole base', hot: false }),
  lotSize: param(positiveAmount().default('1'), { help: 'Quantities must be multiples of it.', unit: 'base atomic units', hot: false }),
  makerFeeBps: param(z.number().int().min(0).max(1000).default(10), {
    help: 'Fee of the resting side of a trade, floor(received × bps ÷ 10000) of what it receives, to the fee account.',
    unit: 'bps',
    hot: false,
  }),
  takerFeeBps: param(z.number().int().min(0).max(1000).default(20), {
    help: 'Fee of the incoming side of a trade, floor(received × bps ÷ 10000) of what it receives, to the fee account.',
    unit: 'bps',
    hot: false,
  }),
  feeAccount: param(optionalAddress().default(''), { help: 'Account credited with the fees (it withdraws them like any balance); empty: the owner.', hot: false }),
  selfTradePrevention: param(z.enum(['cancel-resting', 'cancel-taking', 'cancel-both']).default('cancel-resting'), {
    help: 'When an order would trade with a resting order of the same account: cancel the resting one and go on, stop the incoming one, or both.',
    hot: false,
  }),
  maxOpenOrders: param(z.number().int().min(1).max(10_000).default(200), { help: 'Open orders one account may have.', hot: false }),
  tradesKept: param(z.number().int().min(10).max(100_000).default(1000), { help: 'Trades kept for Get-Trades (the oldest are dropped; Trade-Seq keeps counting).', hot: false }),
  ...subscriptionConfigShape(TOPICS),
});

/** Settings an order book starts with. */
export type OrderBookConfig = z.input<typeof orderBookConfigSchema>;

/** Boot code for an order-book process: its validated config, then the blueprint. */
export function orderBookBootCode(input: OrderBookConfig): string {
  const config = parseConfig(orderBookBlueprint, input);
  return agentBootCode(config, orderBookSource, { BookVersion: VERSION });
}

const ORDER_TAGS = {
  Side: 'buy | sell',
  Price: 'quote atomic units per whole base, a multiple of tickSize',
  Quantity: 'base atomic units, a multiple of lotSize',
  'Order-Type': 'limit (default) | post-only | ioc (a bare Type tag is ao’s own: always Message)',
  'Client-Order-Id': 'optional, unique among the account’s open orders',
};

/** A central-limit order book for a pair of ao tokens. */
export const orderBookBlueprint: Blueprint<typeof orderBookConfigSchema> = {
  name: 'order-book',
  version: VERSION,
  kind: 'venue',
  title: 'Order book (central limit)',
  description:
    'A venue for one pair of ao tokens: deposits arrive as token Credit-Notices (optionally placing an order in the same ' +
    'transfer), balances are escrowed per account, orders match by price then time with partial fills, limit, post-only and ' +
    'IOC types, self-trade prevention, maker and taker fees in bps to a fee account, and withdrawals. All amounts are exact ' +
    'integer strings; every division rounds down as documented, so the sum of all balances, escrow and fees always equals the deposits.',
  configSchema: orderBookConfigSchema,
  topics: [
    { name: 'trades', help: 'Every trade.', fields: { tradeId: 'sequence number', price: 'quote per whole base', quantity: 'base atomic units', quoteQuantity: 'notional', takerSide: 'buy | sell', buyer: 'account', seller: 'account', timestamp: 'msg.Timestamp' } },
    { name: 'book', help: 'Top of book after a message that traded.', fields: { bestBid: 'price or null', bestAsk: 'price or null', lastTradePrice: 'price', timestamp: 'msg.Timestamp' } },
  ],
  actions: [
    { name: 'Credit-Notice/Place-Order', kind: 'event', audience: 'token', tags: Object.fromEntries(Object.entries(ORDER_TAGS).map(([k, v]) => [`X-${k}`, v])), help: 'Deposit and place in one transfer (sell deposits base, buy deposits quote; X-Quantity defaults to the deposit for sells). A refused order refunds exactly the deposit with X-Error; Order-Success or Order-Error to the sender.' },
    { name: 'Credit-Notice/Deposit', kind: 'event', audience: 'token', help: 'Credits the sender’s available balance (also without X-Action); Deposit-Success.' },
    { name: 'Place-Order', kind: 'command', audience: 'anyone', tags: ORDER_TAGS, help: 'Places an order from the available balance; Order-Success {Order-Id, Status open|filled|cancelled, Filled, Remaining} or Order-Error {Error}.' },
    { name: 'Batch-Orders', kind: 'command', audience: 'anyone', help: 'Data {cancelAll?, cancel: [client order ids], place: [{side, price, quantity, type, clientOrderId}]}: cancels first, then places, atomically; Batch-Result.' },
    { name: 'Cancel-Order', kind: 'command', audience: 'anyone', tags: { 'Order-Id': 'or', 'Client-Order-Id': 'of an own open order' }, help: 'Order-Cancelled {Remaining}; the escrow returns to the available balance.' },
    { name: 'Cancel-All', kind: 'command', audience: 'anyone', help: 'Cancels every own open order; Cancel-All-Result.' },
    { name: 'Withdraw', kind: 'command', audience: 'anyone', tags: { Token: 'base or quote token', Quantity: 'atomic units', Recipient: 'default: the sender' }, help: 'Transfers from the available balance; Withdraw-Success or Withdraw-Error.' },
    { name: 'Get-Book', kind: 'query', audience: 'anyone', tags: { Depth: 'levels per side (default 10, max 100)', 'Trades-Since': 'optional trade seq: trades after it' }, help: 'Book: aggregated levels [price, quantity, orders], best bid/ask, last trade, and the sender’s balances and open orders.' },
    { name: 'Get-Orders', kind: 'query', audience: 'anyone', tags: { Account: 'default: the sender' }, help: 'Orders: the account’s open orders.' },
    { name: 'Get-Trades', kind: 'query', audience: 'anyone', tags: { 'From-Seq': 'first trade seq (default 1)', Limit: 'default 50, max 500' }, help: 'Trades (paged, Next-Seq).' },
    { name: 'Get-Balances', kind: 'query', audience: 'anyone', tags: { Account: 'default: the sender' }, help: 'Available and locked base and quote.' },
    { name: 'Info', kind: 'query', audience: 'anyone', help: 'Tokens, tick, lot, fees, best bid/ask, last trade price.' },
  ],
  source: orderBookSource,
  bootCode: orderBookBootCode,
};
