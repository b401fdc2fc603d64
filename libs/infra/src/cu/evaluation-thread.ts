import { parentPort, workerData } from 'node:worker_threads';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { isAoError } from '@ao/core';
import { ArweaveGateway } from '../arweave/gateway.js';
import { createPrismaClient } from '../database/prisma.js';
import { createSqlPool, sqlOn } from '../database/sql-pool.js';
import { gatewayUrl } from '../env/env.js';
import { PrismaSchedulerStore } from '../su/prisma-scheduler.store.js';
import { loadWallets } from '../wallets/wallets.js';
import { currentThreadId, pipelineCounters } from '../metrics/pipeline-counters.js';
import { sharedBusyMark } from './busy-marker.js';
import { createComputeUnit } from './compute-unit.factory.js';
import { COUNTERS_EVERY, HEARTBEAT_MS, asThreadError, type ThreadCall, type ThreadOutcome, type ThreadData, type ThreadReply, type ThreadRequest, type ThreadSignal } from './evaluation-pool.js';

/**
 * One evaluation thread of the EvaluationPool: a Compute Unit of its own (own Postgres connection,
 * own live processes) that serves the calls the pool routes to it (evaluations, dry-runs, state
 * hashes). The pool may terminate this thread at any moment (wall-clock backstop); everything it
 * commits is per batch and atomic. A read-only thread (the API's) never saves a checkpoint.
 */
const { env, saveCheckpoints, busy } = workerData as ThreadData & { busy: SharedArrayBuffer };
// Prisma for the rare statements (checkpoints, module items); the per-message ones (log reads,
// head, commits) go straight to the pg driver. Small pools: every thread of every process has its own.
const prisma = createPrismaClient(env.DATABASE_URL, 4);
const pool = createSqlPool(env.DATABASE_URL, 4);
const wallets = await loadWallets(env);
const gateway = new ArweaveGateway(gatewayUrl(env), wallets.upload.jwk as unknown as JWKInterface);
const cu = createComputeUnit(env, prisma, new PrismaSchedulerStore(prisma, { pool }), gateway, wallets, { saveCheckpoints, sql: sqlOn(pool), mark: sharedBusyMark(new Int32Array(busy)) });

function run(call: ThreadCall): Promise<unknown> {
  switch (call.type) {
    case 'evaluate':
      return cu.evaluate(call.processId, call.committedHead);
    case 'evaluate-many':
      return cu.evaluateMany(call.processIds).then((outcomes) =>
        outcomes.map((o): ThreadOutcome => (o.ok ? o : { processId: o.processId, ok: false, error: asThreadError(o.error) })),
      );
    case 'dry-run':
      return cu.dryRun(call.processId, call.message);
    case 'state-hash':
      return cu.stateHash(call.processId);
    case 'stop':
      return cu.stop(call.processId, call.reason);
  }
}

let beats = 0;
const heartbeat = setInterval(() => {
  beats += 1;
  parentPort!.postMessage((beats % COUNTERS_EVERY === 0 ? { alive: true, counters: pipelineCounters.snapshot().counters } : { alive: true }) satisfies ThreadSignal);
}, HEARTBEAT_MS);

parentPort!.on('message', (request: ThreadRequest) => {
  if (request.type === 'close') {
    clearInterval(heartbeat);
    cu.close();
    // Checkpoints still being saved finish first (each is one insert); then the connection goes.
    void cu
      .flush()
      .then(() => Promise.all([prisma.$disconnect(), pool.end()]))
      .finally(() => parentPort!.close());
    return;
  }
  run(request).then(
    (value) => parentPort!.postMessage({ id: request.id, ok: true, value } satisfies ThreadReply),
    (error: unknown) =>
      parentPort!.postMessage({
        id: request.id,
        ok: false,
        error: isAoError(error) ? asThreadError(error) : { message: (error as Error)?.message ?? String(error) },
      } satisfies ThreadReply),
  );
});
parentPort!.postMessage({ ready: true, tid: currentThreadId() } satisfies ThreadSignal);
