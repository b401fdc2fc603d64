import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CheckpointPublisher, ENV, GATEWAY, PRISMA, WALLETS, createItemSigner, type ArweaveGateway, type Env, type PlatformWallets, type PrismaClient } from '@ao/infra';

/**
 * Publishes saved CU checkpoints as ao `Checkpoint` items to the gateway, every few seconds, on the
 * workers that run the `upload` stage (the gateway-facing one). Evaluation never waits for it: a
 * gateway outage leaves rows unpublished, retried with backoff.
 */
@Injectable()
export class CheckpointPublishService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopping = false;
  private readonly publisher: CheckpointPublisher;
  private readonly logger = new Logger('checkpoints');

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PRISMA) prisma: PrismaClient,
    @Inject(GATEWAY) gateway: ArweaveGateway,
    @Inject(WALLETS) wallets: PlatformWallets,
  ) {
    this.publisher = new CheckpointPublisher(prisma, gateway, createItemSigner(wallets.signing));
  }

  onApplicationBootstrap(): void {
    const stages = this.env.WORKER_QUEUES;
    if (!this.env.CU_CHECKPOINT_PUBLISH || (stages !== 'all' && !stages.includes('upload'))) return;
    this.timer = setInterval(() => void this.publish(), 2_000);
    this.timer.unref();
  }

  /** One round; exported for tests. */
  async publish(): Promise<{ published: number; failed: number }> {
    if (this.running) return { published: 0, failed: 0 };
    const round = this.publisher.publishDue(10, () => this.stopping).catch((error: Error) => {
      this.logger.warn(`publishing checkpoints failed: ${error.message}`);
      return { published: 0, failed: 0 };
    });
    this.running = round;
    const started = Date.now();
    try {
      const report = await round;
      if (report.failed) this.logger.warn(`${report.failed} checkpoint(s) not published yet (retried later); ${report.published} published`);
      else if (report.published) this.logger.log(`published ${report.published} checkpoint(s) in ${Date.now() - started} ms`);
      return report;
    } finally {
      this.running = undefined;
    }
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
    clearInterval(this.timer);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.running;
  }
}
