import { Module, type DynamicModule } from '@nestjs/common';
import { InfraModule, type Env } from '@ao/infra';
import { HealthModule } from './health/health.module.js';
import { InfoModule } from './info/info.module.js';
import { SuModule } from './su/su.module.js';
import { CuModule } from './cu/cu.module.js';
import { MuModule } from './mu/mu.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AgentsModule } from './agents/agents.module.js';
import { FeedModule } from './feed/feed.module.js';
import { StrategiesModule } from './strategies/strategies.module.js';
import { VenuesModule } from './venues/venues.module.js';
import { MediaModule } from './media/media.module.js';

/** The API's composition root: the shared adapters, then one module per surface. */
@Module({})
export class AppModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: AppModule,
      imports: [InfraModule.forRoot(env, 'producer'), AuthModule, HealthModule, InfoModule, MetricsModule, SuModule, CuModule, MuModule, FeedModule, AgentsModule, StrategiesModule, VenuesModule, MediaModule],
    };
  }
}
