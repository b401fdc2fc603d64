import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { ItemSigner, Scheduler } from '@ao/core';
import { PIPELINE, PRISMA, WALLETS, CronTicker, createTickSigner, cronJobSchema, type PipelineQueues, type PlatformWallets, type PrismaClient } from '@ao/infra';
import type { StageProcessor } from '../processor-registry.js';
import { SCHEDULER } from '../worker.tokens.js';

/** Stage `cron`: emits a registration's claimed ticks as signed messages through the SU (see CronTicker). */
@Injectable()
export class CronProcessor implements StageProcessor {
  readonly stage = 'cron' as const;
  // Each job holds a pooled Postgres connection (the registration's row lock) while the SU takes
  // another: kept well under the pool size so emits can never starve the SU of connections.
  readonly concurrency = 4;
  private readonly ticker: CronTicker;
  private readonly signer: ItemSigner;

  constructor(
    @Inject(PRISMA) prisma: PrismaClient,
    @Inject(PIPELINE) pipeline: PipelineQueues,
    @Inject(WALLETS) wallets: PlatformWallets,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
  ) {
    this.ticker = new CronTicker(prisma, pipeline);
    this.signer = createTickSigner(wallets.signing);
  }

  process(job: Job): Promise<unknown> {
    return this.ticker.emit(cronJobSchema.parse(job.data), this.scheduler, this.signer);
  }
}
