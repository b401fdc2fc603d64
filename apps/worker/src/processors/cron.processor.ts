import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { Scheduler } from '@ao/core';
import { PIPELINE, PRISMA, WALLETS, CronTicker, createItemSigner, cronJobSchema, type PipelineQueues, type PlatformWallets, type PrismaClient } from '@ao/infra';
import type { StageProcessor } from '../processor-registry.js';
import { SCHEDULER } from '../worker.tokens.js';

/** Stage `cron`: emits one due tick as a signed message through the SU (see CronTicker). */
@Injectable()
export class CronProcessor implements StageProcessor {
  readonly stage = 'cron' as const;
  private readonly ticker: CronTicker;
  private readonly signer;

  constructor(
    @Inject(PRISMA) prisma: PrismaClient,
    @Inject(PIPELINE) pipeline: PipelineQueues,
    @Inject(WALLETS) wallets: PlatformWallets,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
  ) {
    this.ticker = new CronTicker(prisma, pipeline);
    this.signer = createItemSigner(wallets.signing);
  }

  process(job: Job): Promise<unknown> {
    return this.ticker.emit(cronJobSchema.parse(job.data), this.scheduler, this.signer);
  }
}
