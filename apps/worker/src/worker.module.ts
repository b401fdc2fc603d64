import { randomUUID } from 'node:crypto';
import { Module, type DynamicModule } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { Messenger, Scheduler, coalescedKicks } from '@ao/core';
import {
  GATEWAY,
  EvaluationPool,
  InfraModule,
  PIPELINE,
  PRISMA,
  PrismaPushStore,
  PrismaSchedulerStore,
  ProcessLocks,
  REDIS,
  SQL_POOL,
  WALLETS,
  createComputeUnit,
  createItemSigner,
  sqlOn,
  type ArweaveGateway,
  type Env,
  type Evaluator,
  type PipelineQueues,
  type PlatformWallets,
  type PrismaClient,
} from '@ao/infra';
import { WorkerHeartbeat } from './heartbeat.service.js';
import { EvaluateProcessor } from './processors/evaluate.processor.js';
import { SweepService } from './processors/sweep.service.js';
import { CheckpointPublishService } from './processors/checkpoint-publish.service.js';
import { CronProcessor } from './processors/cron.processor.js';
import { PushProcessor } from './processors/push.processor.js';
import { UploadProcessor } from './processors/upload.processor.js';
import { ProcessorRegistry, STAGE_PROCESSORS, type StageProcessor } from './processor-registry.js';
import { COMPUTE_UNIT, MESSENGER, PROCESS_LOCKS, SCHEDULER, SCHEDULER_STORE, WORKER_INSTANCE } from './worker.tokens.js';

/** The worker's composition root: shared adapters, the units' use cases, the stage processors. */
@Module({})
export class WorkerModule {
  static forRoot(env: Env): DynamicModule {
    const processors = [UploadProcessor, EvaluateProcessor, PushProcessor, CronProcessor];
    return {
      module: WorkerModule,
      imports: [InfraModule.forRoot(env, 'worker')],
      providers: [
        { provide: WORKER_INSTANCE, useValue: `${process.pid}-${randomUUID().slice(0, 8)}` },
        // Appends and hot reads run on the shared pg pool.
        { provide: SCHEDULER_STORE, inject: [PRISMA, SQL_POOL], useFactory: (prisma: PrismaClient, pool: pg.Pool) => new PrismaSchedulerStore(prisma, { pool }) },
        {
          provide: SCHEDULER,
          inject: [SCHEDULER_STORE, WALLETS, GATEWAY, PIPELINE],
          useFactory: (store: PrismaSchedulerStore, wallets: PlatformWallets, gateway: ArweaveGateway, pipeline: PipelineQueues) =>
            new Scheduler({
              store,
              signer: createItemSigner(wallets.signing),
              clock: { now: () => Date.now() },
              heights: gateway,
              limits: { maxBytes: env.MAX_ITEM_BYTES },
              // As in the API: one kick in flight; the upload worker also drains on a timer.
              uploads: coalescedKicks(() => pipeline.kickUpload()),
            }),
        },
        {
          provide: COMPUTE_UNIT,
          inject: [PRISMA, GATEWAY, WALLETS],
          useFactory: (prisma: PrismaClient, gateway: ArweaveGateway, wallets: PlatformWallets): Evaluator =>
            env.CU_THREADS > 0
              ? new EvaluationPool(env, env.CU_THREADS, env.CU_WALL_TIMEOUT_MS)
              : createComputeUnit(env, prisma, new PrismaSchedulerStore(prisma), gateway, wallets),
        },
        {
          provide: MESSENGER,
          inject: [SQL_POOL, SCHEDULER_STORE, SCHEDULER, WALLETS, PIPELINE],
          useFactory: (pool: pg.Pool, log: PrismaSchedulerStore, scheduler: Scheduler, wallets: PlatformWallets, pipeline: PipelineQueues) =>
            new Messenger({
              store: new PrismaPushStore(sqlOn(pool)),
              log,
              scheduler,
              signer: createItemSigner(wallets.signing),
              maxDepth: env.MAX_CRANK_DEPTH,
              kickEvaluate: (processId) => pipeline.kickEvaluate(processId),
            }),
        },
        { provide: PROCESS_LOCKS, inject: [REDIS], useFactory: (redis: Redis) => new ProcessLocks(redis, env.REDIS_PREFIX) },
        ...processors,
        { provide: STAGE_PROCESSORS, inject: [...processors], useFactory: (...list: StageProcessor[]) => list },
        ProcessorRegistry,
        SweepService,
        CheckpointPublishService,
        WorkerHeartbeat,
      ],
    };
  }
}
