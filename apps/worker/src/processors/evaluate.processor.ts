import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { isAoError, type BatchOutcome, type EvaluationReport, type Messenger } from '@ao/core';
import type { Redis } from 'ioredis';
import { ENV, PIPELINE, QUEUE_NAMES, REDIS, announceEvaluatedMany, evaluateJobSchema, evaluationKickKey, pipelineCounters, type Env, type Evaluator, type PipelineQueues, type ProcessLocks } from '@ao/infra';
import type { StageProcessor } from '../processor-registry.js';
import { COMPUTE_UNIT, MESSENGER, PROCESS_LOCKS, WORKER_INSTANCE } from '../worker.tokens.js';
import { crankAllPendingMany } from './push.processor.js';

const HANDOVER = { queue: 'evaluate-handover' };

/** A process waiting for the next batch, and its job waiting for the outcome. */
interface Waiting {
  processId: string;
  resolve(outcome: BatchOutcome): void;
}

/**
 * Stage `evaluate`: folds processes' new log entries into their states and commits their results,
 * then relays the results that have an outbox. One evaluator per process across all workers (a
 * Redis lock); a job that finds the lock taken is delayed, not dropped.
 *
 * Batching (docs/pipeline-batching.md, phase 2a): each job is still a BullMQ job of its own (taken,
 * locked, completed or failed, retried and dead-lettered by its own calls), but its evaluation goes
 * into a batch: the BullMQ worker holds up to 2 × EVAL_BATCH jobs, and the jobs that arrive while
 * a batch runs make the next one (up to EVAL_BATCH processes), evaluated with one log read and one
 * commit per evaluation thread (ComputeUnit.evaluateMany), cranked together, announced with one
 * PUBLISH. Each job is settled by its own process's outcome: a process that failed in a batch
 * fails its job only.
 *
 * Affinity (with two or more workers): kicks go to the own queue of the process's owner (see
 * EvaluationOwners), and a job of the shared queue for a process another live worker owns is
 * handed to that worker's queue rather than run or delayed here, so a process stays warm on one
 * worker and its lock is not contended. A dead worker's share passes to the others once its
 * heartbeat lapses (the sweeper re-kicks what was waiting in its queue).
 *
 * Relaying: when this worker also runs the `push` stage, the batch cranks its results itself,
 * still under the jobs' locks, instead of queueing a push job for them. If a process's crank fails
 * (or the push stage runs elsewhere), a push job takes over, with its retries and dead letters;
 * pushes have deterministic identities, so a crank that got part-way delivers nothing twice.
 */
@Injectable()
export class EvaluateProcessor implements StageProcessor, OnApplicationShutdown {
  readonly stage = 'evaluate' as const;
  readonly concurrency: number;
  private readonly logger = new Logger('evaluate');
  private readonly crankHere: boolean;
  private readonly maxBatch: number;
  private readonly waiting: Waiting[] = [];
  private running = false;

  constructor(
    @Inject(COMPUTE_UNIT) private readonly cu: Evaluator,
    @Inject(PROCESS_LOCKS) private readonly locks: ProcessLocks,
    @Inject(PIPELINE) private readonly pipeline: PipelineQueues,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(ENV) private readonly env: Env,
    @Inject(MESSENGER) private readonly messenger: Messenger,
    @Inject(WORKER_INSTANCE) private readonly instance = '',
  ) {
    this.crankHere = env.WORKER_QUEUES === 'all' || env.WORKER_QUEUES.includes('push');
    this.maxBatch = env.EVAL_BATCH ?? 32;
    this.concurrency = 2 * this.maxBatch;
  }

  async process(job: Job, token?: string): Promise<unknown> {
    const { processId, pinned } = evaluateJobSchema.parse(job.data);
    if (job.queueName === QUEUE_NAMES.evaluate) {
      // Process affinity: a job of the shared queue for a process another live worker owns goes to
      // that worker's own queue instead of being run here (or delayed behind its lock there).
      const owner = pinned ? undefined : this.pipeline.owners?.ownerOf(processId);
      if (owner && owner !== this.instance) {
        await this.pipeline.handOver(owner, processId);
        pipelineCounters.add('kicks_total', 1, HANDOVER);
        return { processId, handedOver: owner };
      }
      return this.evaluateJob(job, processId, token);
    }
    // A job of this worker's own queue is tried once; a failure goes on as a pinned job of the
    // shared queue, which keeps the retries, the backoff and the dead letters.
    try {
      return await this.evaluateJob(job, processId, token);
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      await this.pipeline.enqueuePinnedEvaluation(processId);
      return { processId, failedOver: (error as Error).message };
    }
  }

