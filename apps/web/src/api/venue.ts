import { api, body } from './client';
import type { EvalResult } from './views';

/** One level of depth as the book answers it: [price, quantity, orders]. */
export type Level = [string, string, number];

export interface VenueOrder {
  id: string;
  clientOrderId?: string;
  side: 'buy' | 'sell';
  price: string;
  quantity: string;
  remaining: string;
  filled: string;
  type: string;
  timestamp: number;
}

export interface Balance {
  available: string;
  locked: string;
}

export interface BookView {
  bids: Level[];
  asks: Level[];
  bestBid?: string;
  bestAsk?: string;
  lastTradePrice?: string;
  tradeSeq: number;
  account: { account: string; orders: VenueOrder[]; base: Balance; quote: Balance };
}

export interface Trade {
  seq: number;
  id: string;
  price: string;
  quantity: string;
  quoteQuantity: string;
  takerSide: 'buy' | 'sell';
  buyer: string;
  seller: string;
  timestamp: number;
}

export interface TokenInfo {
  process: string;
  ticker: string;
  denomination: number;
}

export interface VenueInfo {
  baseToken: string;
  quoteToken: string;
  baseDenomination: number;
  tickSize: string;
  lotSize: string;
  makerFeeBps: number;
  takerFeeBps: number;
}

interface Reply {
  tags: Record<string, string>;
  data: string;
}

/** A read-only question to a process through the CU's dry-run, as `from` (so "my" orders are mine); its first reply. */
export async function ask(pid: string, action: string, tags: Record<string, string> = {}, from?: string): Promise<Reply> {
  const result = await body<EvalResult>(
    api.POST('/cu/dry-run', {
      params: { query: { 'process-id': pid } },
      body: { Target: pid, Tags: [{ name: 'Action', value: action }, ...Object.entries(tags).map(([name, value]) => ({ name, value }))], Data: '', ...(from ? { From: from, Owner: from } : {}) },
    }),
  );
  if (result.Error) throw new Error(`${action} failed in the process: ${String(result.Error)}`);
  const first = (result.Messages ?? [])[0];
  if (!first) throw new Error(`The process did not answer ${action}`);
  return { tags: Object.fromEntries((first.Tags ?? []).map((t) => [t.name, t.value])), data: typeof first.Data === 'string' ? first.Data : JSON.stringify(first.Data ?? '') };
}

/** The venue's market: tokens, denomination, tick, lot, fees; an error when the process is not an order book. */
export async function venueInfo(pid: string): Promise<VenueInfo> {
  const { tags } = await ask(pid, 'Info');
  if (tags.Blueprint !== 'order-book') throw new Error(`This process is not an order-book venue (it answers Info as ${tags.Blueprint ?? 'something else'}).`);
  return {
    baseToken: tags['Base-Token'],
    quoteToken: tags['Quote-Token'],
    baseDenomination: Number(tags['Base-Denomination'] ?? 12),
    tickSize: tags['Tick-Size'] ?? '1',
    lotSize: tags['Lot-Size'] ?? '1',
    makerFeeBps: Number(tags['Maker-Fee-Bps'] ?? 0),
    takerFeeBps: Number(tags['Taker-Fee-Bps'] ?? 0),
  };
}

export async function tokenInfo(pid: string): Promise<TokenInfo> {
  const { tags } = await ask(pid, 'Info');
  return { process: pid, ticker: tags.Ticker ?? 'token', denomination: Number(tags.Denomination ?? 12) };
}

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []); // Lua's json writes an empty table as {}

export async function bookOf(pid: string, depth: number, from?: string): Promise<BookView> {
  const b = JSON.parse((await ask(pid, 'Get-Book', { Depth: String(depth) }, from)).data) as BookView;
  return { ...b, bids: list(b.bids), asks: list(b.asks), account: { ...b.account, orders: list(b.account?.orders) } };
}

/** The newest `limit` trades, newest first. */
export async function recentTrades(pid: string, tradeSeq: number, limit: number): Promise<Trade[]> {
  const from = Math.max(1, tradeSeq - limit + 1);
  return list<Trade>(JSON.parse((await ask(pid, 'Get-Trades', { 'From-Seq': String(from), Limit: String(limit) })).data)).reverse();
}
