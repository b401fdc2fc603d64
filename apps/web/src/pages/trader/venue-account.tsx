import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api, body } from '../../api/client';
import type { components } from '../../api/schema';
import type { BookView, TokenInfo } from '../../api/venue';
import { Empty, ErrorNote } from '../../components/status';
import { Id, Time } from '../../components/values';
import { toWhole } from '../../lib/order-check';

/** Units of a token as atomic units with the whole-token value beside them. */
export function Amount({ value, token }: { value: string; token?: TokenInfo }) {
  return (
    <span className="mono" title={token ? `${toWhole(value, token.denomination)} ${token.ticker}` : undefined}>
      {value}
      {token && <span className="muted"> ({toWhole(value, token.denomination)} {token.ticker})</span>}
    </span>
  );
}

/** My balances at the venue, a deposit form (a Transfer signed as me), and my open orders with Cancel. */
export function VenueAccount({ pid, book, base, quote }: { pid: string; book: BookView; base?: TokenInfo; quote?: TokenInfo }) {
  const ids = useId();
  const client = useQueryClient();
  const [asset, setAsset] = useState<'base' | 'quote'>('quote');
  const [quantity, setQuantity] = useState('');
  const [problem, setProblem] = useState<string>();
  const refresh = () => void client.invalidateQueries({ queryKey: ['venue', pid] });
  const deposit = useMutation({
    mutationFn: () => body<components['schemas']['DepositResultDto']>(api.POST('/api/venues/{processId}/deposits', { params: { path: { processId: pid } }, body: { asset, quantity: quantity.trim() } })),
    onSuccess: refresh,
  });
  const cancel = useMutation({
    mutationFn: (orderId: string) => body<components['schemas']['CancelResultDto']>(api.DELETE('/api/venues/{processId}/orders/{orderId}', { params: { path: { processId: pid, orderId } } })),
    onSuccess: refresh,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!/^[1-9][0-9]{0,77}$/.test(quantity.trim())) {
      setProblem('A positive whole number of atomic units.');
      return;
    }
    setProblem(undefined);
    deposit.mutate();
  };
  const token = (side: string) => (side === 'buy' ? quote : base);
  return (
    <section className="panel" aria-labelledby={`${ids}-title`} data-testid="venue-account">
      <h2 id={`${ids}-title`}>My account at the venue</h2>
      <p className="muted">
        As <Id id={book.account.account} />. Orders are placed from the available balance; what open orders hold is locked.
      </p>
      <div className="table-wrap">
        <table data-testid="balances">
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col" className="num">
                Available
              </th>
              <th scope="col" className="num">
                Locked in orders
              </th>
            </tr>
          </thead>
          <tbody>
            {(['base', 'quote'] as const).map((k) => (
              <tr key={k}>
                <th scope="row">{(k === 'base' ? base : quote)?.ticker ?? k}</th>
                <td className="num">
                  <Amount value={book.account[k].available} token={k === 'base' ? base : quote} />
                </td>
                <td className="num">
                  <Amount value={book.account[k].locked} token={k === 'base' ? base : quote} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="form" onSubmit={submit} noValidate aria-label="Deposit">
        <div className="row wrap">
          <div className="field">
            <label htmlFor={`${ids}-asset`}>Deposit token</label>
            <select id={`${ids}-asset`} value={asset} onChange={(e) => setAsset(e.target.value as 'base' | 'quote')}>
              <option value="quote">{quote?.ticker ?? 'quote'} (to buy with)</option>
              <option value="base">{base?.ticker ?? 'base'} (to sell)</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${ids}-qty`}>Deposit quantity (atomic units)</label>
            <input
              id={`${ids}-qty`}
              className="mono"
              inputMode="numeric"
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? `${ids}-qty-error` : undefined}
            />
            {problem && (
              <p id={`${ids}-qty-error`} className="field-error">
                {problem}
              </p>
            )}
          </div>
        </div>
        <button type="submit" className="button" disabled={deposit.isPending}>
          {deposit.isPending ? 'Transferring…' : 'Deposit'}
        </button>
        <div aria-live="polite">
          {deposit.isError && <ErrorNote error={deposit.error} context="Deposit" />}
          {deposit.data && (
            <p role="status">
              Transferred {deposit.data.quantity}; the venue credits it when it reads the token’s notice. Message <Id id={deposit.data.messageId} />
            </p>
          )}
        </div>
      </form>
      <h3>My open orders</h3>
      {cancel.isError && <ErrorNote error={cancel.error} context="Cancel" />}
      {book.account.orders.length === 0 ? (
        <Empty title="No open orders." />
      ) : (
        <div className="table-wrap">
          <table data-testid="my-orders">
            <thead>
              <tr>
                <th scope="col">Side</th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col" className="num">
                  Remaining / quantity
                </th>
                <th scope="col">Type</th>
                <th scope="col">Placed</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {book.account.orders.map((o) => (
                <tr key={o.id}>
                  <td className={o.side === 'buy' ? 'side-buy' : 'side-sell'}>{o.side}</td>
                  <td className="num mono">{o.price}</td>
                  <td className="num">
                    <Amount value={o.remaining} token={token('sell')} /> / {o.quantity}
                  </td>
                  <td>{o.type}</td>
                  <td>
                    <Time ms={o.timestamp} />
                  </td>
                  <td>
                    <button type="button" className="button small" disabled={cancel.isPending} onClick={() => cancel.mutate(o.id)} aria-label={`Cancel ${o.side} order at ${o.price}`}>
                      Cancel
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
