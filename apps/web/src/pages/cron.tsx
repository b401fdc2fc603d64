import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, body } from '../api/client';
import type { CronRegistration } from '../api/views';
import { AdminGate } from '../components/admin-gate';
import { DataTable, PageHead, QueryView } from '../components/page';
import { Empty, ErrorNote } from '../components/status';
import { Id, Time } from '../components/values';
import { formatDuration, formatNumber } from '../lib/format';
import { useTitle } from '../lib/use-title';

function Tick({ value, unit }: { value: number | null; unit: 'ms' | 'blocks' }) {
  if (value === null) return <span className="muted">none yet</span>;
  return unit === 'ms' ? <Time ms={value} /> : <>block {formatNumber(value)}</>;
}

function PauseResume({ reg }: { reg: CronRegistration }) {
  const client = useQueryClient();
  const paused = reg.status === 'paused';
  const change = useMutation({
    mutationFn: () =>
      paused
        ? body(api.POST('/api/admin/cron/{processId}/resume', { params: { path: { processId: reg.processId } } }))
        : body(api.POST('/api/admin/cron/{processId}/pause', { params: { path: { processId: reg.processId } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['cron'] }),
  });
  return (
    <>
      <button type="button" className="button small" onClick={() => change.mutate()} disabled={change.isPending} aria-label={`${paused ? 'Resume' : 'Pause'} the ticks of ${reg.processId}`}>
        {change.isPending ? '…' : paused ? 'Resume' : 'Pause'}
      </button>
      {change.isError && <ErrorNote error={change.error} />}
    </>
  );
}

/** Cron registrations: which processes get ticks, how often, the last and next tick; pause and resume. */
export default function CronPage() {
  useTitle('Cron');
  const cron = useQuery({ queryKey: ['cron'], queryFn: () => body<CronRegistration[]>(api.GET('/api/admin/cron')), refetchInterval: 5_000 });
  return (
    <div className="page">
      <PageHead title="Cron" lead="Processes that receive ticks (Cron-Interval). A paused process gets none; on resume, missed ticks follow its policy." />
      <AdminGate error={cron.error}>
        <QueryView
          query={cron}
          what="the cron registrations"
          empty={<Empty title="No process is registered for cron ticks.">A process with a Cron-Interval tag is registered when it is monitored (aoconnect's monitor, or an agent's start).</Empty>}
        >
          {(regs) => (
            <DataTable testId="cron-table" caption="Cron registrations" columns={['Process', 'Every', 'Missed ticks', 'Status', 'Last tick', 'Next tick', { label: 'Actions', hidden: true }]}>
              {regs.map((reg) => (
                <tr key={`${reg.processId}/${reg.interval}`} data-process={reg.processId}>
                  <td>
                    <Id id={reg.processId} explore />
                  </td>
                  <td>
                    {reg.interval}
                    <span className="muted"> ({reg.unit === 'ms' ? formatDuration(reg.period) : `${formatNumber(reg.period)} blocks`})</span>
                  </td>
                  <td>{reg.policy}</td>
                  <td>
                    <span className={`badge ${reg.status === 'active' ? 'good' : 'warn'}`}>{reg.status}</span>
                  </td>
                  <td>
                    <Tick value={reg.lastTick} unit={reg.unit} />
                  </td>
                  <td>{reg.status === 'paused' ? <span className="muted">paused</span> : <Tick value={reg.nextTick} unit={reg.unit} />}</td>
                  <td>
                    <PauseResume reg={reg} />
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </QueryView>
      </AdminGate>
    </div>
  );
}
