import { spawn, type ChildProcess } from 'node:child_process';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import type { Redis } from 'ioredis';
import { EvaluationOwners, HEARTBEATS, QUEUE_NAMES, REDIS, createPrismaClient, ownEvaluateQueue, type Heartbeats, type PrismaClient } from '@ao/infra';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';

const PROCESSES = 12;
const MESSAGES = 4;
const CODE = `Handlers.add("Inc", "Inc", function(msg) N = (N or 0) + 1; msg.reply({ Data = tostring(N) }) end)`;

/**
 * Process affinity with two worker processes' worth of workers (two worker contexts in this
 * process, each with its own instance and queue): every process is evaluated by its owner, every
 * message once, and when one worker leaves, the other takes its share.
 */
describe('two workers with process affinity', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let second: INestApplicationContext | undefined;
  let prisma: PrismaClient;
  let owners: EvaluationOwners;
  let owner: ItemSigner;

  beforeAll(async () => {
    t = await createTestEnv({ HEARTBEAT_TIMEOUT_S: '3' });
    platform = await startTestPlatform(t.env);
    second = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.env), { logger: false });
    await second.init();
    prisma = createPrismaClient(t.env.DATABASE_URL);
    owners = new EvaluationOwners(platform.api.get<symbol, Heartbeats>(HEARTBEATS), 200);
    owner = newUser();
  });

  afterAll(async () => {
    owners?.close();
    await Promise.all([platform?.close(), second?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  const results = async (pids: string[]) =>
    new Map(
      (
        await prisma.$queryRawUnsafe<{ process_id: string; n: bigint; max: bigint }[]>(
          `SELECT process_id, count(*) AS n, max(nonce) AS max FROM results WHERE process_id = ANY($1) GROUP BY process_id`,
          pids,
        )
      ).map((r) => [r.process_id, [Number(r.n), Number(r.max)]]),
    );

  it('evaluates each process on its owner, each message once, and hands a leaving worker’s share to the other', async () => {
    await until('both workers beating', async () => (await owners.refresh(), owners.workers.length === 2), 20_000);
    const [a, b] = owners.workers;
    const info = (await platform.http().get('/info').expect(200)).body;
    const pids: string[] = [];
    for (let i = 0; i < PROCESSES; i++) {
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }, { name: 'N', value: String(i) }], CODE, info.modules['lua-5.4-aos']);
      await platform.mu(p.raw).expect(202);
      pids.push(p.id);
    }
    expect(new Set(pids.map((p) => owners.ownerOf(p))).size).toBe(2);
    const sendAll = async () => {
      const sent: { pid: string; id: string }[] = [];
      for (let round = 0; round < MESSAGES; round++) {
        for (const pid of pids) {
          const m = await messageItem(owner, pid, [{ name: 'Action', value: 'Inc' }]);
          await platform.mu(m.raw).expect(202);
          sent.push({ pid, id: m.id });
        }
      }
      return sent;
    };
    const sent = await sendAll();
    // The last message of each process answers with its count: each message was applied once.
    for (const pid of pids) {
      const last = sent.filter((s) => s.pid === pid).at(-1)!;
      expect((await platform.result(pid, last.id)).Messages[0].Data).toBe(String(MESSAGES));
    }
    expect([...(await results(pids)).values()]).toEqual(pids.map(() => [MESSAGES + 1, MESSAGES]));

    // Each worker's own queue ran only processes it owns; no evaluate job was delayed behind a lock.
    const queue = (name: string) => new Queue(name, { connection: { host: '127.0.0.1', port: 6379 }, prefix: t.env.REDIS_PREFIX });
    const [qa, qb, shared] = [queue(ownEvaluateQueue(a)), queue(ownEvaluateQueue(b)), queue(QUEUE_NAMES.evaluate)];
    try {
      const ran = async (q: Queue) => (await q.getJobs(['completed'])).map((j) => (j.data as { processId: string }).processId);
      const [ranA, ranB] = [await ran(qa), await ran(qb)];
      expect(ranA.length + ranB.length).toBeGreaterThan(0);
      expect(ranA.every((p) => owners.ownerOf(p) === a)).toBe(true);
      expect(ranB.every((p) => owners.ownerOf(p) === b)).toBe(true);
      expect(await shared.getJobCounts('delayed', 'failed')).toEqual({ delayed: 0, failed: 0 });
    } finally {
      await Promise.all([qa.close(), qb.close(), shared.close()]);
    }

    // The second worker leaves (a clean shutdown clears its heartbeat): the first takes every process.
    await second!.close();
    second = undefined;
    await until('one worker left', async () => (await owners.refresh(), owners.workers.length === 1), 20_000);
    // Kickers refresh their view every second.
    await new Promise((r) => setTimeout(r, 1_500));
    const more = await sendAll();
    for (const pid of pids) {
      const last = more.filter((s) => s.pid === pid).at(-1)!;
      expect((await platform.result(pid, last.id)).Messages[0].Data).toBe(String(2 * MESSAGES));
    }
    expect([...(await results(pids)).values()]).toEqual(pids.map(() => [2 * MESSAGES + 1, 2 * MESSAGES]));
  });
});

