import { Module } from '@nestjs/common';
import { Scheduler } from '@ao/core';
import {
  ENV,
  GATEWAY,
  PIPELINE,
  PRISMA,
  PrismaSchedulerStore,
  WALLETS,
  createItemSigner,
  type ArweaveGateway,
  type Env,
  type PipelineQueues,
  type PlatformWallets,
  type PrismaClient,
} from '@ao/infra';
import { ModulePublisher } from './module.publisher.js';
import { PlatformItems } from './platform-items.js';
import { SchedulerLocationPublisher } from './scheduler-location.publisher.js';
import { SuController } from './su.controller.js';
import { SCHEDULER_STORE } from './su.tokens.js';

/** The Scheduler Unit inside the API process: HTTP at /su, scheduling straight into Postgres. */
@Module({
  controllers: [SuController],
  providers: [
    // Appends run on a pg pool of the store's own (closed at shutdown by Nest).
    { provide: SCHEDULER_STORE, inject: [PRISMA, ENV], useFactory: (prisma: PrismaClient, env: Env) => new PrismaSchedulerStore(prisma, { databaseUrl: env.DATABASE_URL }) },
    {
      provide: Scheduler,
      inject: [SCHEDULER_STORE, WALLETS, GATEWAY, PIPELINE, ENV],
      useFactory: (store: PrismaSchedulerStore, wallets: PlatformWallets, gateway: ArweaveGateway, pipeline: PipelineQueues, env: Env) =>
        new Scheduler({
          store,
          signer: createItemSigner(wallets.signing),
          clock: { now: () => Date.now() },
          heights: gateway,
          items: { fetchItem: (id) => gateway.data(id) },
          limits: { maxBytes: env.MAX_ITEM_BYTES },
          // The worker also drains on a timer, so a lost kick only delays an upload.
          uploads: { uploadsPending: () => void pipeline.kickUpload().catch(() => undefined) },
        }),
    },
    PlatformItems,
    SchedulerLocationPublisher,
    ModulePublisher,
  ],
  exports: [Scheduler, SCHEDULER_STORE],
})
export class SuModule {}
