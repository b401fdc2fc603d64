import { Inject, Injectable } from '@nestjs/common';
import { HEARTBEATS, PIPELINE, PRISMA, pipelineCounters, renderPipelineCounters, type Heartbeats, type LabelledSnapshot, type PipelineQueues, type PipelineSnapshot, type PrismaClient } from '@ao/infra';

type Sample = { name: string; help: string; type: 'gauge' | 'counter'; values: { labels?: Record<string, string>; value: number }[] };

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

/**
 * Platform figures in the Prometheus text format: the upload outbox by status, how far evaluation
 * and relaying are behind, and each pipeline queue's jobs by state. Read from Postgres and Redis at
 * scrape time, so every API replica answers the same. Then the pipeline counters (statements, Redis
 * commands, jobs, passes, cranks, SU batches) of this API process and of every live worker, as its
 * last heartbeat brought them (docs/pipeline.md).
 */
@Injectable()
export class MetricsService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PIPELINE) private readonly pipeline: PipelineQueues,
    @Inject(HEARTBEATS) private readonly heartbeats: Heartbeats,
  ) {}

  async render(): Promise<string> {
    const [outbox, totals, behind, cranks, queues, checkpoints] = await Promise.all([
      // Each state but confirmed counted through its partial index; confirmed is the rest.
      this.prisma.$queryRaw<{ total: bigint; pending: bigint; uploaded: bigint; failed: bigint }[]>`
        SELECT (SELECT count(*) FROM upload_outbox) AS total,
               (SELECT count(*) FROM upload_outbox WHERE status = 'pending') AS pending,
               (SELECT count(*) FROM upload_outbox WHERE status = 'uploaded') AS uploaded,
               (SELECT count(*) FROM upload_outbox WHERE status = 'failed') AS failed`,
      this.prisma.$queryRaw<{ processes: bigint; entries: bigint | null; results: bigint }[]>`
        SELECT (SELECT count(*) FROM processes) AS processes,
               (SELECT sum(last_nonce + 1) FROM processes) AS entries,
               (SELECT count(*) FROM results) AS results`,
      this.prisma.$queryRaw<{ n: bigint | null; broken: bigint }[]>`
        SELECT sum(CASE WHEN c.error IS NULL THEN p.last_nonce - COALESCE(c.nonce, -1) ELSE 0 END) AS n,
               count(c.error) AS broken
        FROM processes p LEFT JOIN cu_processes c ON c.process_id = p.id`,
      this.prisma.$queryRaw<{ status: string; n: bigint }[]>`SELECT crank_status AS status, count(*) AS n FROM results GROUP BY crank_status`,
      Promise.all(
        [this.pipeline.evaluate, this.pipeline.push, this.pipeline.upload, this.pipeline.cron].map(async (q) => ({
          queue: q.name,
          counts: await q.getJobCounts(...JOB_STATES),
        })),
      ),
      this.prisma.$queryRaw<{ state: string; n: bigint; bytes: bigint | null }[]>`
        SELECT CASE WHEN rejected_reason IS NOT NULL THEN 'rejected' WHEN gateway_id IS NOT NULL THEN 'published' ELSE 'unpublished' END AS state,
               count(*) AS n, sum(size) AS bytes
        FROM cu_checkpoints GROUP BY 1`,
    ]);
    const t = totals[0];
    const samples: Sample[] = [
      { name: 'ao_processes', help: 'Processes known to this SU', type: 'gauge', values: [{ value: Number(t.processes) }] },
      { name: 'ao_log_entries', help: 'Assignments (log entries) across all processes', type: 'gauge', values: [{ value: Number(t.entries ?? 0) }] },
      { name: 'ao_results', help: 'Committed evaluation results', type: 'gauge', values: [{ value: Number(t.results) }] },
      { name: 'ao_evaluation_backlog', help: 'Log entries not yet evaluated', type: 'gauge', values: [{ value: Number(behind[0]?.n ?? 0) }] },
      { name: 'ao_processes_broken', help: 'Processes whose evaluation stopped (broken hash chain)', type: 'gauge', values: [{ value: Number(behind[0]?.broken ?? 0) }] },
      {
        name: 'ao_results_by_crank_status',
        help: 'Results by outbox relay status (pending = not yet relayed by the MU)',
        type: 'gauge',
        values: cranks.map((r) => ({ labels: { status: r.status }, value: Number(r.n) })),
      },
      {
        name: 'ao_upload_outbox',
        help: 'Items in the SU upload outbox by status (pending, uploaded, confirmed, failed)',
        type: 'gauge',
        values: (() => {
          const o = outbox[0];
          const [pending, uploaded, failed] = [Number(o.pending), Number(o.uploaded), Number(o.failed)];
          const by = { pending, uploaded, confirmed: Number(o.total) - pending - uploaded - failed, failed };
          return (['pending', 'uploaded', 'confirmed', 'failed'] as const).map((status) => ({ labels: { status }, value: by[status] }));
        })(),
      },
      {
        name: 'ao_queue_jobs',
        help: 'Pipeline jobs by queue and state',
        type: 'gauge',
        values: queues.flatMap(({ queue, counts }) => JOB_STATES.map((state) => ({ labels: { queue, state }, value: counts[state] ?? 0 }))),
      },
      {
        name: 'ao_cu_checkpoints',
        help: 'CU checkpoints kept, by state (published to the gateway, unpublished, rejected = failed verification on a cold start and skipped)',
        type: 'gauge',
        values: ['published', 'unpublished', 'rejected'].map((state) => ({ labels: { state }, value: Number(checkpoints.find((r) => r.state === state)?.n ?? 0) })),
      },
      {
        name: 'ao_cu_checkpoint_bytes',
        help: 'Stored (compressed) bytes of the kept CU checkpoints',
        type: 'gauge',
        values: [{ value: checkpoints.reduce((sum, r) => sum + Number(r.bytes ?? 0), 0) }],
      },
    ];
    return samples.map(format).join('') + renderPipelineCounters(await this.pipelineProcesses());
  }

  private async pipelineProcesses(): Promise<LabelledSnapshot[]> {
    const own: LabelledSnapshot = { labels: { role: 'api', instance: `api-${process.pid}`, pid: String(process.pid) }, snapshot: pipelineCounters.snapshot(), at: Date.now() };
    const workers = (await this.heartbeats.list('worker').catch(() => [])).flatMap((beat) => {
      const snapshot = beat.pipeline as PipelineSnapshot | undefined;
      return snapshot ? [{ labels: { role: 'worker', instance: beat.instance, pid: String(beat.pid) }, snapshot, at: beat.at }] : [];
    });
    return [own, ...workers];
  }
}

function format(sample: Sample): string {
  const lines = [`# HELP ${sample.name} ${sample.help}`, `# TYPE ${sample.name} ${sample.type}`];
  for (const v of sample.values) {
    const labels = v.labels ? `{${Object.entries(v.labels).map(([k, val]) => `${k}="${val.replace(/["\\\n]/g, '_')}"`).join(',')}}` : '';
    lines.push(`${sample.name}${labels} ${v.value}`);
  }
  return `${lines.join('\n')}\n`;
}
