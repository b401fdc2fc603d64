import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { QUEUE_NAMES, createPrismaClient, type PrismaClient } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const THREADS = 2;
// Gas meters C loops (docs/limits.md) but not the work inside one VM instruction: comparing two
// distinct 32 MiB strings is one instruction and a 32 MiB memcmp, so this loop outlasts any backstop.
const CODE = `
Handlers.add("Hang", "Hang", function(msg)
  local a, b = string.rep("a", 2^25), string.rep("a", 2^25)
  while true do if a == b then N = N end end
end)
Handlers.add("Inc", "Inc", function(msg) N = (N or 0) + 1; msg.reply({ Data = tostring(N) }) end)
`;
const threadOf = (pid: string) => createHash('sha256').update(pid).digest().readUInt32BE(0) % THREADS;

describe('wall-clock backstop: a C call that never returns', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let prisma: PrismaClient;
  let owner: ItemSigner;
  const http = () => platform.http();
  const mu = (raw: Uint8Array) => platform.mu(raw);

  beforeAll(async () => {
    t = await createTestEnv({ CU_THREADS: String(THREADS), CU_WALL_TIMEOUT_MS: '1500', RESULT_TIMEOUT_MS: '20000' });
    platform = await startTestPlatform(t.env);
    prisma = createPrismaClient(t.env.DATABASE_URL);
    owner = newUser();
  });

  afterAll(async () => {
    await Promise.all([platform?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  it('restarts the stuck evaluation thread, commits nothing for the runaway message, and other processes go on', async () => {
    const info = (await http().get('/info').expect(200)).body;
    const spawn = async () => {
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], CODE, info.modules['lua-5.4-aos']);
      await mu(p.raw).expect(202);
      await http().get(`/cu/result/${p.id}`).query({ 'process-id': p.id }).expect(200);
      return p.id;
    };
    const runaway = await spawn();
    // A bystander on the same thread (its calls are replayed on the replacement) and one on the other thread.
    const pids: string[] = [];
    while (!pids.some((p) => threadOf(p) !== threadOf(runaway)) || !pids.some((p) => threadOf(p) === threadOf(runaway))) pids.push(await spawn());
    const other = pids.find((p) => threadOf(p) !== threadOf(runaway))!;
    const neighbour = pids.find((p) => threadOf(p) === threadOf(runaway))!;

    const hang = await messageItem(owner, runaway, [{ name: 'Action', value: 'Hang' }]);
    await mu(hang.raw).expect(202);
    const inc = async (pid: string) => {
      const m = await messageItem(owner, pid, [{ name: 'Action', value: 'Inc' }]);
      await mu(m.raw).expect(202);
      return (await http().get(`/cu/result/${m.id}`).query({ 'process-id': pid }).expect(200)).body;
    };
    // The process on the other thread is served while the runaway one is stuck.
    expect((await inc(other)).Messages[0].Data).toBe('1');
    expect((await inc(other)).Messages[0].Data).toBe('2');

    // The stuck thread is restarted and the runaway job fails with the backstop's reason, to be retried.
    const queue = new Queue(QUEUE_NAMES.evaluate, { connection: { host: '127.0.0.1', port: 6379 }, prefix: t.env.REDIS_PREFIX });
    try {
      const deadline = Date.now() + 30_000;
      let reason = '';
      while (Date.now() < deadline && !reason.includes('wall-clock backstop')) {
        const jobs = await queue.getJobs(['delayed', 'failed', 'waiting', 'active']);
        reason = jobs.map((j) => j.failedReason ?? '').find((r) => r.includes('wall-clock backstop')) ?? '';
        if (!reason) await new Promise((r) => setTimeout(r, 200));
      }
      expect(reason).toContain(runaway);
    } finally {
      await queue.close();
    }
    // The neighbour on the restarted thread is evaluated too.
    expect((await inc(neighbour)).Messages[0].Data).toBe('1');
    // Nothing was recorded for the runaway message: its process stays before it, and after a
    // second cut it is stopped for good with the reason (no sweep evaluates it again).
    const slot = await prisma.assignment.findFirstOrThrow({ where: { processId: runaway, messageId: hang.id } });
    expect(await prisma.result.count({ where: { processId: runaway, nonce: slot.nonce } })).toBe(0);
    let head = await prisma.cuProcess.findUniqueOrThrow({ where: { processId: runaway } });
    for (let i = 0; i < 300 && !head.error; i++) {
      await new Promise((r) => setTimeout(r, 200));
      head = await prisma.cuProcess.findUniqueOrThrow({ where: { processId: runaway } });
    }
    expect(head.error).toMatch(/^EVALUATION_STOPPED: .*wall-clock backstop/);
    expect(Number(head.nonce)).toBe(Number(slot.nonce) - 1);
    const stopped = await http().get(`/cu/result/${hang.id}`).query({ 'process-id': runaway }).expect(422);
    expect(stopped.body.error).toMatch(/wall-clock backstop/);
    // The bystanders keep going.
    expect((await inc(neighbour)).Messages[0].Data).toBe('2');
    expect((await inc(other)).Messages[0].Data).toBe('3');
  }, 120_000);
});
