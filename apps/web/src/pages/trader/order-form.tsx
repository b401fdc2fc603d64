import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api, body } from '../../api/client';
import { ApiError } from '../../api/errors';
import type { components } from '../../api/schema';
import type { BookView, TokenInfo, VenueInfo } from '../../api/venue';
import { apiFieldErrors } from '../../components/schema-form';
import { ErrorNote } from '../../components/status';
import { Id } from '../../components/values';
import { orderProblems, toWhole, type OrderInput } from '../../lib/order-check';

type OrderResult = components['schemas']['OrderResultDto'];
type Field = 'price' | 'quantity';

/** Place an order from my balance at the venue; checked against tick, lot and balance before it is signed. */
export function OrderForm({ pid, info, book, base, quote }: { pid: string; info: VenueInfo; book?: BookView; base?: TokenInfo; quote?: TokenInfo }) {
  const ids = useId();
  const client = useQueryClient();
  const [order, setOrder] = useState<OrderInput>({ side: 'buy', type: 'limit', price: '', quantity: '' });
  const [shown, setShown] = useState<Partial<Record<Field, string>>>({});
  const market = { tickSize: BigInt(info.tickSize), lotSize: BigInt(info.lotSize), baseDenomination: info.baseDenomination };
  const available = book ? { base: BigInt(book.account.base.available), quote: BigInt(book.account.quote.available) } : undefined;
  const place = useMutation({
    mutationFn: (o: OrderInput) => body<OrderResult>(api.POST('/api/venues/{processId}/orders', { params: { path: { processId: pid } }, body: o })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['venue', pid] }),
    onError: (e) => {
      if (e instanceof ApiError) setShown(apiFieldErrors(e.details, ''));
    },
  });
  const set = (patch: Partial<OrderInput>) => {
    setOrder({ ...order, ...patch });
    setShown({});
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = orderProblems(market, order, available);
    setShown(found);
    if (Object.keys(found).length) return;
    place.mutate({ ...order, price: order.price.trim(), quantity: order.quantity.trim() });
  };
  const field = (name: Field) => (shown[name] ? { 'aria-invalid': true as const, 'aria-describedby': `${ids}-${name}-hint ${ids}-${name}-error` } : { 'aria-describedby': `${ids}-${name}-hint` });
  const whole = (value: string, token?: TokenInfo) => (token && /^[0-9]+$/.test(value) ? `= ${toWhole(value, token.denomination)} ${token.ticker}` : '');
  const priceWhole = quote && /^[0-9]+$/.test(order.price) ? `= ${toWhole(order.price, quote.denomination)} ${quote.ticker} per ${base?.ticker ?? 'base'}` : '';
  return (
    <form className="panel form" onSubmit={submit} noValidate aria-labelledby={`${ids}-title`} data-testid="order-form">
      <h2 id={`${ids}-title`}>Place an order</h2>
      <div className="row wrap">
        <fieldset className="field">
          <legend>Side</legend>
          {(['buy', 'sell'] as const).map((side) => (
            <label key={side} className="check-label">
              <input type="radio" name={`${ids}-side`} value={side} checked={order.side === side} onChange={() => set({ side })} /> {side === 'buy' ? 'Buy' : 'Sell'}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={`${ids}-type`}>Type</label>
          <select id={`${ids}-type`} value={order.type} onChange={(e) => set({ type: e.target.value as OrderInput['type'] })}>
            <option value="limit">Limit (rests on the book)</option>
            <option value="post-only">Post-only (refused if it would trade)</option>
            <option value="ioc">Immediate or cancel</option>
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${ids}-price`}>Price</label>
        <input id={`${ids}-price`} className="mono" inputMode="numeric" autoComplete="off" value={order.price} onChange={(e) => set({ price: e.target.value })} {...field('price')} />
        <p id={`${ids}-price-hint`} className="muted">
          {quote?.ticker ?? 'quote'} atomic units per whole {base?.ticker ?? 'base'} token; multiple of {info.tickSize} {priceWhole}
        </p>
        {shown.price && (
          <p id={`${ids}-price-error`} className="field-error">
            {shown.price}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${ids}-quantity`}>Quantity</label>
        <input id={`${ids}-quantity`} className="mono" inputMode="numeric" autoComplete="off" value={order.quantity} onChange={(e) => set({ quantity: e.target.value })} {...field('quantity')} />
        <p id={`${ids}-quantity-hint`} className="muted">
          {base?.ticker ?? 'base'} atomic units; multiple of {info.lotSize} {whole(order.quantity, base)}
        </p>
        {shown.quantity && (
          <p id={`${ids}-quantity-error`} className="field-error">
            {shown.quantity}
          </p>
        )}
      </div>
      <button type="submit" className="button primary" disabled={place.isPending}>
        {place.isPending ? 'Signing and sending…' : `${order.side === 'buy' ? 'Buy' : 'Sell'}`}
      </button>
      <div aria-live="polite">
        {place.isError && !Object.keys(shown).length && <ErrorNote error={place.error} context="The order" />}
        {place.data && (
          <p role="status" data-testid="order-result">
            Order {place.data.status}: {place.data.filled} filled, {place.data.remaining} resting{place.data.reason ? ` (${place.data.reason})` : ''}. Message{' '}
            <Id id={place.data.messageId} />
          </p>
        )}
      </div>
    </form>
  );
}
