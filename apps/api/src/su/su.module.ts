import { Module } from '@nestjs/common';
import type pg from 'pg';
import { Scheduler, coalescedKicks, type ItemVerifier } from '@ao/core';
import {
  ENV,
  GATEWAY,
  PIPELINE,
  PRISMA,
  PrismaSchedulerStore,
  SQL_POOL,
  WALLETS,
  createItemSigner,
  createItemVerifier,
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
import { ITEM_VERIFIER, SCHEDULER_STORE } from './su.tokens.js';

/** The Scheduler Unit inside the API process: HTTP at /su, scheduling straight into Postgres. */
@Module({
  controllers: [SuController],
  providers: [
    // Appends run on a pg pool of the store's own (closed at shutdown by Nest).
    { provide: SCHEDULER_STORE, inject: [PRISMA, SQL_POOL], useFactory: (prisma: PrismaClient, pool: pg.Pool) => new PrismaSchedulerStore(prisma, { pool }) },
    // Parse + signature check of posted items on worker threads (closed by Nest at shutdown).
    { provide: ITEM_VERIFIER, inject: [ENV], useFactory: (env: Env) => createItemVerifier(env.ITEM_VERIFY_THREADS) },
    {
      provide: Scheduler,
      inject: [SCHEDULER_STORE, WALLETS, GATEWAY, PIPELINE, ENV, ITEM_VERIFIER],
      useFactory: (store: PrismaSchedulerStore, wallets: PlatformWallets, gateway: ArweaveGateway, pipeline: PipelineQueues, env: Env, verifier: ItemVerifier) =>
        new Scheduler({
          store,
          verifier,
          signer: createItemSigner(wallets.signing),
          clock: { now: () => Date.now() },
          heights: gateway,
          items: { fetchItem: (id) => gateway.data(id) },
          limits: { maxBytes: env.MAX_ITEM_BYTES },
          // The worker also drains on a timer, so a lost kick only delays an upload.
          uploads: coalescedKicks(() => pipeline.kickUpload()),
        }),
    },
    PlatformItems,
    SchedulerLocationPublisher,
    ModulePublisher,
  ],
  exports: [Scheduler, SCHEDULER_STORE],
})
export class SuModule {}
