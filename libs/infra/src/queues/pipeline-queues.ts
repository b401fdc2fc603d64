import { Queue } from 'bullmq';
import { z } from 'zod';
import { setBounded } from '../bounded-map.js';
import type { Env } from '../env/env.schema.js';
import { pipelineCounters } from '../metrics/pipeline-counters.js';
import { createRedis } from '../redis/redis.js';
import { DEFAULT_JOB_OPTIONS, QUEUE_NAMES } from './queues.js';
import { ownEvaluateQueue, type EvaluationOwners } from './evaluation-owners.js';

/** Job payload schemas, one per queue, parsed by each processor before use. */
/** `pinned`: evaluated by whichever worker takes it, never handed to the process's owner (a failed owner's job, retried here). */
export const evaluateJobSchema = z.object({ processId: z.string().regex(/^[A-Za-z0-9_-]{43}$/), pinned: z.boolean().optional() });
/** `nonce` is only in jobs queued by earlier versions (one job per result); it is not needed any more. */
export const pushJobSchema = z.object({ processId: z.string().regex(/^[A-Za-z0-9_-]{43}$/), nonce: z.number().int().min(0).optional() });
export type EvaluateJob = z.infer<typeof evaluateJobSchema>;
export type PushJob = z.infer<typeof pushJobSchema>;

/**
 * The key a kick sets before it asks for an evaluation: an evaluate job clears it when it takes the
 * process's lock and reads it after releasing its deduplication key, to learn whether a kick it
 * absorbed came in after its first read of the log (see EvaluateProcessor). It expires so that
 * idle processes leave nothing behind; a job that outlives it is caught by the sweeper.
 */
export function evaluationKickKey(prefix: string, processId: string): string {
  return `${prefix}:kick:${processId}`;
}
/** Messages remembered by `kickedAfter` (about 100 bytes each). */
const KICKED_REMEMBERED = 10_000;

export const EVALUATION_KICK_TTL_MS = 600_000;

const KICK_LABELS = { evaluate: { queue: 'evaluate' }, push: { queue: 'push' }, upload: { queue: 'upload' }, handover: { queue: 'evaluate-handover' } };

/** Jobs of a worker's own evaluate queue are tried once: a failure goes on as a pinned job of the shared queue, with its retries and dead letters. */
const OWN_JOB_OPTIONS = { attempts: 1 };

/**
 * Producers of the pipeline's jobs, with deterministic ids: one pending evaluation per process and
 * one pending crank per process (each deduplicated until its processor releases it).
 */
export class PipelineQueues {
  readonly evaluate: Queue;
  readonly push: Queue;
  readonly upload: Queue;
  readonly cron: Queue;
  private readonly connection: ReturnType<typeof createRedis>;
  private readonly prefix: string;

  private readonly opts: { connection: ReturnType<typeof createRedis>; prefix: string; defaultJobOptions: typeof DEFAULT_JOB_OPTIONS };
  /** Each worker's own evaluate queue (see EvaluationOwners), by instance. */
  private readonly own = new Map<string, Queue>();

  /** `owners`: where kicks go when two or more workers evaluate (each process's owner's own queue). */
  constructor(
    env: Pick<Env, 'REDIS_URL' | 'REDIS_PREFIX'>,
    readonly owners?: EvaluationOwners,
  ) {
    const connection = createRedis(env.REDIS_URL, 'producer');
    this.connection = connection;
    this.prefix = env.REDIS_PREFIX;
    const opts = { connection, prefix: env.REDIS_PREFIX, defaultJobOptions: DEFAULT_JOB_OPTIONS };
    this.opts = opts;
    this.evaluate = new Queue(QUEUE_NAMES.evaluate, opts);
    this.push = new Queue(QUEUE_NAMES.push, opts);
    this.upload = new Queue(QUEUE_NAMES.upload, opts);
    this.cron = new Queue(QUEUE_NAMES.cron, opts);
  }

  /** Asks for a registration's claimed ticks (up to `tick`) to be emitted; the id (process, interval, tick) makes a repeat a no-op. */
  async enqueueTick(tick: CronJob): Promise<void> {
    const interval = tick.interval.replace(/[^A-Za-z0-9-]/g, '_');
    await this.cron.add('tick', tick, { jobId: `cron-${tick.processId}-${interval}-${tick.tick}` });
  }

