import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, body } from '../../api/client';
import { DataTable, PageHead, QueryView } from '../../components/page';
import { Empty } from '../../components/status';
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
      <PageHead title="My subscriptions" />
      <QueryView
        query={mine}
        what="your subscriptions"
        empty={
          <Empty title="No subscriptions yet.">
            <Link href="/strategies">Browse the strategies.</Link>
          </Empty>
        }
      >
        {(subs) => (
          <DataTable testId="subscriptions" columns={['Strategy', 'Topics', 'Status', 'Since', 'Register-Subscriber message', { label: 'Actions', hidden: true }]}>
            {subs.map((s) => {
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
          </DataTable>
        )}
      </QueryView>
    </div>
  );
}
