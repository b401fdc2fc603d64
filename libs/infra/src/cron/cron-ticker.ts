import { createHash } from 'node:crypto';
import { createDataItem, cronTickTags, dueTicks, type ItemSigner, type MissedTickPolicy, type Scheduler, type SignedDataItem, type Tag } from '@ao/core';
import type { PrismaClient } from '../database/prisma.js';
import type { CronJob, PipelineQueues } from '../queues/pipeline-queues.js';
import { tagsFromStore } from '../database/stored-tags.js';

interface DueRow {
  process_id: string;
  interval: string;
  unit: string;
  period: bigint;
  origin: bigint;
  policy: string;
  last_tick: bigint | null;
}

interface LockedRegistration {
  unit: string;
  period: bigint;
  tick_tags: Tag[];
  status: string;
}

/** One tick put on the SU. */
export interface EmittedTick {
  tick: number;
  missed: number;
  messageId: string;
  nonce: number;
}

/** Claimed ticks not yet emitted for this long are enqueued again (the cron service died before enqueueing). */
const STALE_CLAIM_S = 10;
/** Ticks emitted per transaction (each holds the registration's row lock). */
const EMIT_BATCH = 50;

/**
 * Cron, both halves, exactly once. `plan` (the cron service, every second, any number of replicas)
 * claims due ticks: under a row lock on each due registration (replicas skip each other's), it
 * inserts one `cron_ticks` row per tick (UNIQUE per process, interval and tick) and advances the
 * registration's cursor in one transaction, then enqueues a job. `emit` (the worker's `cron`
 * stage) puts the claimed ticks on the SU in tick order, under the registration's row lock, so a
 * pause or unmonitor that returns has no tick still on its way. Tick messages are deterministic
 * (content and signature), so a retry after a crash is the same message and the SU keeps one slot.
 */
