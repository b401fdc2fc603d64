import { ComputeUnit, EvaluatorRegistry, LuaEvaluatorFactory, WasmEvaluatorFactory, type SchedulerStore } from '@ao/core';
import type { ArweaveGateway } from '../arweave/gateway.js';
import type { PrismaClient } from '../database/prisma.js';
import type { Env } from '../env/env.schema.js';
import type { PlatformWallets } from '../wallets/wallets.js';
import { StoreModuleLoader } from './module-loader.js';
import { PrismaComputeStore } from './prisma-compute.store.js';

/** The module formats this build evaluates. */
export function createEvaluators(): EvaluatorRegistry {
  return new EvaluatorRegistry().register(new LuaEvaluatorFactory()).register(new WasmEvaluatorFactory());
}

/** A Compute Unit on Postgres with the configured limits (used by the worker and, read-only, by the API). */
export function createComputeUnit(env: Env, prisma: PrismaClient, log: SchedulerStore, gateway: ArweaveGateway, wallets: PlatformWallets): ComputeUnit {
  return new ComputeUnit(new PrismaComputeStore(prisma, log), new StoreModuleLoader(log, gateway), createEvaluators(), {
    maxLive: env.CU_MAX_LIVE,
    batchSize: 500,
    defaults: { gas: env.CU_GAS_DEFAULT, memoryBytes: env.CU_MEMORY_DEFAULT },
    maxima: { gas: env.CU_GAS_MAX, memoryBytes: env.CU_MEMORY_MAX },
    platformAddresses: [wallets.signing.address],
  });
}
