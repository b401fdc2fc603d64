import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAoError, type ItemSigner } from '@ao/core';
import { ArweaveGateway, PrismaSchedulerStore, createComputeUnit, createPrismaClient, loadWallets, type PrismaClient } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const COUNTER = `Handlers.add("Inc", "Inc", function(msg) N = (N or 0) + 1; msg.reply({ Data = tostring(N) }) end)`;
const MESSAGES = 6;

/**
 * The CU's own hash-chain check (live-processes.ts checkLink), on Postgres: a log entry altered
 * after it was scheduled stops a fresh Compute Unit at that nonce, whether it starts from genesis
 * or from a checkpoint (which cannot carry it past the altered entry).
 */
describe('CU hash-chain check on a log altered in Postgres', () => {
  let t: TestEnv;
  let prisma: PrismaClient;
  let pid: string;

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000', CU_CHECKPOINT_INTERVAL: '2' });
    const platform = await startTestPlatform(t.env);
    try {
      prisma = createPrismaClient(t.env.DATABASE_URL, 2);
      const info = (await platform.http().get('/info').expect(200)).body;
      const owner: ItemSigner = newUser();
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], COUNTER, info.modules['lua-5.4-aos']);
      pid = p.id;
      await platform.mu(p.raw).expect(202);
      await platform.http().get(`/cu/result/${pid}`).query({ 'process-id': pid }).expect(200);
      for (let i = 1; i <= MESSAGES; i++) {
        const m = await messageItem(owner, pid, [{ name: 'Action', value: 'Inc' }]);
        await platform.mu(m.raw).expect(202);
        expect((await platform.http().get(`/cu/result/${m.id}`).query({ 'process-id': pid }).expect(200)).body.Messages[0].Data).toBe(String(i));
      }
    } finally {
      await platform.close();
    }
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.cleanup();
  });

  /** A new Compute Unit, the process's head moved back to `head` (later results dropped); checkpoints kept. */
  async function freshUnit(head: number) {
    await prisma.$executeRaw`DELETE FROM results WHERE process_id = ${pid} AND nonce > ${head}`;
    await prisma.$executeRaw`DELETE FROM cu_processes WHERE process_id = ${pid}`;
    if (head >= 0) await prisma.$executeRaw`INSERT INTO cu_processes (process_id, nonce) VALUES (${pid}, ${head})`;
    return createComputeUnit(t.env, prisma, new PrismaSchedulerStore(prisma), new ArweaveGateway(t.env.ARWEAVE_URL), await loadWallets(t.env), { saveCheckpoints: false });
  }

  async function alterChain(nonce: number): Promise<string> {
    const [row] = await prisma.$queryRaw<{ hash_chain: string }[]>`SELECT hash_chain FROM assignments WHERE process_id = ${pid} AND nonce = ${nonce}`;
    const altered = (row.hash_chain[0] === 'A' ? 'B' : 'A') + row.hash_chain.slice(1);
    await prisma.$executeRaw`UPDATE assignments SET hash_chain = ${altered} WHERE process_id = ${pid} AND nonce = ${nonce}`;
    return row.hash_chain;
  }

  async function restoreChain(nonce: number, original: string): Promise<void> {
    await prisma.$executeRaw`UPDATE assignments SET hash_chain = ${original} WHERE process_id = ${pid} AND nonce = ${nonce}`;
  }

  async function expectStoppedAt(nonce: number, from: number, checkpoints: { restored: number; rejected: number }): Promise<void> {
    const cu = await freshUnit(from);
    try {
      await expect(cu.evaluate(pid)).rejects.toSatisfy((e: unknown) => isAoError(e, 'BROKEN_HASH_CHAIN'));
      const head = await prisma.cuProcess.findUniqueOrThrow({ where: { processId: pid } });
      expect([Number(head.nonce), head.error]).toEqual([Math.max(from, nonce - 1), `hash chain broken at nonce ${nonce}`]);
      expect(cu.checkpointStats).toMatchObject(checkpoints);
      // nothing past the head was committed
      expect(await prisma.result.count({ where: { processId: pid, nonce: { gt: Math.max(from, nonce - 1) } } })).toBe(0);
    } finally {
      cu.close();
    }
  }

  it('an intact log evaluates to the end from a checkpoint', async () => {
    const cu = await freshUnit(4);
    try {
      const report = await cu.evaluate(pid);
      expect([report.from, report.to]).toEqual([5, MESSAGES]);
      expect(cu.checkpointStats?.restored).toBe(1);
    } finally {
      cu.close();
    }
  });

  it('stops at an altered entry between checkpoints', async () => {
    const original = await alterChain(5);
    try {
      await expectStoppedAt(5, 4, { restored: 1, rejected: 0 });
    } finally {
      await restoreChain(5, original);
    }
  });

  it('stops at an altered entry a checkpoint was taken at: the checkpoint is refused, not trusted past it', async () => {
    const original = await alterChain(4);
    try {
      // the checkpoint at 4 does not continue the altered entry: refused; the one at 2 replays into it
      await expectStoppedAt(4, 4, { restored: 1, rejected: 1 });
    } finally {
      await restoreChain(4, original);
    }
  });

  it('stops at an altered first entry', async () => {
    const original = await alterChain(1);
    try {
      await expectStoppedAt(1, -1, { restored: 0, rejected: 0 });
    } finally {
      await restoreChain(1, original);
    }
  });
});
