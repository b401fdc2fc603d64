import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AoError, type AoErrorCode, type CheckpointRequest, type ResultSource, type VerifyReport } from '@ao/core';
import type { Env } from '../env/env.schema.js';
import { GatewayError } from '../arweave/gateway.js';
import { VerifyLimitError } from './bounded-log-reader.js';

/** How often a verification thread says it is alive; one stuck in a single call cannot. */
export const VERIFY_HEARTBEAT_MS = 200;

/** One verification to run. */
export interface VerifyJob {
  processId: string;
  compare: boolean;
  fromCheckpoint?: CheckpointRequest;
}

export interface VerifyThreadData {
  env: Env;
  job: VerifyJob;
}

/** Thread → API: heartbeats, calls to the result source, and the outcome. */
export type VerifyThreadMessage =
  | { type: 'alive' }
  | { type: 'rpc'; call: number; method: 'results' | 'state'; args: unknown[] }
  | { type: 'done'; report: VerifyReport }
  | {
      type: 'failed';
      error: { message: string; kind: 'limit' | 'gateway' | 'ao' | 'other'; limit?: 'messages' | 'time'; code?: AoErrorCode; details?: Record<string, unknown> };
    };

/** API → thread: the answer to a result-source call. */
export type VerifyThreadReply = { call: number; ok: true; value: unknown } | { call: number; ok: false; error: { message: string; code?: string } };

export interface VerifyRunnerOptions {
  /** Verifications running at once, over all clients; beyond: 503 with Retry-After. */
  maxConcurrent: number;
  /** Verifications running at once for one client; beyond: 429 with Retry-After. */
  maxPerClient: number;
  /** The wall-clock backstop: a thread silent this long is stuck in one call and is terminated. */
  backstopMs: number;
}

/** The thread script: the built file next to this one (tests run this module from source). */
function threadScript(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? here.replace(/\/src\/verify\/verify-runner\.ts$/, '/dist/verify/verify-thread.js') : here.replace(/verify-runner\.js$/, 'verify-thread.js');
}

/**
 * Runs verifications (a full replay of a process from the gateway) each on a thread of its own, so
 * the API's event loop keeps serving while one runs; bounded in number overall and per client, and
 * cut by the same wall-clock backstop as the API's dry-runs (a thread silent for `backstopMs` is
 * stuck in one C call: it is terminated and the caller gets 503 EVALUATION_TIMEOUT).
 */
export class VerifyRunner {
  private active = 0;
  private readonly perClient = new Map<string, number>();
  private readonly workers = new Set<Worker>();

  constructor(
    private readonly env: Env,
    private readonly options: VerifyRunnerOptions,
  ) {}

  /** Verifications running now. */
  get running(): number {
    return this.active;
  }

  /** Runs one verification for `client` (e.g. its IP address), or refuses at once when over a bound. */
  async run(job: VerifyJob, client: string, compareWith?: ResultSource): Promise<VerifyReport> {
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.options.maxPerClient) {
      throw new AoError('RATE_LIMITED', `At most ${this.options.maxPerClient} verification(s) at once per client; retry when yours is done`, { limit: this.options.maxPerClient }, 'transient');
    }
    if (this.active >= this.options.maxConcurrent) {
      throw new AoError('BACKPRESSURE', `${this.active} verifications are running, the most at once here; retry shortly`, { limit: this.options.maxConcurrent }, 'transient');
    }
    this.active += 1;
    this.perClient.set(client, mine + 1);
    try {
      return await this.onThread(job, compareWith);
    } finally {
      this.active -= 1;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
    }
  }

  /** Stops every running verification (at shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }

  private onThread(job: VerifyJob, compareWith?: ResultSource): Promise<VerifyReport> {
    return new Promise<VerifyReport>((resolve, reject) => {
      const worker = new Worker(threadScript(), { workerData: { env: this.env, job } satisfies VerifyThreadData });
      this.workers.add(worker);
      let seen = Date.now();
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        this.workers.delete(worker);
        fn();
        void worker.terminate();
      };
      const watchdog = setInterval(
        () => {
          if (Date.now() - seen <= this.options.backstopMs) return;
          finish(() =>
            reject(
              new AoError(
                'EVALUATION_TIMEOUT',
                `verification of ${job.processId} stuck for over ${this.options.backstopMs} ms in one call (wall-clock backstop); it was stopped`,
                { processId: job.processId, call: 'verify' },
                'transient',
              ),
            ),
          );
        },
        Math.min(1_000, Math.max(50, this.options.backstopMs / 4)),
      );
      worker.on('message', (message: VerifyThreadMessage) => {
        seen = Date.now();
        if (message.type === 'rpc') return void this.answer(worker, message, compareWith);
        if (message.type === 'done') finish(() => resolve(message.report));
        if (message.type === 'failed') finish(() => reject(toError(message.error)));
      });
      worker.on('error', (error) => finish(() => reject(new AoError('INTERNAL', `verification thread failed: ${error.message}`, { processId: job.processId }, 'transient'))));
      worker.on('exit', () => finish(() => reject(new AoError('INTERNAL', 'verification thread exited without an answer', { processId: job.processId }, 'transient'))));
    });
  }

  private async answer(worker: Worker, message: Extract<VerifyThreadMessage, { type: 'rpc' }>, source?: ResultSource): Promise<void> {
    let reply: VerifyThreadReply;
    try {
      if (!source) throw new Error('no result source to compare with');
      const value = message.method === 'results' ? await source.results(...(message.args as [string, number | undefined, number])) : await source.state(message.args[0] as string);
      reply = { call: message.call, ok: true, value };
    } catch (error) {
      reply = { call: message.call, ok: false, error: { message: (error as Error).message, code: (error as { code?: string }).code } };
    }
    // The thread may have ended meanwhile (answered, or cut by the backstop).
    if (this.workers.has(worker)) worker.postMessage(reply);
  }
}

/** The thread's error as the error classes the API maps (limits, gateway, domain). */
function toError(e: Extract<VerifyThreadMessage, { type: 'failed' }>['error']): Error {
  if (e.kind === 'limit') return new VerifyLimitError(e.message, e.limit ?? 'time', (e.details ?? {}) as Record<string, number>);
  if (e.kind === 'gateway') return new GatewayError(e.message);
  if (e.kind === 'ao' && e.code) return new AoError(e.code, e.message, e.details);
  return new Error(e.message);
}
