import { createHash } from 'node:crypto';
import { createDataItem, cronTickTags, dueTicks, type ItemSigner, type MissedTickPolicy, type Scheduler, type Tag } from '@ao/core';
import type { PrismaClient } from '../database/prisma.js';
import type { CronJob, PipelineQueues } from '../queues/pipeline-queues.js';

/**
 * Cron, both halves. `plan` (the cron service, every second) finds due ticks and enqueues them;
 * `emit` (the worker's `cron` stage) turns one into a real message: signed by the platform wallet,
 * deterministic (so replicas and retries make the same item, which the SU dedupes), scheduled on
 * the process like any message, and recorded once per (process, interval, tick).
 */
export class CronTicker {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pipeline: PipelineQueues,
  ) {}

  /** Enqueues every due tick of every active registration; answers how many were enqueued. */
  async plan(now: number, height: () => Promise<number>, maxPerRegistration = 100): Promise<number> {
    const rows = await this.prisma.cronRegistration.findMany({ where: { status: 'active' } });
    let current: number | undefined;
    let enqueued = 0;
    const jobs: Promise<void>[] = [];
    for (const r of rows) {
      let clock = now;
      if (r.unit === 'blocks') clock = current ??= await height();
      const due = dueTicks(Number(r.origin), Number(r.period), r.lastTick === null ? undefined : Number(r.lastTick), clock, r.policy as MissedTickPolicy, maxPerRegistration);
      for (const t of due) {
        jobs.push(this.pipeline.enqueueTick({ processId: r.processId, interval: r.interval, tick: t.time, missed: t.missed }));
        enqueued += 1;
      }
    }
    await Promise.all(jobs);
    return enqueued;
  }

  /** Emits one tick as a message through the SU; a tick of a paused or removed registration is dropped. */
  async emit(job: CronJob, scheduler: Scheduler, signer: ItemSigner): Promise<{ messageId: string; nonce: number } | undefined> {
    const reg = await this.prisma.cronRegistration.findUnique({ where: { processId_interval: { processId: job.processId, interval: job.interval } } });
    if (!reg || reg.status !== 'active') return undefined;
    const interval = { text: reg.interval, unit: reg.unit as 'ms' | 'blocks', period: Number(reg.period) };
    const identity = `${job.processId}:${job.interval}:${job.tick}`;
    const item = await createDataItem(
      {
        data: '',
        target: job.processId,
        anchor: createHash('sha256').update(identity).digest('base64url').slice(0, 32),
        tags: cronTickTags(interval, job.tick, job.missed, reg.tickTags as unknown as Tag[]),
      },
      signer,
    );
    const slot = await scheduler.scheduleVerified(item);
    await this.prisma.$transaction([
      this.prisma.cronTick.createMany({
        data: [{ processId: job.processId, interval: job.interval, tick: job.tick, missed: job.missed, messageId: item.id, nonce: slot.nonce }],
        skipDuplicates: true,
      }),
      this.prisma.$executeRaw`
        UPDATE cron_registrations SET last_tick = GREATEST(COALESCE(last_tick, 0), ${job.tick}), updated_at = now()
        WHERE process_id = ${job.processId} AND interval = ${job.interval}`,
    ]);
    await this.pipeline.kickEvaluate(job.processId);
    return { messageId: item.id, nonce: slot.nonce };
  }
}
