import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, Worker, type Job } from 'bullmq';
import { DEFAULT_JOB_OPTIONS, ENV, QUEUE_NAMES, createRedis, ownEvaluateQueue, pipelineCounters, type Env, type QueueStage } from '@ao/infra';
import { WORKER_INSTANCE } from './worker.tokens.js';

/** What a stage's processor does with one job; permanent failures throw bullmq's UnrecoverableError. */
export interface StageProcessor {
  readonly stage: QueueStage;
  /** `token` is the job's lock token, needed to move an active job (e.g. to delayed). */
  process(job: Job, token?: string): Promise<unknown>;
  /** Concurrency of this stage's BullMQ worker; defaults to WORKER_CONCURRENCY. */
  readonly concurrency?: number;
}

export const STAGE_PROCESSORS = Symbol('STAGE_PROCESSORS');

type Outcome = 'completed' | 'delayed' | 'failed';
const JOB_LABELS = new Map<QueueStage, Record<Outcome, { queue: string; outcome: Outcome }>>();

/** Counts a job by its stage and outcome in the pipeline counters (jobs_total), once it settled. */
async function counted<T>(stage: QueueStage, run: Promise<T>): Promise<T> {
  let labels = JOB_LABELS.get(stage);
  if (!labels) JOB_LABELS.set(stage, (labels = { completed: { queue: stage, outcome: 'completed' }, delayed: { queue: stage, outcome: 'delayed' }, failed: { queue: stage, outcome: 'failed' } }));
  try {
    const value = await run;
    pipelineCounters.add('jobs_total', 1, labels.completed);
    return value;
  } catch (error) {
    pipelineCounters.add('jobs_total', 1, error instanceof DelayedError ? labels.delayed : labels.failed);
    throw error;
  }
}

/**
 * Starts one BullMQ worker per stage listed in WORKER_QUEUES, and refuses to start when a listed
 * stage has no processor (a queue nobody drains is a silent outage).
 */
@Injectable()
export class ProcessorRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly workers: Worker[] = [];
  private readonly logger = new Logger('worker');

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(STAGE_PROCESSORS) private readonly processors: StageProcessor[],
    @Inject(WORKER_INSTANCE) private readonly instance: string,
  ) {}

  onApplicationBootstrap(): void {
    const byStage = new Map(this.processors.map((p) => [p.stage, p]));
    const stages = this.env.WORKER_QUEUES === 'all' ? [...byStage.keys()] : this.env.WORKER_QUEUES;
    const missing = stages.filter((stage) => !byStage.has(stage));
    if (missing.length > 0) {
      throw new Error(`WORKER_QUEUES lists ${missing.join(', ')} but this build has no processor for it`);
    }
    // The evaluate stage also drains this worker's own queue: the processes of its share (EvaluationOwners).
    const queues: [QueueStage, string][] = stages.flatMap((stage): [QueueStage, string][] =>
      stage === 'evaluate' ? [[stage, QUEUE_NAMES[stage]], [stage, ownEvaluateQueue(this.instance)]] : [[stage, QUEUE_NAMES[stage]]],
    );
    for (const [stage, name] of queues) {
      const processor = byStage.get(stage)!;
      const worker = new Worker(name, (job, token) => counted(stage, processor.process(job, token)), {
        connection: createRedis(this.env.REDIS_URL, 'worker'),
        prefix: this.env.REDIS_PREFIX,
        concurrency: processor.concurrency ?? this.env.WORKER_CONCURRENCY,
        autorun: true,
        // A killed worker's jobs come back after the lock lapses (10 s) at the next stall check (5 s).
        // Every stage is idempotent, so a job stalled by repeated crashes is run again rather than
        // failed: a stall is never the job's fault.
        lockDuration: 10_000,
        stalledInterval: 5_000,
        maxStalledCount: 100,
      });
      worker.on('error', (error) => this.logger.error(`${stage}: ${error.message}`));
      worker.on('failed', (job, error) => {
        const final = job && job.attemptsMade >= (job.opts.attempts ?? DEFAULT_JOB_OPTIONS.attempts ?? 1);
        this.logger.warn(`${stage} job ${job?.id} ${final ? 'failed for good' : 'will retry'}: ${error.message}`);
      });
      this.workers.push(worker);
    }
    this.logger.log(`running stages: ${stages.join(', ') || '(none yet)'}`);
  }

  /** SIGTERM: stop taking jobs and let running ones finish, so nothing is left stalled. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
