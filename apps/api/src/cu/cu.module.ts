import { Module } from '@nestjs/common';
import type { SchedulerStore } from '@ao/core';
import { ENV, GATEWAY, PRISMA, PrismaCheckpointStore, WALLETS, createComputeUnit, type ArweaveGateway, type Env, type PlatformWallets, type PrismaClient } from '@ao/infra';
import { SuModule } from '../su/su.module.js';
import { SCHEDULER_STORE } from '../su/su.tokens.js';
import { CuController } from './cu.controller.js';
import { CuService } from './cu.service.js';
import { API_COMPUTE_UNIT, CHECKPOINT_STORE } from './cu.tokens.js';

/** The CU's HTTP surface; evaluation itself runs in the worker's `evaluate` stage. */
@Module({
  imports: [SuModule],
  controllers: [CuController],
  providers: [
    {
      provide: API_COMPUTE_UNIT,
      inject: [ENV, PRISMA, SCHEDULER_STORE, GATEWAY, WALLETS],
      useFactory: (env: Env, prisma: PrismaClient, log: SchedulerStore, gateway: ArweaveGateway, wallets: PlatformWallets) =>
        // Read-only: it resumes from the worker's checkpoints but never writes one.
        createComputeUnit({ ...env, CU_MAX_LIVE: Math.min(env.CU_MAX_LIVE, 16) }, prisma, log, gateway, wallets, { saveCheckpoints: false }),
    },
    { provide: CHECKPOINT_STORE, inject: [ENV, PRISMA], useFactory: (env: Env, prisma: PrismaClient) => new PrismaCheckpointStore(prisma, env.CU_CHECKPOINT_KEEP) },
    CuService,
  ],
})
export class CuModule {}
