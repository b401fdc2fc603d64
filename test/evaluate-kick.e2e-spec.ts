import { randomUUID } from 'node:crypto';
import { DelayedError, type Job } from 'bullmq';
import { once } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BatchOutcome, EvaluationReport, Messenger } from '@ao/core';
import { PipelineQueues, ProcessLocks, createRedis, evaluationKickKey, type Env, type Evaluator } from '@ao/infra';
import { EvaluateProcessor } from '../apps/worker/src/processors/evaluate.processor.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The evaluate job's second pass, against real Redis: it looks at the log again only when a kick
 * came in after it took the process's lock (a kick it absorbed may be for a message its first read
 * missed), not on every job.
 */
describe('EvaluateProcessor: a second pass only after a kick it may have missed (real Redis)', () => {
  const prefix = `test-kick-${randomUUID()}`;
  const redis = createRedis(REDIS_URL, 'producer');
  const pipeline = new PipelineQueues({ REDIS_URL, REDIS_PREFIX: prefix });
  const locks = new ProcessLocks(redis, prefix);
  const env = { REDIS_PREFIX: prefix, WORKER_QUEUES: 'evaluate' } as unknown as Env;
  const processId = 'P'.repeat(43);

  /** A Compute Unit that evaluates nothing; `during` runs inside its first pass. Records each pass's processes. */
  const fakeCu = (during?: () => Promise<void>) => {
    const calls: string[][] = [];
    const cu: Evaluator = {
      async evaluate(): Promise<EvaluationReport> {
        throw new Error('not used');
      },
      async evaluateMany(ids: string[]): Promise<BatchOutcome[]> {
        calls.push(ids);
        if (calls.length === 1) await during?.();
        return ids.map((id) => ({ processId: id, ok: true, report: { processId: id, from: 8, to: 7, evaluated: 0, relays: 0, errors: 0 } }));
      },
      close() {},
    };
    return { cu, calls };
  };
  const job = () => ({ queueName: 'cu-evaluate', data: { processId }, removeDeduplicationKey: async () => 1, moveToDelayed: async () => undefined }) as unknown as Job;
  const processor = (cu: Evaluator) => new EvaluateProcessor(cu, locks, pipeline, redis, env, {} as Messenger);

  beforeAll(async () => {
    if (redis.status !== 'ready') await once(redis, 'ready');
  });
  beforeEach(async () => {
    await redis.del(evaluationKickKey(prefix, processId), `${prefix}:lock:eval:${processId}`);
  });
  afterAll(async () => {
    await pipeline.evaluate.obliterate({ force: true });
    await pipeline.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('makes one pass when nothing was kicked while it held the lock', async () => {
    const { cu, calls } = fakeCu();
    await processor(cu).process(job());
    expect(calls).toEqual([[processId]]);
  });

  it('makes one pass for a kick that came before it took the lock (its message was committed before the first read)', async () => {
    await pipeline.kickEvaluate(processId);
    expect(await redis.exists(evaluationKickKey(prefix, processId))).toBe(1);
    const { cu, calls } = fakeCu();
    await processor(cu).process(job());
    expect(calls).toEqual([[processId]]);
  });

  it('looks again, in the next batch, after a kick during its first pass', async () => {
    const { cu, calls } = fakeCu(() => pipeline.kickEvaluate(processId));
    await processor(cu).process(job());
    expect(calls).toEqual([[processId], [processId]]);
  });

  it('leaves the kick key alone when another worker holds the lock', async () => {
    await pipeline.kickEvaluate(processId);
    const held = await locks.tryAcquire(`eval:${processId}`);
    expect(held).toBeDefined();
    const { cu, calls } = fakeCu();
    await expect(processor(cu).process(job(), 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(calls).toEqual([]);
    expect(await redis.exists(evaluationKickKey(prefix, processId))).toBe(1);
    await held!.release();
  });
  it('remembers the slot a kick followed, so a reader of its result needs neither a kick nor a lookup', async () => {
    const messageId = 'M'.repeat(43);
    expect(pipeline.kickedAfter(messageId)).toBeUndefined();
    await pipeline.kickEvaluate(processId, { messageId, nonce: 12 });
    expect(pipeline.kickedAfter(messageId)).toEqual({ processId, nonce: 12 });
    // The kick itself is made as any other: its key set, its job queued.
    expect(await redis.exists(evaluationKickKey(prefix, processId))).toBe(1);
    expect(pipeline.kickedAfter('N'.repeat(43))).toBeUndefined();
  });
});
