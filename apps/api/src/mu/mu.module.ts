import { Module } from '@nestjs/common';
import type { SchedulerStore } from '@ao/core';
import { CronRegistry, ENV, GATEWAY, PRISMA, type ArweaveGateway, type Env, type PrismaClient } from '@ao/infra';
import { AdminCronController } from './admin-cron.controller.js';
import { SuModule } from '../su/su.module.js';
import { SCHEDULER_STORE } from '../su/su.tokens.js';
import { MuController } from './mu.controller.js';
import { MuService } from './mu.service.js';

/** The MU ingress and cron control; the crank itself runs in the worker's `push` stage. */
@Module({
  imports: [SuModule],
  controllers: [MuController, AdminCronController],
  providers: [
    MuService,
    {
      provide: CronRegistry,
      inject: [PRISMA, SCHEDULER_STORE, GATEWAY, ENV],
      useFactory: (prisma: PrismaClient, log: SchedulerStore, gateway: ArweaveGateway, env: Env) =>
        new CronRegistry(prisma, log, gateway, env.CRON_MIN_INTERVAL_MS, env.CRON_MISSED_POLICY),
    },
  ],
  exports: [MuService, CronRegistry],
})
export class MuModule {}
