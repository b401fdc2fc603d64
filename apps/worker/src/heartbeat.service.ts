import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ENV, HEARTBEATS, pipelineCounters, type Env, type Heartbeats } from '@ao/infra';
import { WORKER_INSTANCE } from './worker.tokens.js';

/**
 * Tells /health this worker is alive, and which stages it runs, every few seconds; each beat also
 * carries the worker's pipeline counters, which the API's /metrics shows per worker.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private readonly logger = new Logger('worker');

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(HEARTBEATS) private readonly heartbeats: Heartbeats,
    @Inject(WORKER_INSTANCE) private readonly instance: string,
  ) {}

  onApplicationBootstrap(): void {
    const beat = () =>
      this.heartbeats
        .beat('worker', this.instance, { queues: this.env.WORKER_QUEUES, pid: process.pid, pipeline: pipelineCounters.snapshot() })
        .catch((error: Error) => this.logger.warn(`heartbeat failed: ${error.message}`));
    void beat();
    this.timer = setInterval(beat, Math.max(1_000, (this.env.HEARTBEAT_TIMEOUT_S * 1000) / 3));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.heartbeats.clear('worker', this.instance).catch(() => undefined);
  }
}