export class CronTicker {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pipeline: PipelineQueues,
  ) {}

  /** Claims every due tick of every active registration and enqueues their emission; answers how many ticks were claimed. */
  async plan(now: number, height: () => Promise<number>, maxPerRegistration = 100, batch = 1_000): Promise<number> {
    const blocks = await this.prisma.$queryRaw<unknown[]>`SELECT 1 FROM cron_registrations WHERE status = 'active' AND unit = 'blocks' LIMIT 1`;
    // Without a gateway height, block ticks wait; time ticks go on.
    const h = blocks.length > 0 ? await height().catch(() => -1) : -1;
    let claimed = 0;
    for (;;) {
      const { ticks, jobs, rows } = await this.claim(now, h, maxPerRegistration, batch);
      claimed += ticks;
      await Promise.all(jobs.map((job) => this.pipeline.enqueueTick(job)));
      if (rows < batch) break;
    }
    await this.requeueStale();
    return claimed;
  }

  private claim(now: number, height: number, max: number, batch: number): Promise<{ ticks: number; jobs: CronJob[]; rows: number }> {
    return this.prisma.$transaction(async (tx) => {
      const due = await tx.$queryRaw<DueRow[]>`
        SELECT process_id, "interval", unit, period, origin, policy, last_tick FROM cron_registrations
        WHERE status = 'active'
          AND COALESCE(last_tick, origin) + period <= CASE WHEN unit = 'blocks' THEN ${height}::bigint ELSE ${now}::bigint END
        ORDER BY COALESCE(last_tick, origin) + period
        LIMIT ${batch}
        FOR UPDATE SKIP LOCKED`;
      const ticks: { processId: string; interval: string; tick: bigint; missed: number }[] = [];
      const jobs: CronJob[] = [];
      for (const r of due) {
        const clock = r.unit === 'blocks' ? height : now;
        const last = r.last_tick === null ? undefined : Number(r.last_tick);
        const list = dueTicks(Number(r.origin), Number(r.period), last, clock, r.policy as MissedTickPolicy, max);
        if (list.length === 0) continue;
        for (const t of list) ticks.push({ processId: r.process_id, interval: r.interval, tick: BigInt(t.time), missed: t.missed });
        jobs.push({ processId: r.process_id, interval: r.interval, tick: list[list.length - 1].time });
      }
      let inserted = 0;
      if (jobs.length > 0) {
        inserted = (await tx.cronTick.createMany({ data: ticks, skipDuplicates: true })).count;
        await tx.$executeRaw`
          UPDATE cron_registrations r SET last_tick = v.tick, updated_at = now()
          FROM unnest(${jobs.map((j) => j.processId)}::text[], ${jobs.map((j) => j.interval)}::text[], ${jobs.map((j) => String(j.tick))}::bigint[])
            AS v(process_id, "interval", tick)
          WHERE r.process_id = v.process_id AND r."interval" = v."interval"`;
      }
      return { ticks: inserted, jobs, rows: due.length };
    });
  }

  /** Enqueues again the ticks claimed a while ago and still not emitted (their job was never added). */
  private async requeueStale(): Promise<void> {
    const stale = await this.prisma.$queryRaw<{ process_id: string; interval: string; tick: bigint }[]>`
      SELECT process_id, "interval", max(tick) AS tick FROM cron_ticks
      WHERE nonce IS NULL AND created_at < now() - make_interval(secs => ${STALE_CLAIM_S})
      GROUP BY process_id, "interval" LIMIT 500`;
    await Promise.all(stale.map((s) => this.pipeline.enqueueTick({ processId: s.process_id, interval: s.interval, tick: Number(s.tick) })));
  }

  /** Emits the claimed ticks of a registration, oldest first; nothing when it was paused or removed meanwhile. */
  async emit(job: CronJob, scheduler: Scheduler, signer: ItemSigner): Promise<EmittedTick[]> {
    const emitted: EmittedTick[] = [];
    for (;;) {
      const batch = await this.prisma.$transaction(
        async (tx) => {
          const [reg] = await tx.$queryRaw<LockedRegistration[]>`
            SELECT unit, period, tick_tags, status FROM cron_registrations
            WHERE process_id = ${job.processId} AND "interval" = ${job.interval} FOR UPDATE`;
          if (!reg || reg.status !== 'active') return [];
          const pending = await tx.cronTick.findMany({
            where: { processId: job.processId, interval: job.interval, nonce: null },
            orderBy: { tick: 'asc' },
            take: EMIT_BATCH,
          });
          const done: EmittedTick[] = [];
          for (const p of pending) {
            const tick = Number(p.tick);
            const item = await this.tickItem(job, reg, tick, p.missed, signer);
            const slot = await scheduler.scheduleVerified(item);
            await tx.cronTick.update({
              where: { processId_interval_tick: { processId: job.processId, interval: job.interval, tick: p.tick } },
              data: { messageId: item.id, nonce: slot.nonce },
            });
            done.push({ tick, missed: p.missed, messageId: item.id, nonce: slot.nonce });
          }
          if (done.length > 0) {
            await tx.cronRegistration.update({
              where: { processId_interval: { processId: job.processId, interval: job.interval } },
              data: { lastEmitted: done[done.length - 1].tick, updatedAt: new Date() },
            });
          }
          return done;
        },
        { maxWait: 10_000, timeout: 60_000 },
      );
      emitted.push(...batch);
      if (batch.length > 0) await this.pipeline.kickEvaluate(job.processId);
      if (batch.length < EMIT_BATCH) return emitted;
    }
  }

  /** The tick's message: same content and signer → same id, however often it is made. */
  private tickItem(job: CronJob, reg: LockedRegistration, tick: number, missed: number, signer: ItemSigner): Promise<SignedDataItem> {
    const interval = { text: job.interval, unit: reg.unit as 'ms' | 'blocks', period: Number(reg.period) };
    const identity = `${job.processId}:${job.interval}:${tick}`;
    return createDataItem(
      {
        data: '',
        target: job.processId,
        anchor: createHash('sha256').update(identity).digest('base64url').slice(0, 32),
        tags: cronTickTags(interval, tick, missed, tagsFromStore(reg.tick_tags)),
      },
      signer,
    );
  }
}
