import { ComputeUnit, EvaluatorRegistry, LuaEvaluatorFactory, WasmEvaluatorFactory, type CheckpointEvents, type HostExtensions, type SchedulerStore } from '@ao/core';
import type { ArweaveGateway } from '../arweave/gateway.js';
import type { PrismaClient } from '../database/prisma.js';
import type { Sql } from '../database/sql-pool.js';
import type { Env } from '../env/env.schema.js';
import type { PlatformWallets } from '../wallets/wallets.js';
import { GatewayLogReader } from '../verify/gateway-log-reader.js';
import { VerifiedModuleLoader } from '../verify/verified-modules.js';
import { CachedItemSource, GatewayItemSource } from './gateway-item-source.js';
import { gzipCheckpointCodec } from './gzip-checkpoint.codec.js';
import { StoreModuleLoader } from './module-loader.js';
import { markingFactory, type BusyMark } from './busy-marker.js';
import { PrismaCheckpointStore } from './prisma-checkpoint.store.js';
import { PrismaComputeStore } from './prisma-compute.store.js';

/**
 * The module formats this build evaluates; `host`: what Lua processes may read and call (ao.read,
 * ao.wasm); `mark`: told which process runs synchronously (an evaluation thread's backstop).
 */
export function createEvaluators(host?: HostExtensions, mark?: BusyMark): EvaluatorRegistry {
  const lua = new LuaEvaluatorFactory(host ? { host } : {});
  const wasm = new WasmEvaluatorFactory();
  return new EvaluatorRegistry().register(mark ? markingFactory(lua, mark) : lua).register(mark ? markingFactory(wasm, mark) : wasm);
}

/** Read limits as configured (a verifier must use the CU's to reproduce its results). */
export function readLimits(env: Pick<Env, 'CU_READ_LIMIT_DEFAULT' | 'CU_READ_LIMIT_MAX'>): NonNullable<HostExtensions['readLimit']> {
  return { defaultBytes: env.CU_READ_LIMIT_DEFAULT, maxBytes: env.CU_READ_LIMIT_MAX };
}

/**
 * Host extensions for a verifier: items and libraries straight from the gateway, every byte
 * checked against its id (nothing from this platform's database).
 */
export function gatewayHost(gateway: ArweaveGateway, limits: NonNullable<HostExtensions['readLimit']>): HostExtensions {
  return { items: new GatewayItemSource(gateway), modules: new VerifiedModuleLoader(new GatewayLogReader(gateway)), readLimit: limits };
}

/** Checkpoint events as log lines (counts of rejected checkpoints are in /metrics: `ao_cu_checkpoints{state="rejected"}`). */
function checkpointLog(env: Env): CheckpointEvents {
  // Plain stderr lines: this runs in evaluation threads, which do not load Nest. Per-checkpoint lines only at debug.
  const line = (level: string, text: string) => process.stderr.write(`${new Date().toISOString()} ${level} [cu-checkpoints] ${text}\n`);
  const logger = { debug: (text: string) => line('DEBUG', text), warn: (text: string) => line('WARN', text) };
  const debug = env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'verbose';
  const quiet = env.LOG_LEVEL === 'error';
  return {
    saved: (c) =>
      debug && logger.debug(`${c.processId} @${c.nonce}: ${c.rawSize} B → ${c.size} B ${c.contentEncoding}, capture ${c.captureMs.toFixed(1)} ms, save ${c.saveMs.toFixed(1)} ms`),
    saveFailed: (f) => !quiet && logger.warn(`${f.processId} @${f.nonce}: checkpoint not saved: ${f.error.message}`),
    rejected: (r) => !quiet && logger.warn(`${r.processId} @${r.nonce}: checkpoint rejected, falling back to an older one or genesis: ${r.reason}`),
  };
}

/**
 * A Compute Unit on Postgres with the configured limits and checkpoints (used by the worker and,
 * read-only, by the API: `saveCheckpoints: false` restores from checkpoints but never writes one).
 * `sql`: where the per-message statements (head, commit) run; Prisma when absent.
 */
export function createComputeUnit(
  env: Env,
  prisma: PrismaClient,
  log: SchedulerStore,
  gateway: ArweaveGateway,
  wallets: PlatformWallets,
  options: { saveCheckpoints?: boolean; sql?: Sql; mark?: BusyMark } = {},
): ComputeUnit {
  const modules = new StoreModuleLoader(log, gateway);
  const host: HostExtensions = { items: new CachedItemSource(new GatewayItemSource(gateway), prisma), modules, readLimit: readLimits(env) };
  return new ComputeUnit(
    new PrismaComputeStore(options.sql ?? prisma, log),
    modules,
    createEvaluators(host, options.mark),
    {
      maxLive: env.CU_MAX_LIVE,
      batchSize: 500,
      defaults: { gas: env.CU_GAS_DEFAULT, memoryBytes: env.CU_MEMORY_DEFAULT },
      maxima: { gas: env.CU_GAS_MAX, memoryBytes: env.CU_MEMORY_MAX },
      platformAddresses: [wallets.signing.address],
      checkpointInterval: env.CU_CHECKPOINT_INTERVAL,
      stateHashIntervalMs: env.CU_STATE_HASH_INTERVAL_MS,
      moduleWaitMs: env.CU_MODULE_WAIT_MS,
      saveCheckpoints: options.saveCheckpoints ?? true,
    },
    { store: new PrismaCheckpointStore(prisma, env.CU_CHECKPOINT_KEEP), codec: gzipCheckpointCodec, events: checkpointLog(env) },
  );
}
