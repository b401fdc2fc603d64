import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAoError, type ItemSigner } from '@ao/core';
import { EvaluationPool, createPrismaClient, type PrismaClient } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const THREADS = 2;
const CODE = `Handlers.add("Inc", "Inc", function(msg) N = (N or 0) + 1; msg.reply({ Data = tostring(N) }) end)`;
const threadOf = (pid: string) => createHash('sha256').update(pid).digest().readUInt32BE(0) % THREADS;

/**
 * ComputeUnit.evaluateMany through the evaluation pool, on Postgres: a batch spread over both
 * threads is read and committed per thread, and a process whose chain breaks fails alone.
 */
describe('evaluating a batch of processes across evaluation threads', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let prisma: PrismaClient;
  let pool: EvaluationPool;
  let owner: ItemSigner;

  beforeAll(async () => {
    // The platform's worker runs no evaluate stage: this test's pool is the only evaluator.
    t = await createTestEnv({ WORKER_QUEUES: 'push' });
    platform = await startTestPlatform(t.env);
    prisma = createPrismaClient(t.env.DATABASE_URL);
    pool = new EvaluationPool(t.env, THREADS, 30_000);
    owner = newUser();
  });

  afterAll(async () => {
    await pool?.close();
    await Promise.all([platform?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  it('commits every process of a batch over both threads, and fails only the one whose hash chain breaks', async () => {
    const info = (await platform.http().get('/info').expect(200)).body;
    const pids: string[] = [];
    while (pids.length < 6 || !pids.some((p) => threadOf(p) === 0) || !pids.some((p) => threadOf(p) === 1)) {
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }, { name: 'N', value: String(pids.length) }], CODE, info.modules['lua-5.4-aos']);
      await platform.mu(p.raw).expect(202);
      pids.push(p.id);
    }
    const send = async (pid: string, n: number) => {
      for (let i = 0; i < n; i++) await platform.mu((await messageItem(owner, pid, [{ name: 'Action', value: 'Inc' }])).raw).expect(202);
    };
    for (const [i, pid] of pids.entries()) await send(pid, i + 1);
    // The last process's log is altered at nonce 1: its chain no longer verifies from there.
    const broken = pids[pids.length - 1];
    await prisma.$executeRawUnsafe(`UPDATE assignments SET hash_chain = 'x' WHERE process_id = $1 AND nonce = 1`, broken);

    const outcomes = await pool.evaluateMany([...pids, pids[0]]);
    expect(outcomes.map((o) => o.processId)).toEqual(pids);
    for (const [i, o] of outcomes.entries()) {
      if (o.processId === broken) {
        expect(!o.ok && isAoError(o.error, 'BROKEN_HASH_CHAIN')).toBe(true);
        continue;
      }
      expect(o.ok && [o.report.from, o.report.to, o.report.evaluated]).toEqual([0, i + 1, i + 2]);
    }
    const rows = await prisma.$queryRawUnsafe<{ process_id: string; n: bigint; max: bigint }[]>(
      `SELECT process_id, count(*) AS n, max(nonce) AS max FROM results WHERE process_id = ANY($1) GROUP BY process_id`,
      pids,
    );
    const committed = new Map(rows.map((r) => [r.process_id, [Number(r.n), Number(r.max)]]));
    for (const [i, pid] of pids.entries()) expect(committed.get(pid)).toEqual(pid === broken ? [1, 0] : [i + 2, i + 1]);
    const heads = await prisma.$queryRawUnsafe<{ process_id: string; nonce: bigint; error: string | null }[]>(
      `SELECT process_id, nonce, error FROM cu_processes WHERE process_id = $1`,
      broken,
    );
    expect([Number(heads[0].nonce), heads[0].error]).toEqual([0, 'hash chain broken at nonce 1']);

    // The next batch goes on from each head; the broken process is answered with its reason.
    await send(pids[0], 2);
    const again = await pool.evaluateMany(pids);
    expect(again[0].ok && [again[0].report.from, again[0].report.evaluated]).toEqual([2, 2]);
    expect(again.slice(1, -1).every((o) => o.ok && o.report.evaluated === 0)).toBe(true);
    const last = again[again.length - 1];
    expect(!last.ok && isAoError(last.error, 'BROKEN_HASH_CHAIN') && last.error.kind).toBe('permanent');
  });
});
