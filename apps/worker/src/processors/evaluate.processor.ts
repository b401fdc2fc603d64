import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { isAoError, type EvaluationReport } from '@ao/core';
import type { Redis } from 'ioredis';
import { ENV, PIPELINE, REDIS, announceEvaluated, evaluateJobSchema, type Env, type Evaluator, type PipelineQueues, type ProcessLocks } from '@ao/infra';
import type { StageProcessor } from '../processor-registry.js';
import { COMPUTE_UNIT, PROCESS_LOCKS } from '../worker.tokens.js';

/**
 * Stage `evaluate`: folds a process's new log entries into its state and commits their results,
 * then hands results with an outbox to the `push` stage. One evaluator per process across all
 * workers (a Redis lock); a job that finds the lock taken is delayed, not dropped.
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
  ) {}

  async process(job: Job, token?: string): Promise<unknown> {
    const { processId } = evaluateJobSchema.parse(job.data);
    const lock = await this.locks.tryAcquire(`eval:${processId}`);
    if (!lock) {
      // Another worker is evaluating this process: look again shortly.
      await job.moveToDelayed(Date.now() + 25, token);
      throw new DelayedError();
    }
    try {
      const first = await this.cu.evaluate(processId);
      let evaluated = await this.handOff(first);
      // Release the coalescing key, then look once more: a message scheduled after this point
      // makes a new job, and one scheduled before it is caught by this second pass. While the lock
      // is held, the head is where the first pass left it (no need to read it again).
      await job.removeDeduplicationKey();
      evaluated += await this.handOff(await this.cu.evaluate(processId, lock.lost ? undefined : first.to));
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
   * Results with something to relay go to the push stage, one job for the process (a sweeper
   * re-queues any kick lost to a crash), and readers waiting for these results (GET /cu/result)
   * are told. Returns the count.
   */
  private async handOff(report: EvaluationReport): Promise<number> {
    if (report.evaluated === 0) return 0;
    const { processId } = report;
    await Promise.all([
      report.relays > 0 ? this.pipeline.enqueuePush(processId) : undefined,
      // A hint only: a lost announcement delays a reader until its next database check.
      announceEvaluated(this.redis, this.env.REDIS_PREFIX, processId, report.to).catch(() => undefined),
    ]);
    return report.evaluated;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.cu.close();
  }
}
