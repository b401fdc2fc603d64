// cron: tick lag with many cron processes. The processes are scheduled straight through the SU's
// use case (Scheduler + PrismaSchedulerStore, as POST /su does) and registered the way POST
// /mu/monitor does (CronRegistry.monitor); then the real cron service (CronModule: claims due
// ticks in Postgres every second) and the real worker's cron stage (emits each tick as a signed
// message through the SU) run until every tick due in the measured window is scheduled. Lag = the
// tick's SU timestamp (its assignment's Timestamp) minus its due time.
// The processes' creation times are spread evenly over one interval, so the ticks are too: the
// offered load is a steady processes / interval ticks per second.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Scheduler, createDataItem } from '@ao/core';
import { ArweaveGateway, CronRegistry, PrismaSchedulerStore, createItemSigner, createPrismaClient, loadOrCreateWallet, loadWallets, parseEnv } from '@ao/infra';
import { CronModule } from '@ao/cron/dist/cron.module.js';
import { WorkerModule } from '@ao/worker/dist/worker.module.js';
import { aoTags, benchStorage, mainIfScript, newUser, percentile, pool, row, sleep, startGatewayProcess, summarize, tempDir } from './lib.js';

// Registrations in flight (each waits on Postgres round trips), within the client's pool.
const PARALLEL = 16;

/** `count` cron processes with creation times spread over the last `periodMs`, scheduled and monitored. */
async function createProcesses({ env, prisma, gateway, count, interval, periodMs, log }) {
  const wallets = await loadWallets(env);
  const store = new PrismaSchedulerStore(prisma);
  const base = Date.now() - periodMs;
  // The SU stamps a Process item with its clock: this one hands out the spread creation times.
  const stamps = [];
  const scheduler = new Scheduler({ store, signer: createItemSigner(wallets.signing), clock: { now: () => stamps.shift() }, heights: gateway });
  const registry = new CronRegistry(prisma, store, gateway, env.CRON_MIN_INTERVAL_MS, env.CRON_MISSED_POLICY);
  const owner = await newUser();
  const started = performance.now();
  const items = [];
  for (let i = 0; i < count; i += 1) {
    items.push(
      await createDataItem(
        {
          data: `cron process ${i}`,
          tags: [
            ...aoTags('Process'),
            { name: 'Module', value: 'M'.repeat(43) },
            { name: 'Scheduler', value: scheduler.address },
            { name: 'Cron-Interval', value: interval },
            { name: 'Cron-Tag-Action', value: 'Tick' },
          ],
        },
        owner,
      ),
    );
  }
  const origins = new Map();
  await pool(count, PARALLEL, async (i) => {
    const origin = base + Math.floor((i * periodMs) / count);
    // Concurrent calls may take each other's stamp: the set of creation times stays the spread one.
    stamps.push(origin);
    const slot = await scheduler.scheduleVerified(items[i]);
    origins.set(slot.processId, slot.timestamp);
    await registry.monitor(slot.processId, owner.address);
    if ((i + 1) % 2000 === 0) log(`${i + 1}/${count} processes scheduled and monitored`);
  });
  return { origins, seconds: (performance.now() - started) / 1000 };
}

/** The ticks due in [from, to) of processes with these origins: process id and due time. */
function ticksDue(origins, periodMs, from, to) {
  const out = [];
  for (const [processId, origin] of origins) {
    for (let t = origin + Math.ceil((from - origin) / periodMs) * periodMs; t < to; t += periodMs) out.push({ processId, due: t });
  }
  return out;
}

/** SU timestamps of the scheduled ticks due in [from, to), by `processId:tick`, with their claim time. */
async function scheduledTicks(prisma, from, to) {
  const rows = await prisma.$queryRaw`
    SELECT t.process_id, t.tick, a.timestamp, t.created_at FROM cron_ticks t
    JOIN assignments a ON a.process_id = t.process_id AND a.nonce = t.nonce
    WHERE t.tick >= ${BigInt(from)} AND t.tick < ${BigInt(to)}`;
  return new Map(rows.map((r) => [`${r.process_id}:${r.tick}`, { scheduled: Number(r.timestamp), claimed: r.created_at.getTime() }]));
}

/** Cron ticks the SU scheduled (any due time) with a timestamp in [from, to). */
async function ticksScheduledDuring(prisma, from, to) {
  const [{ n }] = await prisma.$queryRaw`
    SELECT count(*)::int AS n FROM cron_ticks t JOIN assignments a ON a.process_id = t.process_id AND a.nonce = t.nonce
    WHERE a.timestamp >= ${BigInt(from)} AND a.timestamp < ${BigInt(to)}`;
  return n;
}

