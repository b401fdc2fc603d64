import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import { HEARTBEATS, type Heartbeats } from '@ao/infra';

/** The cron service's clock: every second it reports liveness (and, with the cron issue, emits due ticks). */
@Injectable()
export class CronClock implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly instance = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private task?: ScheduledTask;
  private readonly logger = new Logger('cron');

  constructor(@Inject(HEARTBEATS) private readonly heartbeats: Heartbeats) {}

  onApplicationBootstrap(): void {
    const beat = () =>
      this.heartbeats.beat('cron', this.instance, { pid: process.pid }).catch((error: Error) => this.logger.warn(`heartbeat failed: ${error.message}`));
    void beat();
    this.task = cron.schedule('* * * * * *', beat, { name: 'cron-clock', noOverlap: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
    await this.heartbeats.clear('cron', this.instance).catch(() => undefined);
  }
}
