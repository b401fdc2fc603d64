import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link } from 'wouter';
import { bookOf, recentTrades, tokenInfo, venueInfo, type Level, type TokenInfo } from '../../api/venue';
import { ProcessPicker } from '../../components/process-picker';
import { Empty, ErrorNote, Loading } from '../../components/status';
import { Id, Time } from '../../components/values';
import { recentIds, rememberId, VENUES_KEY } from '../../lib/recent';
import { session } from '../../lib/session';
import { useTitle } from '../../lib/use-title';
import { OrderForm } from './order-form';
import { Amount, VenueAccount } from './venue-account';

const DEPTH = 15;
const TRADES = 30;

/** The venue entry: an order-book process id, checked before it is opened, and the venues opened before. */
export function VenueSearch() {
  useTitle('Venue');
  return (
    <div className="page">
      <div className="page-head">
        <h1>Venue</h1>
        <p className="muted">An order-book process: its depth and trades, and your orders on it, each a message signed with your ao identity.</p>
      </div>
      <ProcessPicker
        label="Order-book process id"
        hrefOf={(p) => `/venue/${p}`}
        recent={recentIds(VENUES_KEY)}
        renderRecent={(p) => (
          <Link href={`/venue/${p}`}>
            <code>{p}</code>
          </Link>
        )}
      />
    </div>
  );
}

/** One side of the book: price levels with their size as a bar, best price first. */
function Depth({ side, levels, base }: { side: 'bids' | 'asks'; levels: Level[]; base?: TokenInfo }) {
  const largest = levels.reduce((m, l) => (BigInt(l[1]) > m ? BigInt(l[1]) : m), 1n);
  const label = side === 'bids' ? 'Bids (buyers)' : 'Asks (sellers)';
  if (!levels.length) return <Empty title={`No ${side}.`}>Nobody is {side === 'bids' ? 'buying' : 'selling'} right now.</Empty>;
  return (
    <div className="table-wrap">
      <table data-testid={side} className="depth">
        <caption>{label}</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Price
            </th>
            <th scope="col" className="num">
              Quantity ({base?.ticker ?? 'base'} units)
            </th>
            <th scope="col" className="num">
              Orders
            </th>
          </tr>
        </thead>
        <tbody>
          {levels.map(([price, quantity, count]) => (
            <tr key={price}>
              <td className={`num mono ${side === 'bids' ? 'side-buy' : 'side-sell'}`}>{price}</td>
              <td className="num depth-cell">
                <span className={`depth-bar depth-${side}`} style={{ width: `${Number((BigInt(quantity) * 100n) / largest)}%` }} aria-hidden="true" />
                <span className="mono">{quantity}</span>
              </td>
              <td className="num">{count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** An order-book venue: depth per side, recent trades, my balances and orders, and an order form. */
export default function VenuePage({ pid }: { pid: string }) {
  const me = session.user()?.aoAddress ?? undefined;
  const info = useQuery({ queryKey: ['venue', pid, 'info'], queryFn: () => venueInfo(pid), staleTime: 60_000, retry: 1 });
  const base = useQuery({ queryKey: ['token', info.data?.baseToken], queryFn: () => tokenInfo(info.data!.baseToken), enabled: !!info.data, staleTime: 300_000 });
  const quote = useQuery({ queryKey: ['token', info.data?.quoteToken], queryFn: () => tokenInfo(info.data!.quoteToken), enabled: !!info.data, staleTime: 300_000 });
  const book = useQuery({ queryKey: ['venue', pid, 'book', me], queryFn: () => bookOf(pid, DEPTH, me), enabled: !!info.data, refetchInterval: 2_000 });
  const tradeSeq = book.data?.tradeSeq ?? 0;
  const trades = useQuery({ queryKey: ['venue', pid, 'trades', tradeSeq], queryFn: () => recentTrades(pid, tradeSeq, TRADES), enabled: !!book.data, placeholderData: (previous) => previous });
  const pair = base.data && quote.data ? `${base.data.ticker}/${quote.data.ticker}` : 'order book';
  useTitle(`Venue ${pair}`);
  useEffect(() => {
    if (info.data) rememberId(VENUES_KEY, pid);
  }, [info.data, pid]);
  if (info.isPending) return <Loading what="the venue" />;
  if (info.isError) return <ErrorNote error={info.error} retry={() => void info.refetch()} context="This venue" />;
  const v = info.data;
  const b = book.data;
  const spread = b?.bestBid && b.bestAsk ? (BigInt(b.bestAsk) - BigInt(b.bestBid)).toString() : undefined;
  return (
    <div className="page">
      <div className="page-head">
        <p>
          <Link href="/venue">Venues</Link> /
        </p>
        <h1>Venue {pair}</h1>
        <p className="muted">
          Process <Id id={pid} explore /> · tick {v.tickSize} · lot {v.lotSize} · fees maker {v.makerFeeBps} bps, taker {v.takerFeeBps} bps · prices in {quote.data?.ticker ?? 'quote'} atomic units per whole{' '}
          {base.data?.ticker ?? 'base'} (10<sup>{v.baseDenomination}</sup> units)
        </p>
      </div>
      {book.isPending && <Loading what="the book" />}
      {book.isError && <ErrorNote error={book.error} retry={() => void book.refetch()} context="The book" />}
      {b && (
        <>
          <dl className="figures" data-testid="book-figures">
            {(
              [
                ['Best bid', b.bestBid],
                ['Best ask', b.bestAsk],
                ['Spread', spread],
                ['Last trade', b.lastTradePrice],
              ] as const
            ).map(([label, value]) => (
              <div className="figure" key={label}>
                <dt>{label}</dt>
                <dd>
                  <span className="figure-value mono">{value ?? '—'}</span>
                  {value && <span className="figure-unit"> {quote.data?.ticker ?? 'quote'} units</span>}
                </dd>
              </div>
            ))}
          </dl>
          <section className="panel" aria-label="Book depth">
            <h2>Book depth</h2>
            <div className="depth-grid">
              <Depth side="bids" levels={b.bids} base={base.data} />
              <Depth side="asks" levels={b.asks} base={base.data} />
            </div>
          </section>
          <div className="venue-grid">
            <OrderForm pid={pid} info={v} book={b} base={base.data} quote={quote.data} />
            {me ? <VenueAccount pid={pid} book={b} base={base.data} quote={quote.data} /> : <Empty title="Sign in with an ao identity to trade." />}
          </div>
        </>
      )}
      <section className="panel" aria-label="Recent trades">
        <h2>Recent trades</h2>
        {trades.isError && <ErrorNote error={trades.error} />}
        {trades.data && trades.data.length === 0 && <Empty title="No trades yet." />}
        {trades.data && trades.data.length > 0 && (
          <div className="table-wrap">
            <table data-testid="trades">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    #
                  </th>
                  <th scope="col">Taker</th>
                  <th scope="col" className="num">
                    Price
                  </th>
                  <th scope="col" className="num">
                    Quantity
                  </th>
                  <th scope="col">Buyer → seller</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {trades.data.map((t) => (
                  <tr key={t.seq}>
                    <td className="num">{t.seq}</td>
                    <td className={t.takerSide === 'buy' ? 'side-buy' : 'side-sell'}>{t.takerSide}</td>
                    <td className="num mono">{t.price}</td>
                    <td className="num">
                      <Amount value={t.quantity} token={base.data} />
                    </td>
                    <td>
                      <Id id={t.buyer} explore /> → <Id id={t.seller} explore />
                    </td>
                    <td>
                      <Time ms={t.timestamp} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