  private async evaluateJob(job: Job, processId: string, token: string | undefined): Promise<unknown> {
    // Taking the lock clears the process's kick key (set by every kick before it asks for a job).
    const kick = evaluationKickKey(this.env.REDIS_PREFIX, processId);
    const lock = await this.locks.tryAcquire(`eval:${processId}`, kick);
    if (!lock) {
      // Another worker is evaluating this process: look again shortly.
      await job.moveToDelayed(Date.now() + 25, token);
      throw new DelayedError();
    }
    try {
      let evaluated = this.settle(await this.inBatch(processId));
      // Release the coalescing key: a kick after this point makes a new job. A kick before it was
      // absorbed by this job; if it came after the lock was taken it set the kick key again, and
      // its message may have missed the first pass, so look once more (in the next batch).
      await job.removeDeduplicationKey();
      if ((await this.redis.exists(kick)) === 1) evaluated += this.settle(await this.inBatch(processId));
      return { processId, evaluated };
    } finally {
      await lock.release();
    }
  }

  /** This process's pass, as part of the next batch. */
  private inBatch(processId: string): Promise<BatchOutcome> {
    return new Promise((resolve) => {
      this.waiting.push({ processId, resolve });
      if (!this.running) void this.drain();
    });
  }

  /** Runs batches while processes wait: the first goes at once, those that come meanwhile together next. */
  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        let outcomes: BatchOutcome[];
        try {
          outcomes = await this.runBatch(batch.map((w) => w.processId));
        } catch (error) {
          outcomes = batch.map((w) => ({ processId: w.processId, ok: false, error: error as Error }));
        }
        const byId = new Map(outcomes.map((o) => [o.processId, o]));
        for (const w of batch) w.resolve(byId.get(w.processId) ?? { processId: w.processId, ok: false, error: new Error('no outcome for the process in its batch') });
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * One pass over the batch's processes: evaluated together, readers told with one announcement,
   * results with something to relay cranked together (see the class comment).
   */
  private async runBatch(processIds: string[]): Promise<BatchOutcome[]> {
    const outcomes = await this.cu.evaluateMany(processIds);
    pipelineCounters.add('evaluate_passes_total');
    pipelineCounters.add('evaluate_pass_processes_total', processIds.length);
    const done = outcomes.flatMap((o) => (o.ok && o.report.evaluated > 0 ? [o.report] : []));
    if (done.length === 0) return outcomes;
    pipelineCounters.add('evaluated_messages_total', done.reduce((n, r) => n + r.evaluated, 0));
    // A hint only: a lost announcement delays a reader until its next database check.
    const announced = announceEvaluatedMany(
      this.redis,
      this.env.REDIS_PREFIX,
      done.map((r) => ({ processId: r.processId, nonce: r.to })),
    ).catch(() => undefined);
    const relaying = done.filter((r) => r.relays > 0).map((r) => r.processId);
    if (relaying.length > 0) await this.relay(relaying);
    await announced;
    return outcomes;
  }

  private async relay(processIds: string[]): Promise<void> {
    let left = processIds;
    if (this.crankHere) {
      const failed = await crankAllPendingMany(this.messenger, processIds);
      for (const [processId, error] of failed) this.logger.debug(`crank of ${processId} left to the push stage: ${(error as Error)?.message ?? String(error)}`);
      left = [...failed.keys()];
    }
    // A sweeper re-queues a push lost to a crash between the commit and this add.
    await Promise.all(left.map((processId) => this.pipeline.enqueuePush(processId)));
  }

  /** The job's part of a batch: its count, or its error (permanent ones fail the job for good). */
  private settle(outcome: BatchOutcome): number {
    if (outcome.ok) return (outcome.report as EvaluationReport).evaluated;
    const { error } = outcome;
    if (isAoError(error) && error.kind === 'permanent') {
      this.logger.warn(`process ${outcome.processId} stopped: ${error.message}`);
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    }
    throw error;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.cu.close();
  }
}
