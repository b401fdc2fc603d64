import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import { CronTicker, GATEWAY, HEARTBEATS, PIPELINE, PRISMA, type ArweaveGateway, type Heartbeats, type PipelineQueues, type PrismaClient } from '@ao/infra';

/**
 * The cron service's clock: every second it reports liveness and enqueues the ticks that are due.
 * Several replicas may run: a tick's job id and its deterministic message make it happen once.
 */
@Injectable()
export class CronClock implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly instance = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private task?: ScheduledTask;
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
    const second = async () => {
      await this.heartbeats.beat('cron', this.instance, { pid: process.pid }).catch((error: Error) => this.logger.warn(`heartbeat failed: ${error.message}`));
      await this.ticker.plan(Date.now(), () => this.gateway.blockHeight()).catch((error: Error) => this.logger.warn(`planning ticks failed: ${error.message}`));
    };
    void second();
    this.task = cron.schedule('* * * * * *', second, { name: 'cron-clock', noOverlap: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
    await this.heartbeats.clear('cron', this.instance).catch(() => undefined);
  }
}
