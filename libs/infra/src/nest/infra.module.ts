import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { ArweaveGateway } from '../arweave/gateway.js';
import type pg from 'pg';
import { createPrismaClient, type PrismaClient } from '../database/prisma.js';
import { createSqlPool } from '../database/sql-pool.js';
import { gatewayUrl } from '../env/env.js';
import type { Env } from '../env/env.schema.js';
import { Heartbeats } from '../redis/heartbeats.js';
import { createRedis } from '../redis/redis.js';
import { loadWallets, type PlatformWallets } from '../wallets/wallets.js';
import { PipelineQueues } from '../queues/pipeline-queues.js';
import { EvaluationOwners } from '../queues/evaluation-owners.js';
import { ENV, GATEWAY, HEARTBEATS, PIPELINE, PRISMA, REDIS, SQL_POOL, WALLETS } from './tokens.js';

class InfraLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(PIPELINE) private readonly pipeline: PipelineQueues,
    @Inject(SQL_POOL) private readonly pool: pg.Pool,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pipeline.close().catch(() => undefined);
    await this.prisma.$disconnect().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
    this.redis.disconnect();
  }
}

/**
 * The shared adapters (env, Prisma, a pg pool for the hot statements, Redis, gateway, wallets,
 * heartbeats), built once per process from the parsed env. Each app's composition root imports `InfraModule.forRoot(env, role)`.
 */
@Global()
@Module({})
export class InfraModule {
  static forRoot(env: Env, role: 'worker' | 'producer'): DynamicModule {
    return {
      module: InfraModule,
      providers: [
        { provide: ENV, useValue: env },
        { provide: PRISMA, useFactory: () => createPrismaClient(env.DATABASE_URL) },
        // The statements run per message (appends, log reads, result reads, cranks) skip the ORM.
        { provide: SQL_POOL, useFactory: () => createSqlPool(env.DATABASE_URL) },
        { provide: REDIS, useFactory: () => createRedis(env.REDIS_URL, role) },
        { provide: WALLETS, useFactory: () => loadWallets(env) },
        {
          provide: GATEWAY,
          inject: [WALLETS],
          useFactory: (wallets: PlatformWallets) =>
            new ArweaveGateway(gatewayUrl(env), wallets.upload.jwk as unknown as JWKInterface),
        },
        {
          provide: HEARTBEATS,
          inject: [REDIS],
          useFactory: (redis: Redis) => new Heartbeats(redis, env.REDIS_PREFIX, env.HEARTBEAT_TIMEOUT_S * 1000),
        },
        // Kicks go to each process's owner when two or more workers evaluate (process affinity).
        { provide: PIPELINE, inject: [HEARTBEATS], useFactory: (heartbeats: Heartbeats) => new PipelineQueues(env, new EvaluationOwners(heartbeats)) },
        InfraLifecycle,
      ],
      exports: [ENV, PRISMA, SQL_POOL, REDIS, GATEWAY, WALLETS, HEARTBEATS, PIPELINE],
    };
  }
}