export const bench = {
  name: 'cron',
  async run({ quick, log }) {
    const count = quick ? 200 : 10_000;
    // 10,000 × 1 tick per 60 s (167/s) is beyond what the emitting side sustains on this machine
    // (every tick is an SU transaction): 5 minutes offers 33/s; the window is shorter than that.
    const interval = quick ? '20-seconds' : '5-minutes';
    const periodMs = quick ? 20_000 : 300_000;
    // The window is cut in parts, each giving its own percentiles: a median and a spread.
    const parts = 3;
    const windowMs = quick ? 9_000 : 30_000;
    const drainMs = quick ? 20_000 : 60_000;
    const offered = count / (periodMs / 1000);
    const storage = await benchStorage();
    const tmp = await tempDir('cron', { memory: true });
    const gw = await startGatewayProcess(join(tmp.dir, 'arlocal'));
    const apps = [];
    let prisma;
    try {
      await loadOrCreateWallet(join(tmp.dir, 'wallet.json'), 'ed25519');
      await loadOrCreateWallet(join(tmp.dir, 'arweave-wallet.json'), 'arweave');
      const env = parseEnv({
        NODE_ENV: 'production',
        IDENTITY_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'error',
        DATABASE_URL: storage.databaseUrl,
        REDIS_URL: storage.redisUrl,
        REDIS_PREFIX: storage.redisPrefix,
        ARWEAVE_URL: gw.url,
        WALLET_PATH: join(tmp.dir, 'wallet.json'),
        ARWEAVE_WALLET_PATH: join(tmp.dir, 'arweave-wallet.json'),
        EMBEDDED_SERVICES: 'never',
        // Only the stage under test: the evaluations and uploads the ticks ask for wait in Redis.
        WORKER_QUEUES: 'cron',
      });
      prisma = createPrismaClient(env.DATABASE_URL, PARALLEL);
      const gateway = new ArweaveGateway(gw.url);

      // Cron and worker first, as in production: registrations start ticking as they come.
      apps.push(await NestFactory.createApplicationContext(WorkerModule.forRoot(env), { logger: false }));
      apps.push(await NestFactory.createApplicationContext(CronModule.forRoot(env), { logger: false }));
      for (const app of apps) await app.init();

      log(`creating ${count.toLocaleString('en-US')} processes with Cron-Interval ${interval} (${offered.toFixed(1)} ticks/s offered)`);
      const created = await createProcesses({ env, prisma, gateway, count, interval, periodMs, log });
      log(`created and monitored in ${created.seconds.toFixed(1)} s`);

      // The window starts once every process is registered and the ticks that fell due while
      // registering (which competed with it for Postgres) are scheduled: the steady state.
      const backlogUntil = Date.now() + drainMs;
      let backlog;
      while ((backlog = await prisma.cronTick.count({ where: { nonce: null } })) > PARALLEL && Date.now() < backlogUntil) await sleep(500);
      log(`${backlog} claimed ticks waiting when the window opens`);
      const from = Date.now() + 1_000;
      const to = from + windowMs;
      const due = ticksDue(created.origins, periodMs, from, to);
      const expected = due.length;
      log(`measuring ticks due in the next ${windowMs / 1000} s (${expected} expected)`);
      await sleep(to - Date.now());
      let scheduled = await scheduledTicks(prisma, from, to);
      const drainUntil = Date.now() + drainMs;
      while (scheduled.size < expected && Date.now() < drainUntil) {
        await sleep(500);
        scheduled = await scheduledTicks(prisma, from, to);
      }
      const end = Date.now();
      const missing = expected - scheduled.size;
      log(`${scheduled.size}/${expected} ticks scheduled`);

      // A tick still not scheduled counts with the time it has waited so far: a lower bound.
      const partMs = windowMs / parts;
      const perPart = [];
      for (let k = 0; k < parts; k += 1) {
        const [a, b] = [from + k * partMs, from + (k + 1) * partMs];
        const mine = due.filter((d) => d.due >= a && d.due < b);
        const lags = mine.map((d) => (scheduled.get(`${d.processId}:${d.due}`)?.scheduled ?? end) - d.due);
        const claimLags = mine.filter((d) => scheduled.has(`${d.processId}:${d.due}`)).map((d) => scheduled.get(`${d.processId}:${d.due}`).claimed - d.due);
        const throughput = (await ticksScheduledDuring(prisma, a, b)) / (partMs / 1000);
        perPart.push({ ticks: mine.length, p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags), claimP50: percentile(claimLags, 50), throughput });
      }
      const over = (key) => summarize(perPart.map((x) => x[key]));
      const allLags = due.map((d) => (scheduled.get(`${d.processId}:${d.due}`)?.scheduled ?? end) - d.due);
      const setup = `${count.toLocaleString('en-US')} processes, Cron-Interval ${interval}, creation times spread over one interval: ${offered.toFixed(1)} ticks/s offered; ticks due in a ${windowMs / 1000} s window cut in ${parts} parts of ${partMs / 1000} s (~${Math.round(expected / parts)} ticks each): figures are the median (min–max) of the parts' own figures; over the whole window, lag p50 ${Math.round(percentile(allLags, 50))} ms and p99 ${Math.round(percentile(allLags, 99))} ms`;
      const shortfall = missing > 0 ? `; ${missing} of ${expected} ticks NOT scheduled ${drainMs / 1000} s after the window: counted with the time waited, so the lag figures are lower bounds` : '';
      const waiting = backlog > PARALLEL ? `; ${backlog} claimed ticks were still waiting when the window opened (the emitting side fell behind while the processes were registered)` : '';
      return {
        rows: [
          row(`cron: tick lag p50, ${count.toLocaleString('en-US')} processes`, over('p50'), 'ms', {
            note: `${setup}; lag = the tick's SU timestamp - its due time; cron service (claims every second) and worker cron stage (concurrency 4) in this process, Postgres SU; ${created.seconds.toFixed(1)} s to schedule and monitor the processes${waiting}${shortfall}`,
          }),
          row(`cron: tick lag p99`, over('p99'), 'ms'),
          row(`cron: tick lag max`, over('max'), 'ms'),
          row(`cron: claim lag p50 (due → claimed in Postgres)`, over('claimP50'), 'ms'),
          row(`cron: ticks scheduled during the window`, over('throughput'), 'ticks/s', { anchor: 'offered', anchorFigure: summarize([offered]) }),
        ],
        details: { count, interval, periodMs, windowMs, parts: perPart, offered, expected, scheduled: scheduled.size, missing, backlog, createSeconds: created.seconds, lag: summarize(allLags) },
      };
    } finally {
      for (const app of apps.reverse()) await app.close().catch((e) => log(`close: ${e.message}`));
      await prisma?.$disconnect();
      await gw.stop();
      await storage.cleanup();
      await tmp.cleanup();
    }
  },
};

await mainIfScript(import.meta, bench);
