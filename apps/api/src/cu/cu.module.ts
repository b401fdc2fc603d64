import { Module } from '@nestjs/common';
import type { SchedulerStore } from '@ao/core';
import { ENV, GATEWAY, PRISMA, WALLETS, createComputeUnit, type ArweaveGateway, type Env, type PlatformWallets, type PrismaClient } from '@ao/infra';
import { SuModule } from '../su/su.module.js';
import { SCHEDULER_STORE } from '../su/su.tokens.js';
import { CuController } from './cu.controller.js';
import { CuService } from './cu.service.js';
import { API_COMPUTE_UNIT } from './cu.tokens.js';

/** The CU's HTTP surface; evaluation itself runs in the worker's `evaluate` stage. */
@Module({
  imports: [SuModule],
  controllers: [CuController],
  providers: [
    {
      provide: API_COMPUTE_UNIT,
      inject: [ENV, PRISMA, SCHEDULER_STORE, GATEWAY, WALLETS],
      useFactory: (env: Env, prisma: PrismaClient, log: SchedulerStore, gateway: ArweaveGateway, wallets: PlatformWallets) =>
        createComputeUnit({ ...env, CU_MAX_LIVE: Math.min(env.CU_MAX_LIVE, 16) }, prisma, log, gateway, wallets),
    },
    CuService,
  ],
})
export class CuModule {}
