import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Queue, type Job } from 'bullmq';
import { ENV, GATEWAY, OutboxDrainer, PRISMA, QUEUE_NAMES, WALLETS, createRedis, pipelineCounters, type ArweaveGateway, type Env, type PlatformWallets, type PrismaClient } from '@ao/infra';
import type { StageProcessor } from '../processor-registry.js';

/**
 * Stage `upload`: drains the SU's upload outbox onto the gateway. Runs on every kick from the SU and
 * every second from a job scheduler, so a lost kick or a crash only delays uploads.
 */
@Injectable()
export class UploadProcessor implements StageProcessor, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly stage = 'upload' as const;
  readonly concurrency = 1;
  private readonly logger = new Logger('upload');
  private readonly drainer: OutboxDrainer;
  private funded = false;
  private stopping = false;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PRISMA) prisma: PrismaClient,
    @Inject(GATEWAY) private readonly gateway: ArweaveGateway,
    @Inject(WALLETS) private readonly wallets: PlatformWallets,
  ) {
    this.drainer = new OutboxDrainer(prisma, gateway, {
      maxAttempts: env.UPLOAD_MAX_ATTEMPTS,
      leaseSeconds: env.UPLOAD_LEASE_SECONDS,
      batchSize: env.UPLOAD_BUNDLE_ITEMS,
      maxBundleBytes: env.UPLOAD_BUNDLE_BYTES,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const stages = this.env.WORKER_QUEUES;
    if (stages !== 'all' && !stages.includes('upload')) return;
    const connection = createRedis(this.env.REDIS_URL, 'producer');
    const queue = new Queue(QUEUE_NAMES.upload, { connection, prefix: this.env.REDIS_PREFIX });
    try {
      await queue.upsertJobScheduler('drain-every-second', { every: 1_000 }, { name: 'drain', opts: { removeOnComplete: true, removeOnFail: 100 } });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }

  async process(_job: Job): Promise<unknown> {
    await this.fundOnArlocal();
    const started = Date.now();
    const report = await this.drainer.drain(50, () => this.stopping);
    for (const d of report.deadLetters) {
      pipelineCounters.add('upload_dead_letters_total');
      this.logger.warn(`upload of ${d.itemId} failed ${this.env.UPLOAD_MAX_ATTEMPTS} times, now a dead letter (GET /mu/failed): ${d.reason}`);
    }
    if (report.uploaded || report.failed || report.lost) {
      this.logger.log(
        `uploaded ${report.uploaded} item(s) in ${report.bundles} bundle(s) in ${Date.now() - started} ms; ${report.failed} failed, ${report.confirmed} confirmed, ${report.lost} re-queued as missing`,
      );
    }
    return report;
  }

  /** On shutdown a drain stops after the bundle it is posting, so the worker exits promptly. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  /** A local arlocal gateway (e.g. the compose one) starts with no balance for the upload key. */
  private async fundOnArlocal(): Promise<void> {
    if (this.funded) return;
    const info = await this.gateway.info();
    if (info.network.startsWith('arlocal')) {
      const address = this.wallets.upload.address;
      if ((await this.gateway.balance(address)) < 10n ** 15n) await this.gateway.mint(address, String(10n ** 18n));
    }
    this.funded = true;
  }
}
