import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler, type SchedulerStore } from '@ao/core';
import {
  ArweaveGateway,
  CronRegistry,
  CronTicker,
  PipelineQueues,
  PrismaSchedulerStore,
  createItemSigner,
  createPrismaClient,
  createTickSigner,
  loadWallets,
  type PrismaClient,
} from '@ao/infra';
import { newUser, processItem } from './support/items.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const MINUTE = 60_000;

/**
 * The cron adapters against real Postgres and Redis, with the crashes the e2e run cannot time:
 * concurrent emitters, a worker dying between the SU and its own bookkeeping, a cron service
 * dying between its claim and the enqueue.
 */
describe('cron recovery: exactly once across crashes', () => {
  let t: TestEnv;
  let prisma: PrismaClient;
  let pipeline: PipelineQueues;
  let store: SchedulerStore;
  let scheduler: Scheduler;
  let ticker: CronTicker;
  let signer: ReturnType<typeof createTickSigner>;

  beforeAll(async () => {
    t = await createTestEnv();
    prisma = createPrismaClient(t.env.DATABASE_URL);
    pipeline = new PipelineQueues(t.env);
    const wallets = await loadWallets(t.env);
    store = new PrismaSchedulerStore(prisma);
    scheduler = new Scheduler({ store, signer: createItemSigner(wallets.signing), clock: { now: () => Date.now() }, heights: { blockHeight: async () => 1 } });
    ticker = new CronTicker(prisma, pipeline);
    signer = createTickSigner(wallets.signing);
  });

  afterAll(async () => {
    await pipeline?.close();
    await prisma?.$disconnect();
    await t?.cleanup();
  });

  it('puts each claimed tick on the SU once, whoever emits it and however often', async () => {
    const proc = await processItem(newUser(), scheduler.address, [{ name: 'Cron-Interval', value: '1-minute' }, { name: 'Cron-Tag-Action', value: 'Tick' }]);
    await scheduler.schedule(proc.raw);
    const origin = (await store.getProcess(proc.id))!.timestamp;
    const registry = new CronRegistry(prisma, store, new ArweaveGateway(t.env.ARWEAVE_URL), 1_000, 'catch-up', () => origin + 10_000);
    await registry.monitor(proc.id);

    // The service was down 3.5 minutes: catch-up claims three ticks, once, however many replicas plan.
    const claims = await Promise.all([1, 2, 3].map(() => ticker.plan(origin + 3.5 * MINUTE, async () => 0)));
    expect(claims.reduce((a, b) => a + b, 0)).toBe(3);
    const job = { processId: proc.id, interval: '1-minute', tick: origin + 3 * MINUTE };
    expect((await pipeline.cron.getJobs(['waiting'])).map((j) => j.data)).toEqual([job]);

    // Two workers on the same job: the row lock lets one emit, in tick order; the other finds nothing left.
    const [a, b] = await Promise.all([ticker.emit(job, scheduler, signer), ticker.emit(job, scheduler, signer)]);
    const emitted = [...a, ...b];
    expect(emitted.map((e) => [e.tick, e.nonce])).toEqual([1, 2, 3].map((k) => [origin + k * MINUTE, k]));

    // A worker that died after the SU stored the tick but before recording it: the retry makes the
    // same message (deterministic content and signature), which the SU answers with its first slot.
    await prisma.cronTick.update({
      where: { processId_interval_tick: { processId: proc.id, interval: '1-minute', tick: emitted[2].tick } },
      data: { messageId: null, nonce: null },
    });
    expect(await ticker.emit(job, scheduler, signer)).toEqual([emitted[2]]);
    const log = await store.readLog(proc.id, { limit: 100 });
    expect(log.entries.map((e) => e.nonce)).toEqual([0, 1, 2, 3]);

    // A cron service that died between its claim and the enqueue: the claim is enqueued again once stale.
    await pipeline.cron.obliterate({ force: true });
    await prisma.$executeRaw`
      INSERT INTO cron_ticks (process_id, "interval", tick, missed, created_at)
      VALUES (${proc.id}, '1-minute', ${origin + 4 * MINUTE}, 0, now() - interval '1 minute')`;
    await prisma.cronRegistration.update({ where: { processId_interval: { processId: proc.id, interval: '1-minute' } }, data: { lastTick: origin + 4 * MINUTE } });
    expect(await ticker.plan(origin + 4.5 * MINUTE, async () => 0)).toBe(0);
    expect((await pipeline.cron.getJobs(['waiting'])).map((j) => j.data)).toEqual([{ ...job, tick: origin + 4 * MINUTE }]);
  });
});
