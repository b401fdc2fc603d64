import { describe, expect, it } from 'vitest';
import { parseMetrics, platformFigures, ratePerSecond, total } from './metrics';

// The shape /metrics answers (apps/api/src/metrics/metrics.service.ts), with figures chosen by hand.
const SCRAPE = `# HELP ao_processes Processes known to this SU
# TYPE ao_processes gauge
ao_processes 3
# HELP ao_log_entries Assignments (log entries) across all processes
# TYPE ao_log_entries gauge
ao_log_entries 120
ao_results 117
ao_evaluation_backlog 3
ao_processes_broken 1
ao_results_by_crank_status{status="done"} 110
ao_results_by_crank_status{status="pending"} 7
ao_upload_outbox{status="pending"} 4
ao_upload_outbox{status="uploaded"} 2
ao_upload_outbox{status="confirmed"} 230
ao_upload_outbox{status="failed"} 1
ao_queue_jobs{queue="cu-evaluate",state="waiting"} 5
ao_queue_jobs{queue="cu-evaluate",state="failed"} 2
ao_queue_jobs{queue="mu-push",state="failed"} 1
ao_queue_jobs{queue="mu-push",state="active"} 3
ao_cu_checkpoints{state="published"} 2
ao_cu_checkpoints{state="unpublished"} 1
ao_cu_checkpoint_bytes 40960
`;

describe('the /metrics parser', () => {
  it('reads samples with their labels, skipping comments', () => {
    const samples = parseMetrics(SCRAPE);
    expect(samples[0]).toEqual({ name: 'ao_processes', labels: {}, value: 3 });
    expect(samples.find((s) => s.labels.queue === 'mu-push' && s.labels.state === 'active')?.value).toBe(3);
    expect(total(samples, 'ao_queue_jobs', { state: 'failed' })).toBe(3);
  });

  it('unescapes label values and reads +Inf', () => {
    const [s, inf] = parseMetrics('x{reason="say \\"hi\\"\\nthen go",k="a\\\\b"} 1\ny +Inf\n');
    expect(s.labels).toEqual({ reason: 'say "hi"\nthen go', k: 'a\\b' });
    expect(inf.value).toBe(Infinity);
  });

  it('turns a scrape into the overview figures', () => {
    expect(platformFigures(parseMetrics(SCRAPE))).toEqual({
      processes: 3,
      logEntries: 120,
      results: 117,
      evaluationBacklog: 3,
      brokenProcesses: 1,
      uploadBacklog: 6,
      uploadFailed: 1,
      relayPending: 7,
      failedJobs: 3,
      checkpoints: 3,
      checkpointBytes: 40960,
      queues: { 'cu-evaluate': { waiting: 5, failed: 2 }, 'mu-push': { failed: 1, active: 3 } },
    });
  });

  it('rates a counter between two readings, and declines without a usable interval', () => {
    expect(ratePerSecond({ at: 1_000, value: 100 }, { at: 6_000, value: 150 })).toBe(10);
    expect(ratePerSecond(undefined, { at: 6_000, value: 150 })).toBeNull();
    expect(ratePerSecond({ at: 6_000, value: 100 }, { at: 6_000, value: 150 })).toBeNull();
    // A counter that went down (a platform reset) gives no rate rather than a negative one.
    expect(ratePerSecond({ at: 1_000, value: 100 }, { at: 6_000, value: 10 })).toBeNull();
  });
});
