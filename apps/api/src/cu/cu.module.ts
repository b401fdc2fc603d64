import { Module } from '@nestjs/common';
import type { SchedulerStore } from '@ao/core';
import {
  ENV,
  EvaluationEvents,
  EvaluationPool,
  GATEWAY,
  PRISMA,
  PrismaCheckpointStore,
  WALLETS,
  createComputeUnit,
  type ArweaveGateway,
  type Env,
  type PlatformWallets,
  type PrismaClient,
  type ReadOnlyComputeUnit,
} from '@ao/infra';
import { SuModule } from '../su/su.module.js';
import { SCHEDULER_STORE } from '../su/su.tokens.js';
import { CuController } from './cu.controller.js';
import { CuService } from './cu.service.js';
import { VerifyController } from './verify.controller.js';
import { VerifyService } from './verify.service.js';
import { API_COMPUTE_UNIT, CHECKPOINT_STORE, EVALUATION_EVENTS } from './cu.tokens.js';

/** The CU's HTTP surface; evaluation itself runs in the worker's `evaluate` stage. */
@Module({
  imports: [SuModule],
  controllers: [CuController, VerifyController],
  providers: [
    {
      provide: API_COMPUTE_UNIT,
      inject: [ENV, PRISMA, SCHEDULER_STORE, GATEWAY, WALLETS],
      useFactory: (env: Env, prisma: PrismaClient, log: SchedulerStore, gateway: ArweaveGateway, wallets: PlatformWallets): ReadOnlyComputeUnit => {
        // Read-only: it resumes from the worker's checkpoints but never writes one. On threads, a
        // dry-run stuck in one C call is cut by the wall-clock backstop instead of hanging the API.
        const cuEnv = { ...env, CU_MAX_LIVE: Math.min(env.CU_MAX_LIVE, 16) };
        return env.API_CU_THREADS > 0
          ? new EvaluationPool(cuEnv, env.API_CU_THREADS, env.CU_WALL_TIMEOUT_MS, { saveCheckpoints: false, name: 'read-only-cu' })
          : createComputeUnit(cuEnv, prisma, log, gateway, wallets, { saveCheckpoints: false });
      },
    },
    { provide: CHECKPOINT_STORE, inject: [ENV, PRISMA], useFactory: (env: Env, prisma: PrismaClient) => new PrismaCheckpointStore(prisma, env.CU_CHECKPOINT_KEEP) },
    { provide: EVALUATION_EVENTS, inject: [ENV], useFactory: (env: Env) => new EvaluationEvents(env.REDIS_URL, env.REDIS_PREFIX) },
    CuService,
    VerifyService,
  ],
  exports: [CuService, EVALUATION_EVENTS],
})
export class CuModule {}
