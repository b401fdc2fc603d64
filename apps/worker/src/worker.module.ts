import { Module, type DynamicModule } from '@nestjs/common';
import { InfraModule, type Env } from '@ao/infra';
import { WorkerHeartbeat } from './heartbeat.service.js';
import { ProcessorRegistry, STAGE_PROCESSORS, type StageProcessor } from './processor-registry.js';

/** The worker's composition root: shared adapters, the stage processors, the registry that runs them. */
@Module({})
export class WorkerModule {
  static forRoot(env: Env): DynamicModule {
    const processors: never[] = [];
    return {
      module: WorkerModule,
      imports: [InfraModule.forRoot(env, 'worker')],
      providers: [
        ...processors,
        { provide: STAGE_PROCESSORS, inject: [...processors], useFactory: (...list: StageProcessor[]) => list },
        ProcessorRegistry,
        WorkerHeartbeat,
      ],
    };
  }
}
