// memory: (1) RSS per idle live process: N token processes are created by the CU's evaluator and
// booted, then left idle; RSS growth / N, sampled along the way; stops early (and says so) when a
// time or memory budget runs out. (2) Processes held by one worker: N token processes evaluated by
// one ComputeUnit as the worker runs it (CU_MAX_LIVE live, the rest checkpointed to PostgreSQL on
// eviction); RSS once they are all idle, and the cold start of an evicted one.
import { freemem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateKeyPairSync } from 'node:crypto';
import {
  ComputeUnit,
  Ed25519ItemSigner,
  EvaluatorRegistry,
  InMemoryComputeStore,
  InMemorySchedulerStore,
  LuaEvaluatorFactory,
  MessageFactory,
  Scheduler,
  aosModuleDef,
  createDataItem,
  testEnv,
} from '@ao/core';
import { tokenBootCode } from '@ao/agents';
import { PrismaCheckpointStore, createPrismaClient, gzipCheckpointCodec, parseEnv } from '@ao/infra';
import { defaultLimits } from './cu-eval.js';
import { aoTags, benchStorage, mainIfScript, randomAnchor, row, sleep, summarize } from './lib.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const MiB = 2 ** 20;

async function settledRss() {
  gc();
  await sleep(50);
  gc();
  return process.memoryUsage().rss;
}

/** Three settled RSS readings half a second apart, in MiB: the reading's own noise as a spread. */
async function idleRss() {
  const readings = [];
  for (let i = 0; i < 3; i += 1) {
    if (i) await sleep(500);
    readings.push((await settledRss()) / MiB);
  }
  return summarize(readings);
}

/** Part 1: every process live at once. */
async function liveProcesses({ quick, log }) {
    const target = quick ? 200 : 10_000;
    // Creating slows down as live processes pile up: the budget, not the target, ends a full run
    // (the row says how many were reached).
    const timeBudgetMs = quick ? 30_000 : 75_000;
    const rssBudget = Math.min(16 * 2 ** 30, freemem() * 0.5);
    // Budgets may stop the run early: sample often enough to have a spread anyway.
    const sampleEvery = Math.min(Math.ceil(target / 10), 200);
    const factory = new LuaEvaluatorFactory();
    const limits = defaultLimits();
    const bootCode = tokenBootCode({ name: 'Idle Coin', ticker: 'IDLE', balances: { 'account-a': '1000', 'account-b': '2000' } });
    const create = async (i) => {
      const env = testEnv([{ name: 'On-Boot', value: 'Data' }], `idle-process-${String(i).padStart(30, '0')}`);
      const instance = await factory.create(aosModuleDef(), env, limits);
      const boot = await instance.evaluate(new MessageFactory(env).processMessage(bootCode));
      if (boot.Error !== undefined) throw new Error(`boot failed: ${boot.Error}`);
      return instance;
    };

    // The first process pays for compiling the WebAssembly module: not part of any process's cost.
    (await create(-1)).close();
    const base = await settledRss();
    const live = [];
    const createMs = [];
    const perProcess = [];
    const started = performance.now();
    let stoppedBy = null;
    log(`creating up to ${target} processes (budget ${timeBudgetMs / 1000} s, ${(rssBudget / 2 ** 30).toFixed(1)} GiB RSS)`);
    while (live.length < target) {
      const t0 = performance.now();
      live.push(await create(live.length));
      createMs.push(performance.now() - t0);
      if (live.length % sampleEvery === 0) {
        const rss = await settledRss();
        perProcess.push((rss - base) / live.length / MiB);
        log(`${live.length} live: ${perProcess.at(-1).toFixed(2)} MiB/process, last create+boot ${createMs.at(-1).toFixed(1)} ms`);
      }
      if (performance.now() - started > timeBudgetMs) stoppedBy = 'time budget';
      else if (process.memoryUsage().rss > rssBudget) stoppedBy = 'memory budget';
      if (stoppedBy) break;
    }
    await sleep(1000); // idle
    const rss = await settledRss();
    const n = live.length;
    perProcess.push((rss - base) / n / MiB);
    const stats = live[0].stats();
    for (const p of live) p.close();

    const tenth = Math.max(1, Math.floor(n / 10));
    const first = summarize(createMs.slice(0, tenth));
    const last = summarize(createMs.slice(-tenth));
    const reached = stoppedBy ? `stopped by the ${stoppedBy} at ${n.toLocaleString('en-US')} of the ${target.toLocaleString('en-US')} processes targeted` : `${n.toLocaleString('en-US')} processes`;
    return {
      rows: [
        row(`memory: RSS per idle process, ${n.toLocaleString('en-US')} live`, summarize(perProcess), 'MiB', {
          note: `${reached}; token processes booted then idle; RSS growth / N sampled every ${sampleEvery} processes and at the end; each process: ${(stats.linearMemoryBytes / MiB).toFixed(0)} MiB of WebAssembly memory (mostly untouched), ${(stats.luaMemoryBytes / MiB).toFixed(2)} MiB used by Lua, a ${(stats.restorePointBytes / MiB).toFixed(2)} MiB restore point held in JS; total RSS ${(rss / 2 ** 30).toFixed(2)} GiB`,
        }),
        row(`memory: create + boot with ${n.toLocaleString('en-US')} live`, last, 'ms', {
          anchor: 'same, first tenth of the processes',
          anchorFigure: first,
          note: 'per process, over the last tenth created',
        }),
      ],
      details: { target, reached: n, stoppedBy, baseRss: base, finalRss: rss, perProcessMiB: perProcess, createMsFirstTenth: first, createMsLastTenth: last, processStats: stats },
    };
}

