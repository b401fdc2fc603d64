// cu-replay: a token process's log of N Transfers, built by the real Scheduler (signed items,
// signed assignments, hash chain) into ao-core's InMemorySchedulerStore, replayed from genesis by
// the real ComputeUnit (parse each item, check the hash chain, evaluate, commit in batches of 500);
// then the same evaluation with checkpoints every CU_CHECKPOINT_INTERVAL nonces persisted in
// Postgres (gzip, PrismaCheckpointStore), and the cold start of a restarted ComputeUnit: newest
// checkpoint read, verified and resumed, the rest of the log replayed, the state hash served.
import { generateKeyPairSync } from 'node:crypto';
import {
  ComputeUnit,
  Ed25519ItemSigner,
  EvaluatorRegistry,
  InMemoryComputeStore,
  InMemorySchedulerStore,
  LuaEvaluatorFactory,
  Scheduler,
  aosModuleDef,
  createDataItem,
} from '@ao/core';
import { tokenBootCode } from '@ao/agents';
import { PrismaCheckpointStore, createPrismaClient, gzipCheckpointCodec, parseEnv } from '@ao/infra';
import { aoTags, benchStorage, mainIfScript, randomAnchor, repeat, row, summarize, transferTags } from './lib.js';

const USERS = 100;
const MODULE_ID = 'M'.repeat(43);

/**
 * The CU's in-memory ComputeStore, able to hide the log's tail (to stop one entry before a
 * checkpoint) and failing loudly on a result with an Error (the workload has none).
 */
class BenchComputeStore extends InMemoryComputeStore {
  async readLog(processId, afterNonce, limit) {
    const entries = await super.readLog(processId, afterNonce, limit);
    return this.visibleTo === undefined ? entries : entries.filter((e) => e.nonce <= this.visibleTo);
  }
  async commit(processId, results, stateHash) {
    for (const r of results) if (r.result.Error !== undefined) throw new Error(`nonce ${r.nonce} failed: ${r.result.Error}`);
    await super.commit(processId, results, stateHash);
    if (stateHash) this.stateHash = stateHash;
  }
}

/** Builds the log: a token Process item (slot 0) and `count` signed Transfers, through Scheduler.scheduleVerified. */
async function buildLog(count, log) {
  const su = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
  const users = Array.from({ length: USERS }, () => new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey));
  const store = new InMemorySchedulerStore();
  const scheduler = new Scheduler({ store, signer: su, clock: { now: () => Date.now() }, heights: { blockHeight: async () => 1_000_000 } });
  const balances = Object.fromEntries(users.map((u) => [u.address, '1000000000000000']));
  const processItem = await createDataItem(
    {
      data: tokenBootCode({ name: 'Replay Coin', ticker: 'RPL', balances }),
      anchor: randomAnchor(),
      tags: [...aoTags('Process'), { name: 'Module', value: MODULE_ID }, { name: 'Scheduler', value: su.address }, { name: 'On-Boot', value: 'Data' }],
    },
    users[0],
  );
  await scheduler.scheduleVerified(processItem);
  const started = performance.now();
  for (let k = 0; k < count; k += 1) {
    const sender = users[k % USERS];
    const item = await createDataItem(
      { data: '', target: processItem.id, anchor: randomAnchor(), tags: transferTags(users[(k * 7 + 1) % USERS].address, 1 + (k % 100)) },
      sender,
    );
    await scheduler.scheduleVerified(item);
    if ((k + 1) % 20_000 === 0) log(`log: ${k + 1}/${count} messages signed and scheduled`);
  }
  return { store, processId: processItem.id, su, buildSeconds: (performance.now() - started) / 1000 };
}

