import { Inject, Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { AoError, Scheduler, getTag } from '@ao/core';
import { CronRegistry, ENV, PIPELINE, PRISMA, type CronRegistrationView, type Env, type PipelineQueues, type PrismaClient } from '@ao/infra';

export interface FailedJob {
  queue: string;
  id: string;
  name: string;
  data: unknown;
  reason: string;
  attempts: number;
  failedAt: number | null;
}

/** Dead letters of the upload outbox, listed and retried beside the queues' failed jobs. */
const UPLOAD_OUTBOX = 'upload-outbox';

/** MU ingress: accept durably (schedule on the SU), then let the pipeline crank in the background. */
@Injectable()
export class MuService {
  private backlog = { at: 0, size: 0, uploads: 0 };

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PIPELINE) private readonly pipeline: PipelineQueues,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly scheduler: Scheduler,
    private readonly cron: CronRegistry,
  ) {}

  /** Registers a process for cron ticks; the body must be an item signed by its owner and targeting it. */
  async monitor(processId: string, body: unknown): Promise<CronRegistrationView[]> {
    return this.cron.monitor(processId, await this.requester(processId, body));
  }

  /** Stops a process's cron ticks; same proof of ownership as monitor. */
  async unmonitor(processId: string, body: unknown): Promise<number> {
    return this.cron.unmonitor(processId, await this.requester(processId, body));
  }

  private async requester(processId: string, body: unknown): Promise<string> {
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new AoError('INVALID_ITEM', 'Send a data item signed by the process owner, with target = the process, as the raw body');
    }
    const item = await this.scheduler.verify(body);
    if (item.target !== processId) throw new AoError('INVALID_REQUEST', 'The signed item must target the process', { processId, target: item.target ?? null });
    return item.ownerAddress;
  }

  /** Schedules a signed item and queues its evaluation; answers once the item is in the log. */
  async accept(raw: Uint8Array): Promise<{ id: string; message: string }> {
    await this.refuseWhenFarBehind();
    const item = await this.scheduler.verify(raw);
    const r = await this.scheduler.scheduleVerified(item);
    const type = getTag(item.tags, 'Type');
    await this.pipeline.kickEvaluate(type === 'Process' ? item.id : r.processId, { messageId: r.id, nonce: r.nonce });
    return { id: r.id, message: r.id };
  }

  /** Forwards an assignment of an existing message to a process. */
  async assign(processId: string, messageId: string, exclude: string[]): Promise<{ id: string; message: string; nonce: number }> {
    const r = await this.scheduler.assign(processId, messageId, exclude);
    await this.pipeline.kickEvaluate(processId);
    return { id: r.assignmentId, message: messageId, nonce: r.nonce };
  }

  /**
   * Jobs that exhausted their retries, with the reason, across the pipeline's queues; and uploads
   * that failed UPLOAD_MAX_ATTEMPTS times (queue `upload-outbox`, id = the item id).
   */
  async failed(limit = 100): Promise<FailedJob[]> {
    const queues: Queue[] = [this.pipeline.evaluate, this.pipeline.push, this.pipeline.upload, this.pipeline.cron];
    const [lists, uploads] = await Promise.all([
      Promise.all(queues.map((q) => q.getFailed(0, limit - 1))),
      this.prisma.$queryRaw<{ item_id: string; process_id: string | null; nonce: bigint | null; last_error: string | null; attempts: number; next_attempt_at: Date }[]>`
        SELECT item_id, process_id, nonce, last_error, attempts, next_attempt_at FROM upload_outbox WHERE status = 'failed' ORDER BY id LIMIT ${limit}`,
    ]);
    const deadUploads: FailedJob[] = uploads.map((r) => ({
      queue: UPLOAD_OUTBOX,
      id: r.item_id,
      name: 'upload',
      data: { itemId: r.item_id, processId: r.process_id, nonce: r.nonce === null ? null : Number(r.nonce) },
      reason: r.last_error ?? 'unknown',
      attempts: r.attempts,
      failedAt: null,
    }));
    return [...deadUploads, ...lists.flat().map((job: Job) => ({
      queue: job.queueName,
      id: job.id ?? '',
      name: job.name,
      data: job.data,
      reason: job.failedReason,
      attempts: job.attemptsMade,
      failedAt: job.finishedOn ?? null,
    }))];
  }

  /** Puts a failed job back into its queue. */
  async retry(queueName: string, id: string): Promise<void> {
    if (queueName === UPLOAD_OUTBOX) {
      const n = await this.prisma.$executeRaw`
        UPDATE upload_outbox SET status = 'pending', attempts = 0, next_attempt_at = now() WHERE item_id = ${id} AND status = 'failed'`;
      if (n === 0) throw new AoError('NOT_FOUND', `No failed upload of ${id}`, { queue: queueName, id });
      return;
    }
    const queue = [this.pipeline.evaluate, this.pipeline.push, this.pipeline.upload, this.pipeline.cron].find((q) => q.name === queueName);
    if (!queue) throw new AoError('NOT_FOUND', `No queue ${queueName}`, { queue: queueName });
    const job = await queue.getJob(id);
    if (!job || !(await job.isFailed())) throw new AoError('NOT_FOUND', `No failed job ${id} in ${queueName}`, { queue: queueName, id });
    await job.retry('failed');
  }

  /**
   * Past MU_MAX_BACKLOG units of work behind (log entries not yet evaluated plus outbox pushes not
   * yet relayed), or past UPLOAD_MAX_BACKLOG items waiting for the gateway when that is set, new
   * items are refused with 503 + Retry-After instead of piling up. Measured at most once a second,
   * so the check costs nothing per request (the upload count stops at the limit: it reads at most
   * that many entries of the pending rows' index).
   */
  private async refuseWhenFarBehind(): Promise<void> {
    const now = Date.now();
    const uploadLimit = this.env.UPLOAD_MAX_BACKLOG;
    if (now - this.backlog.at > 1_000) {
      this.backlog.at = now;
      const [rows, pushes, uploads] = await Promise.all([
        this.prisma.$queryRaw<{ n: bigint | null }[]>`
          SELECT sum(p.last_nonce - COALESCE(c.nonce, -1)) AS n
          FROM processes p LEFT JOIN cu_processes c ON c.process_id = p.id
          WHERE c.error IS NULL AND p.last_nonce > COALESCE(c.nonce, -1)`,
        this.pipeline.push.getJobCountByTypes('waiting', 'delayed', 'prioritized'),
        uploadLimit > 0
          ? this.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM (SELECT 1 FROM upload_outbox WHERE status = 'pending' LIMIT ${uploadLimit + 1}) p`
          : Promise.resolve([{ n: 0n }]),
      ]);
      this.backlog.size = Number(rows[0]?.n ?? 0) + pushes;
      this.backlog.uploads = Number(uploads[0]?.n ?? 0);
    }
    if (this.backlog.size > this.env.MU_MAX_BACKLOG) {
      throw new AoError('BACKPRESSURE', `The pipeline is ${this.backlog.size} messages behind; retry shortly`, { backlog: this.backlog.size, limit: this.env.MU_MAX_BACKLOG }, 'transient');
    }
    if (uploadLimit > 0 && this.backlog.uploads > uploadLimit) {
      throw new AoError('BACKPRESSURE', `More than ${uploadLimit} items wait for the gateway; retry shortly`, { uploadBacklog: this.backlog.uploads, uploadLimit }, 'transient');
    }
  }
}
