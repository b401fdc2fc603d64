import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AoError, stoppedError, type CheckpointStore, type CheckpointSummary, type EvalResult, type SchedulerStore } from '@ao/core';
import type pg from 'pg';
import { ENV, PIPELINE, PRISMA, SQL_POOL, decodeStoredResult, sqlOn, type Env, type Sql, type EvaluationEvents, type PipelineQueues, type PrismaClient, type ReadOnlyComputeUnit } from '@ao/infra';
import { SCHEDULER_STORE } from '../su/su.tokens.js';
import { API_COMPUTE_UNIT, CHECKPOINT_STORE, EVALUATION_EVENTS } from './cu.tokens.js';

/** How often a waiting GET /cu/result reads Postgres when no announcement woke it. */
const RESULT_RECHECK_MS = 1_000;

export type ResultLookup = { status: 'done'; result: EvalResult } | { status: 'pending'; nonce: number };

/**
 * The CU's read side in the API: results come from Postgres (the worker commits them), dry-runs and
 * state hashes from an API-local instance kept in step with the committed head.
 */
@Injectable()
export class CuService implements OnApplicationShutdown {
  private readonly chains = new Map<string, Promise<unknown>>();
  /** The result reads (two per GET /cu/result) skip the ORM. */
  private readonly sql: Sql;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PIPELINE) private readonly pipeline: PipelineQueues,
    @Inject(SCHEDULER_STORE) private readonly log: SchedulerStore,
    @Inject(API_COMPUTE_UNIT) private readonly cu: ReadOnlyComputeUnit,
    @Inject(CHECKPOINT_STORE) private readonly checkpointStore: CheckpointStore,
    @Inject(EVALUATION_EVENTS) private readonly events: EvaluationEvents,
    @Inject(SQL_POOL) pool: pg.Pool,
  ) {
    this.sql = sqlOn(pool);
  }

  /** The result of a message, waiting (bounded) for its evaluation. */
  async result(processId: string, messageId: string): Promise<ResultLookup> {
    // The message's slot, its result if any, and how far the process is evaluated: one query.
    const read = async () =>
      (
        await this.sql.$queryRaw<{ nonce: bigint | string; result: unknown; head_nonce: bigint | string | null; head_error: string | null }[]>`
          SELECT a.nonce, r.result, c.nonce AS head_nonce, c.error AS head_error
          FROM assignments a
          LEFT JOIN results r ON r.process_id = a.process_id AND r.nonce = a.nonce
          LEFT JOIN cu_processes c ON c.process_id = a.process_id
          WHERE a.process_id = ${processId} AND a.message_id = ${messageId}`
      )[0];
    // Watching from before the first read (any announcement for the process until the read gives
    // the message's nonce): an announcement that lands between a read and the wait still wakes it,
    // and the first read is the only one when nothing was evaluated meanwhile.
    const kicked = this.pipeline.kickedAfter(messageId);
    const known = kicked?.processId === processId ? kicked.nonce : undefined;
    const watch = this.events.watch(processId, known ?? 0);
    try {
      const deadline = Date.now() + this.env.RESULT_TIMEOUT_MS;
      // A message this API scheduled and kicked moments ago (POST /mu/, then GET /cu/result) is in
      // the log at a known nonce: while no announcement has reached it, the first read would only
      // find it pending, so it waits for the announcement first.
      if (known !== undefined && (this.events.announced(processId) ?? -1) < known) await watch.next(Math.min(this.env.RESULT_TIMEOUT_MS, RESULT_RECHECK_MS));
      let row = await read();
      if (!row) throw new AoError('NOT_FOUND', `Message ${messageId} is not in the log of process ${processId}`, { messageId, processId });
      const nonce = Number(row.nonce);
      watch.until(nonce);
      // The evaluation is asked for once: at once, as the reference CU evaluates on read (a message
      // posted to /su/ had no kick), or after a recheck's wait when this API kicked one already
      // after scheduling the message (POST /mu/), in case that job failed for good meanwhile.
      let kickAt: number | undefined = known !== undefined ? Date.now() + RESULT_RECHECK_MS : 0;
      for (;;) {
        if (row.result) return { status: 'done', result: decodeStoredResult(row.result) };
        if (row.head_error && row.head_nonce !== null && Number(row.head_nonce) < nonce) {
          // A broken hash chain, or a module that cannot run (MODULE_LOAD_FAILED, UNKNOWN_MODULE_FORMAT).
          throw stoppedError(row.head_error, { processId, messageId }, `Evaluation of ${processId} stopped before this message: `);
        }
        if (kickAt !== undefined && Date.now() >= kickAt) {
          kickAt = undefined;
          await this.pipeline.kickEvaluate(processId);
        }
        const left = deadline - Date.now();
        if (left <= 0) return { status: 'pending', nonce };
        // Woken by the evaluator's announcement; the database is checked again at least every
        // RESULT_RECHECK_MS in case an announcement was lost.
        await watch.next(Math.min(left, RESULT_RECHECK_MS));
        row = (await read())!;
      }
    } finally {
      watch.close();
    }
  }

  /** A page of a process's results in nonce order; cursors are nonces. */
  async results(processId: string, q: { from?: number; to?: number; sort: 'ASC' | 'DESC'; limit: number }) {
    if (!(await this.log.getProcess(processId))) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    const rows = await this.prisma.result.findMany({
      where: { processId, nonce: { ...(q.from !== undefined ? (q.sort === 'ASC' ? { gt: q.from } : { lt: q.from }) : {}), ...(q.to !== undefined ? (q.sort === 'ASC' ? { lte: q.to } : { gte: q.to }) : {}) } },
      orderBy: { nonce: q.sort === 'ASC' ? 'asc' : 'desc' },
      take: q.limit + 1,
      select: { nonce: true, result: true },
    });
    return {
      pageInfo: { hasNextPage: rows.length > q.limit },
      edges: rows.slice(0, q.limit).map((r) => ({ cursor: String(r.nonce), node: decodeStoredResult(r.result) })),
    };
  }

  /** Evaluates a message against the latest committed state without changing it. */
  async dryRun(processId: string, message: { Id?: string; Owner?: string; From?: string; Anchor?: string; Data?: string; Tags?: { name: string; value: string }[] }): Promise<EvalResult> {
    const latest = await this.requireLatest(processId);
    const owner = message.Owner ?? message.From ?? '';
    return this.serial(processId, () =>
      this.cu.dryRun(processId, {
        Id: message.Id ?? 'dry-run',
        Owner: owner,
        From: message.From ?? owner,
        Target: processId,
        ...(message.Anchor ? { Anchor: message.Anchor } : {}),
        Data: message.Data ?? '',
        Tags: message.Tags ?? [],
        Timestamp: latest.timestamp,
        'Block-Height': latest.blockHeight,
        Cron: false,
      }),
    );
  }

  /** The hash of the latest committed state. */
  async state(processId: string): Promise<{ nonce: number; hash: string }> {
    await this.requireLatest(processId);
    return this.serial(processId, () => this.cu.stateHash(processId));
  }

  /** The kept checkpoints of a process, newest first. */
  async checkpoints(processId: string): Promise<CheckpointSummary[]> {
    if (!(await this.log.getProcess(processId))) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    return this.checkpointStore.list(processId);
  }

  /** The newest checkpoint with its stored (encoded) bytes. */
  async latestCheckpoint(processId: string): Promise<{ meta: CheckpointSummary; bytes: Uint8Array }> {
    if (!(await this.log.getProcess(processId))) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    for (const meta of await this.checkpointStore.latest(processId, Number.MAX_SAFE_INTEGER)) {
      const bytes = await this.checkpointStore.read(processId, meta.nonce);
      if (bytes) return { meta, bytes };
    }
    throw new AoError('NOT_FOUND', `Process ${processId} has no checkpoint yet`, { processId });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.cu.close();
    this.events.close();
  }

  private async requireLatest(processId: string) {
    const latest = await this.log.latest(processId);
    if (!latest) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    return latest;
  }

  /** The API-local instance serves one call per process at a time. */
  private serial<T>(processId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(processId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.chains.set(processId, next);
    void next.finally(() => {
      if (this.chains.get(processId) === next) this.chains.delete(processId);
    }).catch(() => undefined);
    return next;
  }
}
