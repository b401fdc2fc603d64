import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, body } from '../../api/client';
import type { components } from '../../api/schema';
import { Empty, ErrorNote, Loading } from '../../components/status';
import { Time } from '../../components/values';
import { formatDuration } from '../../lib/format';
import { useTitle } from '../../lib/use-title';

export type Strategy = components['schemas']['StrategyDto'];
export type Subscription = components['schemas']['SubscriptionDto'];

export function useSubscriptions() {
  return useQuery({ queryKey: ['subscriptions'], queryFn: () => body<Subscription[]>(api.GET('/api/subscriptions')), refetchInterval: 10_000 });
}

/** Subscribe (every topic of the strategy; priced ones are paid by a Transfer first) or unsubscribe. */
export function SubscribeButton({ strategy, active }: { strategy: Strategy; active?: Subscription }) {
  const client = useQueryClient();
  const done = () => {
    void client.invalidateQueries({ queryKey: ['subscriptions'] });
    void client.invalidateQueries({ queryKey: ['strategies'] });
  };
  const subscribe = useMutation({ mutationFn: () => body<Subscription>(api.POST('/api/subscriptions', { body: { strategyId: strategy.id } })), onSuccess: done });
  const cancel = useMutation({ mutationFn: (id: string) => body<void>(api.DELETE('/api/subscriptions/{id}', { params: { path: { id } } })), onSuccess: done });
  const pending = subscribe.isPending || cancel.isPending;
  return (
    <>
      {active ? (
        <button type="button" className="button" onClick={() => cancel.mutate(active.id)} disabled={pending} aria-label={`Unsubscribe from ${strategy.title}`}>
          {cancel.isPending ? 'Unsubscribing…' : 'Unsubscribe'}
        </button>
      ) : (
        <button type="button" className="button primary" onClick={() => subscribe.mutate()} disabled={pending || strategy.status === 'killed'} aria-label={`Subscribe to ${strategy.title}`}>
          {subscribe.isPending ? 'Subscribing…' : strategy.price ? `Subscribe for ${strategy.price} units` : 'Subscribe (free)'}
        </button>
      )}
      {subscribe.isError && <ErrorNote error={subscribe.error} />}
      {cancel.isError && <ErrorNote error={cancel.error} />}
    </>
  );
}

/** Published strategies with their live figures; subscribe and unsubscribe. */
export default function Strategies() {
  useTitle('Strategies');
  const strategies = useQuery({ queryKey: ['strategies'], queryFn: () => body<Strategy[]>(api.GET('/api/strategies')), refetchInterval: 5_000 });
  const mine = useSubscriptions();
  const activeFor = (id: string) => mine.data?.find((s) => s.strategyId === id && s.status === 'active');
  return (
    <div className="page">
      <div className="page-head">
        <h1>Strategies</h1>
        <p className="muted">
          Agents published for traders. A subscription is a Register-Subscriber message signed as you; its events arrive in your <Link href="/feed">feed</Link>.
        </p>
      </div>
      {strategies.isPending && <Loading what="the strategies" />}
      {strategies.isError && <ErrorNote error={strategies.error} retry={() => void strategies.refetch()} />}
      {strategies.isSuccess &&
        (strategies.data.length === 0 ? (
          <Empty title="No strategies published yet.">An admin publishes an agent from its page.</Empty>
        ) : (
          <ul className="cards" data-testid="strategies">
            {strategies.data.map((s) => (
              <li key={s.id} className="panel" aria-label={s.title}>
                <h2>
                  {s.title} <span className="badge">{s.status}</span>
                </h2>
                <p className="muted">
                  {s.blueprint} · published <Time ms={Date.parse(s.publishedAt)} /> · {s.price ? `${s.price} atomic units of ${s.token?.slice(0, 8)}… per period` : 'free'}
                </p>
                {s.description && <p>{s.description}</p>}
                <dl className="figures">
                  <div className="figure">
                    <dt>Uptime</dt>
                    <dd>{formatDuration(s.figures.uptimeMs)}</dd>
                  </div>
                  <div className="figure">
                    <dt>Last event</dt>
                    <dd>{s.figures.lastEventAt ? <Time ms={Date.parse(s.figures.lastEventAt)} /> : '—'}</dd>
                  </div>
                  {Object.entries(s.figures.events).map(([topic, n]) => (
                    <div className="figure" key={topic}>
                      <dt>{topic} events</dt>
                      <dd>{n}</dd>
                    </div>
                  ))}
                  {s.figures.fills > 0 && (
                    <div className="figure">
                      <dt>Fills</dt>
                      <dd>{s.figures.fills}</dd>
                    </div>
                  )}
                  {Object.entries(s.figures.verdicts).map(([verdict, n]) => (
                    <div className="figure" key={verdict}>
                      <dt>{verdict} verdicts</dt>
                      <dd>{n}</dd>
                    </div>
                  ))}
                </dl>
                <p className="muted">Topics: {s.topics.join(', ')}</p>
                <SubscribeButton strategy={s} active={activeFor(s.id)} />
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}
