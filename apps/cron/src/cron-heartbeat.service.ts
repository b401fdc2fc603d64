import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import { CronTicker, GATEWAY, HEARTBEATS, PIPELINE, PRISMA, type ArweaveGateway, type Heartbeats, type PipelineQueues, type PrismaClient } from '@ao/infra';

/**
 * The cron service's clock: every second it reports liveness, claims the ticks that are due and
 * enqueues their emission. Several replicas may run: a tick is claimed once under a row lock and a
 * UNIQUE (process, interval, tick) key, and its message is deterministic (see CronTicker).
 */
@Injectable()
export class CronClock implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly instance = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private task?: ScheduledTask;
  private running?: Promise<void>;
  private readonly logger = new Logger('cron');
  private readonly ticker: CronTicker;

  constructor(
    @Inject(HEARTBEATS) private readonly heartbeats: Heartbeats,
    @Inject(PRISMA) prisma: PrismaClient,
    @Inject(PIPELINE) pipeline: PipelineQueues,
    @Inject(GATEWAY) private readonly gateway: ArweaveGateway,
  ) {
    this.ticker = new CronTicker(prisma, pipeline);
  }

  onApplicationBootstrap(): void {
    const beatAndPlan = async () => {
      await this.heartbeats.beat('cron', this.instance, { pid: process.pid }).catch((error: Error) => this.logger.warn(`heartbeat failed: ${error.message}`));
      await this.ticker.plan(Date.now(), () => this.gateway.blockHeight()).catch((error: Error) => this.logger.warn(`planning ticks failed: ${error.message}`));
    };
    const second = () => (this.running = beatAndPlan());
    void second();
    this.task = cron.schedule('* * * * * *', second, { name: 'cron-clock', noOverlap: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
    // Let a claim in progress commit and enqueue before the connections close.
    await this.running;
    await this.heartbeats.clear('cron', this.instance).catch(() => undefined);
  }
}
