import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, body } from '../api/client';
import type { FailedJob } from '../api/views';
import { AdminGate } from '../components/admin-gate';
import { DataTable, PageHead, QueryView } from '../components/page';
import { Empty, ErrorNote } from '../components/status';
import { Time } from '../components/values';
import { formatCount } from '../lib/format';
import { useTitle } from '../lib/use-title';

function RetryButton({ job, onRetried }: { job: FailedJob; onRetried: (job: FailedJob) => void }) {
  const client = useQueryClient();
  const retry = useMutation({
    mutationFn: () => body<{ retried: string }>(api.POST('/mu/failed/{queue}/{id}/retry', { params: { path: { queue: job.queue, id: job.id } } })),
    onSuccess: () => {
      onRetried(job);
      void client.invalidateQueries({ queryKey: ['failed'] });
    },
  });
  // (the row leaves the list once the refreshed list no longer holds the job: the page says it was queued)
  if (retry.isSuccess) return <span>Retried</span>;
  return (
    <>
      <button type="button" className="button small" onClick={() => retry.mutate()} disabled={retry.isPending} aria-label={`Retry job ${job.id} of queue ${job.queue}`}>
        {retry.isPending ? 'Retrying…' : 'Retry'}
      </button>
      {retry.isError && <ErrorNote error={retry.error} />}
    </>
  );
}

/** Pipeline jobs that failed for good, with their reason; each can be put back in its queue. */
export default function DeadLetters() {
  useTitle('Dead letters');
  const failed = useQuery({ queryKey: ['failed'], queryFn: () => body<FailedJob[]>(api.GET('/mu/failed')), refetchInterval: 10_000 });
  const [retried, setRetried] = useState<FailedJob>();
  return (
    <div className="page">
      <PageHead title="Dead letters" lead="Pipeline jobs that exhausted their retries. A retry puts the job back in its queue as it was." />
      <p role="status">{retried ? `Queued again: job ${retried.id} of ${retried.queue}.` : ''}</p>
      <AdminGate error={failed.error}>
        <QueryView query={failed} what="the failed jobs" empty={<Empty title="No failed jobs.">Every job of the evaluate, push, upload and cron queues succeeded or is still being tried.</Empty>}>
          {(jobs) => (
            <>
              <p>{formatCount(jobs.length, 'failed job')}</p>
              <DataTable testId="dead-letters" caption="Failed pipeline jobs" columns={['Queue', 'Job', 'Reason', { label: 'Attempts', num: true }, 'Failed', { label: 'Actions', hidden: true }]}>
                {jobs.map((job) => (
                  <tr key={`${job.queue}/${job.id}`}>
                    <td>{job.queue}</td>
                    <td>
                      <code className="wrap">{job.id}</code>
                      <details>
                        <summary>Job data</summary>
                        <pre className="data">{JSON.stringify(job.data, null, 2)}</pre>
                      </details>
                    </td>
                    <td className="reason">{job.reason}</td>
                    <td className="num">{job.attempts}</td>
                    <td>
                      <Time ms={job.failedAt} />
                    </td>
                    <td>
                      <RetryButton job={job} onRetried={setRetried} />
                    </td>
                  </tr>
                ))}
              </DataTable>
            </>
          )}
        </QueryView>
      </AdminGate>
    </div>
  );
}
