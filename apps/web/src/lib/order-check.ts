/**
 * What an order-book venue would refuse, checked in the browser before anything is signed: the
 * same rules as the book's validateOrder (libs/agents/lua/order-book.lua) and the API's
 * PlaceOrderDto, on integer strings with BigInt (no float anywhere near an amount).
 */
export interface Market {
  tickSize: bigint;
  lotSize: bigint;
  /** Decimals of the base token: a price is quote atomic units per 10^baseDenomination base atomic units. */
  baseDenomination: number;
}

export interface OrderInput {
  side: 'buy' | 'sell';
  type: 'limit' | 'post-only' | 'ioc';
  price: string;
  quantity: string;
}

export interface Available {
  base: bigint;
  quote: bigint;
}

const AMOUNT = /^[1-9][0-9]{0,77}$/;

/** The quote an order locks: floor(quantity × price ÷ 10^baseDenomination), as the book computes it. */
export function notional(quantity: bigint, price: bigint, baseDenomination: number): bigint {
  return (quantity * price) / 10n ** BigInt(baseDenomination);
}

/** Field → why the venue (or the API) would refuse it; empty when the order may be sent. */
export function orderProblems(market: Market, order: OrderInput, available?: Available): Partial<Record<'price' | 'quantity', string>> {
  const out: Partial<Record<'price' | 'quantity', string>> = {};
  const price = order.price.trim();
  const quantity = order.quantity.trim();
  if (!AMOUNT.test(price)) out.price = 'A price is a positive whole number of quote atomic units per whole base token.';
  else if (BigInt(price) % market.tickSize !== 0n) out.price = `Must be a multiple of the tick size, ${market.tickSize} (e.g. ${roundTo(BigInt(price), market.tickSize)}).`;
  if (!AMOUNT.test(quantity)) out.quantity = 'A quantity is a positive whole number of base atomic units.';
  else if (BigInt(quantity) % market.lotSize !== 0n) out.quantity = `Must be a multiple of the lot size, ${market.lotSize} (e.g. ${roundTo(BigInt(quantity), market.lotSize)}).`;
  if (out.price || out.quantity) return out;
  const q = BigInt(quantity);
  const lock = order.side === 'buy' ? notional(q, BigInt(price), market.baseDenomination) : q;
  if (lock === 0n) out.quantity = 'Too small: its value rounds down to 0 quote units.';
  else if (available && order.side === 'buy' && lock > available.quote) out.quantity = `Needs ${lock} quote units; ${available.quote} available at the venue (deposit first).`;
  else if (available && order.side === 'sell' && lock > available.base) out.quantity = `Needs ${lock} base units; ${available.base} available at the venue (deposit first).`;
  return out;
}

/** The nearest multiple of `step` at or below `value`, but at least one step. */
function roundTo(value: bigint, step: bigint): bigint {
  const down = (value / step) * step;
  return down === 0n ? step : down;
}

/** An amount of atomic units as whole tokens, exactly (no float): 1234567 with 6 decimals → "1.234567". */
export function toWhole(atomic: string, decimals: number): string {
  if (!/^-?[0-9]+$/.test(atomic)) return atomic;
  const negative = atomic.startsWith('-');
  const digits = (negative ? atomic.slice(1) : atomic).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = decimals ? digits.slice(-decimals).replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${BigInt(whole).toLocaleString('en-US')}${fraction ? `.${fraction}` : ''}`;
}
