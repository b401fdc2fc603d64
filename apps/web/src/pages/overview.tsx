import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { Link } from 'wouter';
import { fetchHealth, fetchMetrics } from '../api/platform';
import { LazyChart } from '../components/lazy-chart';
import { ErrorNote, Loading } from '../components/status';
import { Figure } from '../components/values';
import { formatBytes, formatNumber, formatRate } from '../lib/format';
import { useTitle } from '../lib/use-title';

const REFRESH_MS = 5_000;
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

function HealthChecks() {
  const health = useQuery({ queryKey: ['health'], queryFn: fetchHealth, refetchInterval: REFRESH_MS });
  if (health.isPending) return <Loading what="the health checks" />;
  if (health.isError) return <ErrorNote error={health.error} retry={() => void health.refetch()} context="Health" />;
  const checks = Object.entries(health.data.checks);
  return (
    <section aria-labelledby="health-title">
      <h2 id="health-title">
        Services{' '}
        <span className={`badge ${health.data.status === 'ok' ? 'good' : 'bad'}`}>{health.data.status === 'ok' ? 'all up' : 'degraded'}</span>
      </h2>
      <ul className="checks">
        {checks.map(([name, check]) => (
          <li key={name} className={`check ${check.status}`}>
            <span className="check-name">{name}</span>
            <span className="check-status">{check.status}</span>
            {check.latencyMs !== undefined && <span className="muted">{formatNumber(check.latencyMs)} ms</span>}
            {check.reason && <span className="check-reason">{check.reason}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Overview() {
  useTitle('Overview');
  const metrics = useQuery({ queryKey: ['metrics'], queryFn: fetchMetrics, refetchInterval: REFRESH_MS });
  useEffect(() => {
    if (metrics.data) performance.mark('ao:overview-data');
  }, [metrics.data]);
  const series = useMemo(
    () => [
      { name: 'messages', color: '--series-1', points: (metrics.data?.rates ?? []).map((r) => ({ at: r.at, value: r.messages })) },
      { name: 'results', color: '--series-2', points: (metrics.data?.rates ?? []).map((r) => ({ at: r.at, value: r.results })) },
    ],
    [metrics.data],
  );
  const reading = metrics.data;
  const f = reading?.figures;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Overview</h1>
        <p className="muted">Live from the platform's /health and /metrics, every {REFRESH_MS / 1000} s.</p>
      </div>
      <HealthChecks />
      <section aria-labelledby="figures-title">
        <h2 id="figures-title">Pipeline</h2>
        {metrics.isPending && <Loading what="the metrics" />}
        {metrics.isError && <ErrorNote error={metrics.error} retry={() => void metrics.refetch()} context="Metrics" />}
        {reading && f && (
          <dl className="figures" data-testid="figures">
            <Figure label="Messages scheduled" value={formatRate(reading.messagesPerSecond, 'msg')} note={`${formatNumber(f.logEntries)} in all logs`} />
            <Figure label="Results committed" value={formatRate(reading.resultsPerSecond, 'result')} note={`${formatNumber(f.results)} in all`} />
            <Figure label="Processes" value={formatNumber(f.processes)} />
            <Figure label="Evaluation backlog" value={formatNumber(f.evaluationBacklog)} unit="messages" tone={f.evaluationBacklog > 1000 ? 'warn' : undefined} />
            <Figure
              label="Upload backlog"
              value={formatNumber(f.uploadBacklog)}
              unit="items"
              note={f.uploadFailed ? `${formatNumber(f.uploadFailed)} failed` : 'not yet confirmed on Arweave'}
              tone={f.uploadFailed ? 'bad' : undefined}
            />
            <Figure label="Relay backlog" value={formatNumber(f.relayPending)} unit="results" note="outboxes not yet delivered" />
            <Figure
              label="Failed jobs"
              value={formatNumber(f.failedJobs)}
              unit="jobs"
              tone={f.failedJobs ? 'bad' : 'good'}
              note={f.failedJobs ? <Link href="/dead-letters">See the dead letters</Link> : 'none'}
            />
            <Figure label="Broken processes" value={formatNumber(f.brokenProcesses)} tone={f.brokenProcesses ? 'bad' : undefined} note="evaluation stopped" />
            <Figure label="Checkpoints" value={formatNumber(f.checkpoints)} note={formatBytes(f.checkpointBytes)} />
          </dl>
        )}
      </section>
      <section aria-labelledby="rate-title">
        <h2 id="rate-title">Throughput</h2>
        {series[0].points.length < 2 ? (
          <p className="muted">Collecting: the rates need two readings {REFRESH_MS / 1000} s apart.</p>
        ) : (
          <LazyChart series={series} label="Messages scheduled and results committed per second" unit="/s" />
        )}
      </section>
      {f && (
        <section aria-labelledby="queues-title">
          <h2 id="queues-title">Queues</h2>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Jobs per pipeline queue and state</caption>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  {STATES.map((s) => (
                    <th key={s} scope="col" className="num">
                      {s}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {Object.entries(f.queues).map(([queue, counts]) => (
                  <tr key={queue}>
                    <th scope="row">{queue}</th>
                    {STATES.map((s) => (
                      <td key={s} className={`num${s === 'failed' && counts[s] ? ' bad' : ''}`}>
                        {formatNumber(counts[s] ?? 0)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}
