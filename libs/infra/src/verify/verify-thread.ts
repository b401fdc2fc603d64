import { parentPort, workerData } from 'node:worker_threads';
import { isAoError, verifyProcess, type ResultSource, type ServedResult } from '@ao/core';
import { ArweaveGateway, GatewayError } from '../arweave/gateway.js';
import { createEvaluators, gatewayHost, readLimits } from '../cu/compute-unit.factory.js';
import { gatewayUrl } from '../env/env.js';
import { BoundedLogReader, VerifyLimitError } from './bounded-log-reader.js';
import { GatewayLogReader } from './gateway-log-reader.js';
import { VERIFY_HEARTBEAT_MS, type VerifyThreadData, type VerifyThreadMessage, type VerifyThreadReply } from './verify-runner.js';

/**
 * One verification (GET /cu/verify) on a thread of its own: reads the log from the gateway and
 * replays it with a fresh evaluator, so the API's event loop never runs the replay. Results to
 * compare with come from the API's thread by message (it holds the CU's read side).
 */
const { env, job } = workerData as VerifyThreadData;
const port = parentPort!;
let nextCall = 0;
const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

port.on('message', (reply: VerifyThreadReply) => {
  const call = pending.get(reply.call);
  if (!call) return;
  pending.delete(reply.call);
  if (reply.ok) call.resolve(reply.value);
  else call.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
});

function ask(method: 'results' | 'state', args: unknown[]): Promise<unknown> {
  const call = (nextCall += 1);
  return new Promise((resolve, reject) => {
    pending.set(call, { resolve, reject });
    port.postMessage({ type: 'rpc', call, method, args } satisfies VerifyThreadMessage);
  });
}

const compareWith: ResultSource = {
  results: (processId, afterNonce, limit) => ask('results', [processId, afterNonce, limit]) as Promise<ServedResult[]>,
  state: (processId) => ask('state', [processId]) as Promise<{ nonce: number; stateHash: string }>,
};

const heartbeat = setInterval(() => port.postMessage({ type: 'alive' } satisfies VerifyThreadMessage), VERIFY_HEARTBEAT_MS);
const gateway = new ArweaveGateway(gatewayUrl(env));
try {
  const report = await verifyProcess(job.processId, {
    reader: new BoundedLogReader(new GatewayLogReader(gateway), { maxMessages: env.VERIFY_MAX_MESSAGES, timeoutMs: env.VERIFY_TIMEOUT_MS }),
    evaluators: createEvaluators(gatewayHost(gateway, readLimits(env))),
    limits: {
      defaults: { gas: env.CU_GAS_DEFAULT, memoryBytes: env.CU_MEMORY_DEFAULT },
      maxima: { gas: env.CU_GAS_MAX, memoryBytes: env.CU_MEMORY_MAX },
    },
    ...(job.compare ? { compareWith } : {}),
    ...(job.fromCheckpoint !== undefined ? { fromCheckpoint: job.fromCheckpoint } : {}),
  });
  port.postMessage({ type: 'done', report } satisfies VerifyThreadMessage);
} catch (error) {
  const e = error as Error;
  port.postMessage({
    type: 'failed',
    error: {
      message: e?.message ?? String(error),
      kind: error instanceof VerifyLimitError ? 'limit' : error instanceof GatewayError ? 'gateway' : isAoError(error) ? 'ao' : 'other',
      ...(error instanceof VerifyLimitError ? { limit: error.limit, details: error.details } : {}),
      ...(isAoError(error) ? { code: error.code, details: error.details } : {}),
    },
  } satisfies VerifyThreadMessage);
} finally {
  clearInterval(heartbeat);
  port.close();
}