export const bench = {
  name: 'cu-replay',
  async run({ quick, log }) {
    const count = quick ? 5_000 : 100_000;
    const runs = quick ? 1 : 3;
    const env = parseEnv({});
    const limits = { gas: env.CU_GAS_DEFAULT, memoryBytes: env.CU_MEMORY_DEFAULT };
    log(`building a log of ${count} transfers (Scheduler + InMemorySchedulerStore)`);
    const { store, processId, su, buildSeconds } = await buildLog(count, log);
    log(`log built in ${buildSeconds.toFixed(1)} s`);

    const factory = new LuaEvaluatorFactory();
    let instance;
    const recording = {
      formats: factory.formats,
      async create(mod, processEnv, processLimits, checkpoint) {
        instance = await factory.create(mod, processEnv, processLimits, checkpoint);
        return instance;
      },
    };
    const modules = { load: async (id) => aosModuleDef(id) };
    const options = { maxLive: 64, batchSize: 500, defaults: limits, maxima: { gas: env.CU_GAS_MAX, memoryBytes: env.CU_MEMORY_MAX }, platformAddresses: [su.address] };

    let last;
    const rates = await repeat(
      runs,
      async () => {
        const computeStore = new BenchComputeStore(store);
        const cu = new ComputeUnit(computeStore, modules, new EvaluatorRegistry().register(recording), options);
        const started = performance.now();
        const report = await cu.evaluate(processId);
        const seconds = (performance.now() - started) / 1000;
        if (report.evaluated !== count + 1 || computeStore.committed !== count + 1) throw new Error(`replayed ${report.evaluated} of ${count + 1} slots`);
        if (last) last.cu.close();
        last = { cu, seconds, stateHash: computeStore.stateHash, instance };
        return (count + 1) / seconds;
      },
      { log },
    );

    const expected = await last.instance.stateHash();
    if (expected !== last.stateHash) throw new Error('state hash of the live instance differs from the committed one');
    last.cu.close();
    const replay = summarize(rates);

    // The same evaluation with checkpoints persisted in Postgres every `interval` nonces.
    const interval = env.CU_CHECKPOINT_INTERVAL || 1000;
    const storage = await benchStorage();
    const prisma = createPrismaClient(storage.databaseUrl, 4);
    try {
      const saved = [];
      const checkpoints = {
        store: new PrismaCheckpointStore(prisma, env.CU_CHECKPOINT_KEEP),
        codec: gzipCheckpointCodec,
        events: { saved: (c) => saved.push(c), saveFailed: (f) => log(`checkpoint at ${f.nonce} not saved: ${f.error.message}`) },
      };
      const withCheckpoints = { ...options, checkpointInterval: interval };
      const computeStore = new BenchComputeStore(store);
      const writer = new ComputeUnit(computeStore, modules, new EvaluatorRegistry().register(factory), withCheckpoints, checkpoints);
      // In two steps, to know the state hash one entry before the head: the worst case of a
      // restart is a head just before a checkpoint (interval - 1 entries to replay).
      let started = performance.now();
      computeStore.visibleTo = count - 1;
      await writer.evaluate(processId);
      const hashBeforeHead = computeStore.stateHash;
      computeStore.visibleTo = undefined;
      await writer.evaluate(processId);
      await writer.flush();
      const checkpointedSeconds = (performance.now() - started) / 1000;
      writer.close();
      if (computeStore.stateHash !== expected) throw new Error('evaluation with checkpoints reached another state');
      if (saved.length !== Math.floor(count / interval)) throw new Error(`${saved.length} checkpoints saved, ${Math.floor(count / interval)} expected`);
      log(`evaluated with ${saved.length} checkpoints in ${checkpointedSeconds.toFixed(1)} s`);

      // Restarts: a new ComputeUnit (nothing live) serving the state hash at a head.
      const coldStartAt = async (head, hash) => {
        let replayed = 0;
        const ms = await repeat(quick ? 3 : 7, async () => {
          const restarted = new BenchComputeStore(store);
          restarted.heads.set(processId, { nonce: head });
          const cu = new ComputeUnit(restarted, modules, new EvaluatorRegistry().register(new LuaEvaluatorFactory()), withCheckpoints, checkpoints);
          const begun = performance.now();
          const state = await cu.stateHash(processId);
          const elapsed = performance.now() - begun;
          if (state.hash !== hash || state.nonce !== head) throw new Error(`the restarted ComputeUnit served another state at ${head}`);
          if (cu.checkpointStats.restored !== 1) throw new Error('the restarted ComputeUnit did not resume a checkpoint');
          replayed = cu.checkpointStats.lastColdStartReplayed;
          cu.close();
          return elapsed;
        });
        return { ms: summarize(ms), replayed };
      };
      // PrismaCheckpointStore keeps the newest few: the one below `count - 1` is among them.
      const worst = await coldStartAt(count - 1, hashBeforeHead);
      const best = await coldStartAt(count, expected);
      const coldStart = worst.ms;
      const replayed = worst.replayed;
      const snapshotMs = summarize(saved.map((c) => c.captureMs + c.saveMs));
      const captureMs = summarize(saved.map((c) => c.captureMs));
      const sizeKiB = summarize(saved.map((c) => c.size / 1024));
      const rawMiB = saved[saved.length - 1].rawSize / 2 ** 20;
      const checkpointedRate = summarize([(count + 1) / checkpointedSeconds]);
      return {
        rows: [
          row(`cu-replay: ${count.toLocaleString('en-US')} messages from genesis`, replay, 'msg/s', {
            note: `token Transfers from ${USERS} signers; ComputeUnit with an in-memory ComputeStore over InMemorySchedulerStore (slotOfMessage indexed); replay ${(count / replay.median).toFixed(1)} s; log built in ${buildSeconds.toFixed(1)} s`,
          }),
          row(`cu-replay: same, checkpoint every ${interval.toLocaleString('en-US')} to Postgres`, checkpointedRate, 'msg/s', {
            anchor: 'replay without checkpoints',
            anchorFigure: replay,
            note: `${saved.length} checkpoints (gzip level 1, PrismaCheckpointStore keeping ${env.CU_CHECKPOINT_KEEP}); saves run beside evaluation, a commit past a checkpoint waits for its save`,
          }),
          row(`cu-replay: cold start after restart, ${count.toLocaleString('en-US')} messages`, coldStart, 'ms', {
            note: `worst case, head one entry before a checkpoint; new ComputeUnit, nothing live: newest checkpoint read from Postgres, gunzipped, SHA-256 and chain link checked, resumed, state hash verified, ${replayed} entries replayed, state hash served (target ≤ 5,000 ms)`,
          }),
          row(`cu-replay: cold start at a checkpoint, ${count.toLocaleString('en-US')} messages`, best.ms, 'ms', {
            note: `same, head exactly at a checkpoint: ${best.replayed} entries replayed`,
          }),
          row('cu-replay: time per snapshot (capture + gzip + insert)', snapshotMs, 'ms', {
            note: `capture alone (heap image + its SHA-256; blocks evaluation, as does one state hash) median ${captureMs.median?.toFixed(1)} ms; the rest runs in the background`,
          }),
          row('cu-replay: snapshot size (gzip)', sizeKiB, 'KiB', { note: `raw image ${rawMiB.toFixed(2)} MiB (the process's WebAssembly heap)` }),
        ],
        details: {
          count,
          runs,
          buildSeconds,
          replay,
          interval,
          checkpoints: saved.length,
          checkpointedSeconds,
          coldStartMs: coldStart,
          coldStartReplayed: replayed,
          coldStartAtCheckpointMs: best.ms,
          snapshotMs,
          captureMs,
          snapshotKiB: sizeKiB,
          rawSnapshotBytes: saved[saved.length - 1].rawSize,
        },
      };
    } finally {
      await prisma.$disconnect();
      await storage.cleanup();
    }
  },
};

await mainIfScript(import.meta, bench);