  /**
   * Asks for a process to be evaluated up to its log head; coalesces with a pending request. The
   * kick key is set first, on the same connection, so a job that absorbs this request sees it.
   * `scheduled`: the slot of the message this kick follows (already in the log), remembered so that
   * a reader waiting for its result need not kick again, nor look it up (see `kickedAfter`).
   */
  async kickEvaluate(processId: string, scheduled?: { messageId: string; nonce: number }): Promise<void> {
    const data: EvaluateJob = { processId };
    pipelineCounters.add('kicks_total', 1, KICK_LABELS.evaluate);
    await this.connection.set(evaluationKickKey(this.prefix, processId), '1', 'PX', EVALUATION_KICK_TTL_MS);
    const owner = this.owners?.ownerOf(processId);
    if (owner) await this.handOver(owner, processId);
    else await this.evaluate.add('evaluate', data, { deduplication: { id: `eval-${processId}` } });
    if (scheduled !== undefined) setBounded(this.kicked, scheduled.messageId, { processId, nonce: scheduled.nonce }, KICKED_REMEMBERED);
  }

  /**
   * The slot of `messageId` if this process kicked an evaluation after it was in the log (recently:
   * the last KICKED_REMEMBERED such messages). Such a kick is a promise that an evaluation pass will
   * reach the message, so another kick would only cost Redis round trips.
   */
  kickedAfter(messageId: string): { processId: string; nonce: number } | undefined {
    return this.kicked.get(messageId);
  }

  private readonly kicked = new Map<string, { processId: string; nonce: number }>();

  /** Queues a process's evaluation on its owner's own queue (coalesced there as in the shared one). */
  async handOver(owner: string, processId: string): Promise<void> {
    let queue = this.own.get(owner);
    if (!queue) this.own.set(owner, (queue = new Queue(ownEvaluateQueue(owner), this.opts)));
    const data: EvaluateJob = { processId };
    await queue.add('evaluate', data, { ...OWN_JOB_OPTIONS, deduplication: { id: `eval-${processId}` } });
  }

  /**
   * Empties a dead worker's own evaluate queue (see DeadQueueReaper): kicks again every process
   * with a job there (waiting, delayed or left active by the killed worker), now to its new owner
   * or the shared queue, then obliterates the queue. Returns the processes kicked.
   */
  async reclaimOwnQueue(name: string): Promise<string[]> {
    const queue = new Queue(name, this.opts);
    try {
      const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
      const processes = [...new Set(jobs.flatMap((j) => (j ? [(j.data as EvaluateJob).processId] : [])))];
      await this.owners?.refresh();
      for (const processId of processes) await this.kickEvaluate(processId);
      await queue.obliterate({ force: true });
      return processes;
    } finally {
      await queue.close();
    }
  }

  /** Queues an evaluation on the shared queue that whichever worker takes it runs (after a failure on the owner). */
  async enqueuePinnedEvaluation(processId: string): Promise<void> {
    pipelineCounters.add('kicks_total', 1, KICK_LABELS.evaluate);
    const data: EvaluateJob = { processId, pinned: true };
    await this.evaluate.add('evaluate', data, { deduplication: { id: `eval-pinned-${processId}` } });
  }

  /** Asks for a process's results to have their outboxes relayed; coalesces with a pending request. */
  async enqueuePush(processId: string): Promise<void> {
    const data: PushJob = { processId };
    pipelineCounters.add('kicks_total', 1, KICK_LABELS.push);
    await this.push.add('push', data, { deduplication: { id: `push-${processId}` } });
  }

  /** Asks the upload worker to drain the outbox now (it also drains every second). */
  async kickUpload(): Promise<void> {
    pipelineCounters.add('kicks_total', 1, KICK_LABELS.upload);
    await this.upload.add('drain', {}, { deduplication: { id: 'drain' } });
  }

  async close(): Promise<void> {
    this.owners?.close();
    await Promise.all([this.evaluate.close(), this.push.close(), this.upload.close(), this.cron.close(), ...[...this.own.values()].map((q) => q.close())]);
    // BullMQ leaves a connection it was handed open.
    this.connection.disconnect();
  }
}

export const cronJobSchema = z.object({
  processId: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  interval: z.string().min(1).max(64),
  /** The latest claimed tick (time in ms, or block height) this job is for. */
  tick: z.number().int().min(0),
});
export type CronJob = z.infer<typeof cronJobSchema>;