const WORKER = new URL('../apps/worker/dist/main.js', import.meta.url).pathname;

/**
 * A worker killed with SIGKILL leaves its own queue in Redis, with the jobs the API routed to it
 * before its heartbeat lapsed: once it lapses, the surviving worker drains that queue (its processes
 * go to their new owner) and removes it, and every message is still evaluated exactly once.
 */
describe('a SIGKILLed worker’s own queue', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let child: ChildProcess | undefined;
  let prisma: PrismaClient;
  let owners: EvaluationOwners;
  let owner: ItemSigner;
  let log = '';

  beforeAll(async () => {
    t = await createTestEnv({ HEARTBEAT_TIMEOUT_S: '3', RESULT_TIMEOUT_MS: '60000' });
    platform = await startTestPlatform(t.env);
    child = spawn(process.execPath, [WORKER], { env: { ...process.env, ...t.vars, WORKER_QUEUES: 'evaluate,push' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-10_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    prisma = createPrismaClient(t.env.DATABASE_URL);
    owners = new EvaluationOwners(platform.api.get<symbol, Heartbeats>(HEARTBEATS), 200);
    owner = newUser();
  });

  afterAll(async () => {
    owners?.close();
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all([platform?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  it('is drained into the live worker and removed once the heartbeat lapses; no message is lost or applied twice', async () => {
    const heartbeats = platform.api.get<symbol, Heartbeats>(HEARTBEATS);
    const killed = await until(
      'the child worker beating',
      async () => (await heartbeats.list('worker')).find((b) => b.pid === child!.pid)?.instance,
      60_000,
    ).catch((error: Error) => {
      console.log(log);
      throw error;
    });
    await until('both workers seen', async () => (await owners.refresh(), owners.workers.length === 2), 20_000);
    // Kickers refresh their view every second.
    await new Promise((r) => setTimeout(r, 1_500));

    const info = (await platform.http().get('/info').expect(200)).body;
    const pids: string[] = [];
    for (let i = 0; pids.filter((p) => owners.ownerOf(p) === killed).length < 4 || pids.length < 8; i++) {
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }, { name: 'N', value: String(i) }], CODE, info.modules['lua-5.4-aos']);
      await platform.mu(p.raw).expect(202);
      pids.push(p.id);
    }
    const send = async () => {
      const sent: { pid: string; id: string }[] = [];
      for (const pid of pids) {
        const m = await messageItem(owner, pid, [{ name: 'Action', value: 'Inc' }]);
        await platform.mu(m.raw).expect(202);
        sent.push({ pid, id: m.id });
      }
      return sent;
    };
    for (const s of await send()) expect((await platform.result(s.pid, s.id)).Messages[0].Data).toBe('1');

    // SIGKILL, then messages the API still routes to the dead worker's queue (its heartbeat has not lapsed).
    const exited = new Promise((r) => child!.once('exit', r));
    child!.kill('SIGKILL');
    await exited;
    const queueKeys = async () => {
      const redis = platform.api.get<symbol, Redis>(REDIS);
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${t.env.REDIS_PREFIX}:${ownEvaluateQueue(killed)}:*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      return keys;
    };
    const late = await send();
    expect((await queueKeys()).length).toBeGreaterThan(0);

    // Gone after the heartbeat timeout and the sweeps that confirm and drain it.
    await until('the dead worker’s queue removed', async () => (await queueKeys()).length === 0, 30_000);
    for (const s of late) expect((await platform.result(s.pid, s.id)).Messages[0].Data).toBe('2');
    const rows = await prisma.$queryRawUnsafe<{ process_id: string; n: bigint; max: bigint }[]>(
      `SELECT process_id, count(*) AS n, max(nonce) AS max FROM results WHERE process_id = ANY($1) GROUP BY process_id`,
      pids,
    );
    expect(rows.map((r) => [Number(r.n), Number(r.max)])).toEqual(pids.map(() => [3, 2]));
    expect(await queueKeys()).toEqual([]);
  });
});
