import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { createPrismaClient, createRedis, createSqlPool, pipelineCounters, sqlOn } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';

const COUNTER = `
Count = Count or 0
Handlers.add("Inc", "Inc", function(msg)
  Count = Count + 1
  msg.reply({ Data = tostring(Count) })
end)
`;

const counter = (key: string) => pipelineCounters.snapshot().counters[key] ?? 0;

/** The samples of /metrics whose name is `ao_pipeline_<name>`, as label maps with their values. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`ao_pipeline_${name}{`))
    .map((l) => {
      const [, labels, value] = /^\S+\{([^}]*)\} (\S+)$/.exec(l)!;
      return { labels: Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]])), value: Number(value) };
    });
}

describe('pipeline counters', () => {
  let t: TestEnv;

  beforeAll(async () => {
    // Workers beat (and bring their counters to /metrics) every second.
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000', HEARTBEAT_TIMEOUT_S: '3' });
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it('counts every statement sent to Postgres, on the pg pools and through Prisma', async () => {
    const pool = createSqlPool(t.env.DATABASE_URL, 2);
    const prisma = createPrismaClient(t.env.DATABASE_URL, 2);
    try {
      const sql = sqlOn(pool);
      await sql.$queryRaw`SELECT 1`; // connects
      let before = counter('db_statements_total');
      await sql.$queryRaw`SELECT 1`;
      await sql.$executeRaw`SELECT ${2}::int`;
      await Promise.all([sql.$queryRaw`SELECT 3`, sql.$queryRaw`SELECT 4`]);
      expect(counter('db_statements_total') - before).toBe(4);
      await prisma.$queryRaw`SELECT 1`; // connects
      before = counter('db_statements_total');
      await prisma.$queryRaw`SELECT ${5}::int`;
      await prisma.platformState.findMany({ take: 1 });
      expect(counter('db_statements_total') - before).toBe(2);
    } finally {
      await pool.end();
      await prisma.$disconnect();
    }
  });

  it('counts every command sent to Redis, pipelined ones and script calls too', async () => {
    const redis = createRedis(t.env.REDIS_URL, 'producer', { enableOfflineQueue: true });
    try {
      await redis.ping(); // connected and ready (the ready check's INFO is sent before)
      const before = counter('redis_commands_total');
      await redis.set(`${t.env.REDIS_PREFIX}:k`, '1');
      await redis.get(`${t.env.REDIS_PREFIX}:k`);
      await redis.pipeline().incr(`${t.env.REDIS_PREFIX}:k`).incr(`${t.env.REDIS_PREFIX}:k`).exec();
      await redis.eval(`return redis.call('get', KEYS[1])`, 1, `${t.env.REDIS_PREFIX}:k`);
      expect(counter('redis_commands_total') - before).toBe(5);
    } finally {
      redis.disconnect();
    }
  });

  describe('through the platform', () => {
    let platform: TestPlatform;
    let owner: ItemSigner;
    let su: string;
    let moduleId: string;

    beforeAll(async () => {
      platform = await startTestPlatform(t.env);
      const info = (await platform.http().get('/info').expect(200)).body;
      su = info.scheduler.address;
      moduleId = info.modules['lua-5.4-aos'];
      owner = newUser();
    });

    afterAll(async () => {
      await platform?.close();
    });

    it("shows what a process's messages cost in /metrics: SU slots, evaluations, cranks, jobs, and the evaluation thread's own counters", async () => {
      const metrics = async () => (await platform.http().get('/metrics').expect(200)).text;
      // API and worker share this test's process, so one set of counters holds both (role="api" shows it at scrape time).
      const own = (text: string, name: string, match: Record<string, string> = {}) =>
        samples(text, name)
          .filter((s) => s.labels.role === 'api' && Object.entries(match).every(([k, v]) => s.labels[k] === v))
          .reduce((n, s) => n + s.value, 0);
      const before = await metrics();

      const p = await processItem(owner, su, [{ name: 'On-Boot', value: 'Data' }], COUNTER, moduleId);
      await platform.mu(p.raw).expect(202);
      expect((await platform.result(p.id, p.id)).Error).toBeUndefined();
      for (let i = 0; i < 3; i += 1) {
        const m = await messageItem(owner, p.id, [{ name: 'Action', value: 'Inc' }]);
        await platform.mu(m.raw).expect(202);
        expect((await platform.result(p.id, m.id)).Messages).toHaveLength(1);
      }
      // The replies are relayed after their results are served: wait for the three cranks, and for
      // the evaluation thread's counters (sent to the worker's main thread once a second).
      let after = '';
      await until('the cranks and the evaluation thread\'s counters', async () => {
        after = await metrics();
        return own(after, 'cranked_results_total') - own(before, 'cranked_results_total') >= 3 && own(after, 'group_writes_total', { kind: 'cu-commit' }) > own(before, 'group_writes_total', { kind: 'cu-commit' });
      }, 20_000);
      const delta = (name: string, match: Record<string, string> = {}) => own(after, name, match) - own(before, name, match);

      // The process and its three messages: four log entries, in one to four SU batches, all evaluated.
      expect(delta('su_batch_slots_total')).toBe(4);
      expect(delta('su_batches_total')).toBeGreaterThanOrEqual(1);
      expect(delta('su_batches_total')).toBeLessThanOrEqual(4);
      expect(delta('evaluated_messages_total')).toBe(4);
      expect(delta('jobs_total', { queue: 'evaluate', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
      expect(delta('kicks_total', { queue: 'evaluate' })).toBeGreaterThanOrEqual(4);
      // Three replies to a wallet: three results cranked, three pushes, three items stored for wallets.
      expect(delta('cranked_results_total')).toBe(3);
      expect(delta('pushed_total')).toBe(3);
      expect(delta('group_write_entries_total', { kind: 'wallet-items' })).toBe(3);
      expect(delta('crank_rounds_total')).toBeGreaterThanOrEqual(1);
      // The evaluation thread committed the four results (its statements and commits arrive through the pool).
      expect(delta('group_write_entries_total', { kind: 'cu-commit' })).toBeGreaterThanOrEqual(1);
      expect(delta('db_statements_total')).toBeGreaterThan(0);
      expect(delta('redis_commands_total')).toBeGreaterThan(0);

      // The worker's line comes from its heartbeat; the threads it names are this process's threads.
      const workerPid = samples(after, 'snapshot_timestamp_seconds').find((s) => s.labels.role === 'worker')?.labels.pid;
      expect(workerPid).toBe(String(process.pid));
      const threads = samples(after, 'thread_info').filter((s) => s.labels.role === 'api');
      const evaluation = threads.find((s) => s.labels.thread === 'evaluation-0');
      expect(evaluation).toBeDefined();
      expect(Number(evaluation!.labels.tid)).not.toBe(process.pid);
      expect(existsSync(`/proc/${process.pid}/task/${evaluation!.labels.tid}`)).toBe(true);
    });
  });
});
