import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { isAoError, type EvaluationReport, type Messenger } from '@ao/core';
import type { Redis } from 'ioredis';
import { ENV, PIPELINE, REDIS, announceEvaluated, evaluateJobSchema, evaluationKickKey, pipelineCounters, type Env, type Evaluator, type PipelineQueues, type ProcessLocks } from '@ao/infra';
import type { StageProcessor } from '../processor-registry.js';
import { COMPUTE_UNIT, MESSENGER, PROCESS_LOCKS } from '../worker.tokens.js';
import { crankAllPending } from './push.processor.js';

/**
 * Stage `evaluate`: folds a process's new log entries into its state and commits their results,
 * then relays the results that have an outbox. One evaluator per process across all workers (a
 * Redis lock); a job that finds the lock taken is delayed, not dropped.
 *
 * Relaying: when this worker also runs the `push` stage, the job cranks its results itself, still
 * holding the lock, instead of queueing a push job for them. With many processes each job carries
 * a message or two, so a push job per message was a BullMQ round trip or three and a third of the
 * pipeline's Redis commands. If that crank fails (or the push stage runs elsewhere), a push job
 * takes over, with its retries and dead letters; pushes have deterministic identities, so a crank
 * that got part-way delivers nothing twice.
 */
@Injectable()
export class EvaluateProcessor implements StageProcessor, OnApplicationShutdown {
  readonly stage = 'evaluate' as const;
  private readonly logger = new Logger('evaluate');

  constructor(
    @Inject(COMPUTE_UNIT) private readonly cu: Evaluator,
    @Inject(PROCESS_LOCKS) private readonly locks: ProcessLocks,
    @Inject(PIPELINE) private readonly pipeline: PipelineQueues,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(ENV) private readonly env: Env,
    @Inject(MESSENGER) private readonly messenger: Messenger,
  ) {
    this.crankHere = env.WORKER_QUEUES === 'all' || env.WORKER_QUEUES.includes('push');
  }

  private readonly crankHere: boolean;

  async process(job: Job, token?: string): Promise<unknown> {
    const { processId } = evaluateJobSchema.parse(job.data);
    // Taking the lock clears the process's kick key (set by every kick before it asks for a job).
    const kick = evaluationKickKey(this.env.REDIS_PREFIX, processId);
    const lock = await this.locks.tryAcquire(`eval:${processId}`, kick);
    if (!lock) {
      // Another worker is evaluating this process: look again shortly.
      await job.moveToDelayed(Date.now() + 25, token);
      throw new DelayedError();
    }
    try {
      const first = await this.cu.evaluate(processId);
      let evaluated = await this.handOff(first);
      // Release the coalescing key: a kick after this point makes a new job. A kick before it was
      // absorbed by this job; if it came after the lock was taken it set the kick key again, and
      // its message may have missed the first pass, so look once more. While the lock is held, the
      // head is where the first pass left it (no need to read it again).
      await job.removeDeduplicationKey();
      if ((await this.redis.exists(kick)) === 1) {
        evaluated += await this.handOff(await this.cu.evaluate(processId, lock.lost ? undefined : first.to));
      }
      return { processId, evaluated };
    } catch (error) {
      if (isAoError(error) && error.kind === 'permanent') {
        this.logger.warn(`process ${processId} stopped: ${error.message}`);
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    } finally {
      await lock.release();
    }
  }

  /**
   * Readers waiting for these results (GET /cu/result) are told, and results with something to
   * relay are relayed (see the class comment). Returns the count.
   */
  private async handOff(report: EvaluationReport): Promise<number> {
    pipelineCounters.add('evaluate_passes_total');
    if (report.evaluated === 0) return 0;
    pipelineCounters.add('evaluated_messages_total', report.evaluated);
    const { processId } = report;
    // A hint only: a lost announcement delays a reader until its next database check.
    const announced = announceEvaluated(this.redis, this.env.REDIS_PREFIX, processId, report.to).catch(() => undefined);
    if (report.relays > 0) await this.relay(processId);
    await announced;
    return report.evaluated;
  }

  private async relay(processId: string): Promise<void> {
    if (this.crankHere) {
      try {
        await crankAllPending(this.messenger, processId);
        return;
      } catch (error) {
        this.logger.debug(`crank of ${processId} left to the push stage: ${(error as Error).message}`);
      }
    }
    // A sweeper re-queues a push lost to a crash between the commit and this add.
    await this.pipeline.enqueuePush(processId);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.cu.close();
  }
}