/** Part 2: `count` processes held by one ComputeUnit with at most `maxLive` live, the rest as checkpoints in PostgreSQL. */
async function heldProcesses({ quick, log }) {
  // ~30 ms each (create + boot + checkpoint); past CU_MAX_LIVE the RSS stays about flat (the
  // note lists it along the way), which 1,000 show. BENCH_MEMORY_HELD=10000 for the big figure.
  const count = Number(process.env.BENCH_MEMORY_HELD ?? (quick ? 300 : 1_000));
  const env = parseEnv({});
  const maxLive = env.CU_MAX_LIVE;
  const storage = await benchStorage();
  const prisma = createPrismaClient(storage.databaseUrl, 4);
  try {
    const su = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
    const owner = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
    const suLog = new InMemorySchedulerStore();
    const scheduler = new Scheduler({ store: suLog, signer: su, clock: { now: () => Date.now() }, heights: { blockHeight: async () => 1_000_000 } });
    const compute = new InMemoryComputeStore(suLog);
    const checkpoints = new PrismaCheckpointStore(prisma, env.CU_CHECKPOINT_KEEP);
    const limits = defaultLimits();
    const cu = new ComputeUnit(
      compute,
      { load: async (id) => aosModuleDef(id) },
      new EvaluatorRegistry().register(new LuaEvaluatorFactory()),
      { maxLive, batchSize: 500, defaults: limits, maxima: { gas: env.CU_GAS_MAX, memoryBytes: env.CU_MEMORY_MAX }, platformAddresses: [su.address], checkpointInterval: env.CU_CHECKPOINT_INTERVAL },
      { store: checkpoints, codec: gzipCheckpointCodec },
    );
    const bootCode = tokenBootCode({ name: 'Held Coin', ticker: 'HELD', balances: { [owner.address]: '1000' } });
    const moduleId = 'M'.repeat(43);
    const base = await idleRss();
    const ids = [];
    const started = performance.now();
    log(`held: ${count} processes through one ComputeUnit (${maxLive} live at most, checkpoints in PostgreSQL)`);
    const samples = [];
    for (let i = 0; i < count; i += 1) {
      const item = await createDataItem(
        { data: bootCode, anchor: randomAnchor(), tags: [...aoTags('Process'), { name: 'Module', value: moduleId }, { name: 'Scheduler', value: su.address }, { name: 'On-Boot', value: 'Data' }] },
        owner,
      );
      await scheduler.scheduleVerified(item);
      const report = await cu.evaluate(item.id);
      if (report.errors > 0) throw new Error(`boot of ${item.id} failed`);
      ids.push(item.id);
      if ((i + 1) % Math.max(1, Math.floor(count / 5)) === 0) {
        samples.push({ n: i + 1, rss: await settledRss() });
        log(`held: ${i + 1}/${count}, RSS ${(samples.at(-1).rss / MiB).toFixed(0)} MiB, ${((performance.now() - started) / (i + 1)).toFixed(1)} ms per process`);
      }
    }
    await cu.flush();
    const perProcessMs = (performance.now() - started) / count;
    await sleep(1000); // idle
    const rss = await idleRss();
    // Cold starts: evicted processes (the first ones) made live again from their checkpoints.
    const cold = [];
    for (let i = 0; i < Math.min(20, count - maxLive); i += 1) {
      const t0 = performance.now();
      await cu.stateHash(ids[i * Math.floor((count - maxLive) / 20)]);
      cold.push(performance.now() - t0);
    }
    const stored = await prisma.$queryRaw`SELECT count(*)::int AS n, coalesce(sum(size), 0)::bigint AS bytes FROM cu_checkpoints`;
    cu.close();
    const n = count.toLocaleString('en-US');
    return {
      rows: [
        row(`memory: RSS of one worker holding ${n} idle processes`, rss, 'MiB', {
          anchor: 'RSS before the first process',
          anchorFigure: base,
          note: `one ComputeUnit, CU_MAX_LIVE=${maxLive} live, the others evicted to ${stored[0].n.toLocaleString('en-US')} checkpoints in PostgreSQL (${(Number(stored[0].bytes) / MiB).toFixed(0)} MiB gzip); RSS along the way ${samples.map((x) => `${x.n}: ${(x.rss / MiB).toFixed(0)}`).join(', ')} MiB; ${perProcessMs.toFixed(1)} ms per process to create, boot and evict`,
        }),
        row(`memory: cold start of an evicted process, ${n} held`, summarize(cold), 'ms', { note: 'restored from its checkpoint (SHA-256 and state hash checked), nothing to replay' }),
      ],
      details: { count, maxLive, baseRssMiB: base, finalRssMiB: rss, samples, coldStartMs: cold, checkpoints: { count: stored[0].n, bytes: Number(stored[0].bytes) }, perProcessMs },
    };
  } finally {
    await prisma.$disconnect();
    await storage.cleanup();
  }
}

export const bench = {
  name: 'memory',
  async run(options) {
    // Held first: its RSS baseline must not carry what thousands of live processes left behind.
    // BENCH_MEMORY_ONLY=held|live runs one part.
    const only = process.env.BENCH_MEMORY_ONLY;
    const held = only === 'live' ? undefined : await heldProcesses(options);
    const live = only === 'held' ? undefined : await liveProcesses(options);
    return { rows: [...(live?.rows ?? []), ...(held?.rows ?? [])], details: { live: live?.details, held: held?.details } };
  },
};

await mainIfScript(import.meta, bench);
