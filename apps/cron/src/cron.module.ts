import { Module, type DynamicModule } from '@nestjs/common';
import { InfraModule, type Env } from '@ao/infra';
import { CronClock } from './cron-heartbeat.service.js';

/** The cron service's composition root. */
@Module({})
export class CronModule {
  static forRoot(env: Env): DynamicModule {
    return { module: CronModule, imports: [InfraModule.forRoot(env, 'producer')], providers: [CronClock] };
  }
}
