import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DeadQueueReaper, ENV, HEARTBEATS, PIPELINE, PRISMA, REDIS, type Env, type Heartbeats, type PipelineQueues, type PrismaClient } from '@ao/infra';
import { WORKER_INSTANCE } from '../worker.tokens.js';

/**
 * The pipeline's safety net: every few seconds, re-queues work whose kick was lost (a crash between
 * a commit and its enqueue): processes whose log is ahead of their evaluation, and processes with
 * results whose outbox has not been relayed. Jobs coalesce per process, so re-queueing is idempotent.
 * It also drains and removes the own evaluate queues of workers whose heartbeat lapsed (DeadQueueReaper).
 */
@Injectable()
export class SweepService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly logger = new Logger('sweep');
  private readonly reaper: DeadQueueReaper;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PIPELINE) private readonly pipeline: PipelineQueues,
    @Inject(REDIS) redis: Redis,
    @Inject(HEARTBEATS) heartbeats: Heartbeats,
    @Inject(WORKER_INSTANCE) instance: string,
  ) {
    this.reaper = new DeadQueueReaper(redis, env.REDIS_PREFIX, heartbeats, pipeline, instance);
  }

  onApplicationBootstrap(): void {
    const stages = this.env.WORKER_QUEUES;
    if (stages !== 'all' && !stages.includes('evaluate')) return;
    this.timer = setInterval(() => void this.sweep(), 2_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One sweep; exported for tests. */
  async sweep(): Promise<{ evaluations: number; pushes: number; reaped: number }> {
    if (this.running) return { evaluations: 0, pushes: 0, reaped: 0 };
    this.running = true;
    try {
      const reaped = await this.reaper.reap();
      for (const r of reaped) this.logger.log(`removed ${r.queue} of a worker whose heartbeat lapsed; re-kicked ${r.processes} processes`);
      const behind = await this.prisma.$queryRaw<{ id: string }[]>`
        SELECT p.id FROM processes p LEFT JOIN cu_processes c ON c.process_id = p.id
        WHERE c.error IS NULL AND p.last_nonce > COALESCE(c.nonce, -1) AND p.created_at < now() - interval '2 seconds'
        LIMIT 1000`;
      await Promise.all(behind.map((p) => this.pipeline.kickEvaluate(p.id)));
      const unrelayed = await this.prisma.$queryRaw<{ process_id: string }[]>`
        SELECT DISTINCT process_id FROM results WHERE crank_status = 'pending' AND created_at < now() - interval '5 seconds' LIMIT 1000`;
      await Promise.all(unrelayed.map((r) => this.pipeline.enqueuePush(r.process_id)));
      return { evaluations: behind.length, pushes: unrelayed.length, reaped: reaped.length };
    } catch (error) {
      this.logger.warn(`sweep failed: ${(error as Error).message}`);
      return { evaluations: 0, pushes: 0, reaped: 0 };
    } finally {
      this.running = false;
    }
  }
}
