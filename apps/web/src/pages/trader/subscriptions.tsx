import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, body } from '../../api/client';
import { Empty, ErrorNote, Loading } from '../../components/status';
import { Id, Time } from '../../components/values';
import { useTitle } from '../../lib/use-title';
import { SubscribeButton, useSubscriptions, type Strategy } from './strategies';

/** My subscriptions, active and cancelled, each with the message that made it. */
export default function Subscriptions() {
  useTitle('My subscriptions');
  const mine = useSubscriptions();
  const strategies = useQuery({ queryKey: ['strategies'], queryFn: () => body<Strategy[]>(api.GET('/api/strategies')) });
  const strategy = (id: string) => strategies.data?.find((s) => s.id === id);
  return (
    <div className="page">
      <div className="page-head">
        <h1>My subscriptions</h1>
      </div>
      {mine.isPending && <Loading what="your subscriptions" />}
      {mine.isError && <ErrorNote error={mine.error} retry={() => void mine.refetch()} />}
      {mine.isSuccess &&
        (mine.data.length === 0 ? (
          <Empty title="No subscriptions yet.">
            <Link href="/strategies">Browse the strategies.</Link>
          </Empty>
        ) : (
          <div className="table-wrap">
            <table data-testid="subscriptions">
              <thead>
                <tr>
                  <th scope="col">Strategy</th>
                  <th scope="col">Topics</th>
                  <th scope="col">Status</th>
                  <th scope="col">Since</th>
                  <th scope="col">Register-Subscriber message</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {mine.data.map((s) => {
                  const st = strategy(s.strategyId);
                  return (
                    <tr key={s.id}>
                      <td>{st?.title ?? s.strategyId}</td>
                      <td>{s.topics.join(', ')}</td>
                      <td>{s.status}</td>
                      <td>
                        <Time ms={Date.parse(s.createdAt)} />
                      </td>
                      <td>
                        <Link href={`/explorer/${s.processId}`}>
                          <code>{s.messageId.slice(0, 8)}…</code>
                        </Link>{' '}
                        <Id id={s.processId} />
                      </td>
                      <td>{st && s.status === 'active' && <SubscribeButton strategy={st} active={s} />}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ))}
    </div>
  );
}
