// cu-replay: a token process's log of N Transfers, built by the real Scheduler (signed items,
// signed assignments, hash chain) into ao-core's InMemorySchedulerStore (token-log.js: built once,
// cached, shared with verify), replayed from genesis by the real ComputeUnit (parse each item,
// check the hash chain, evaluate, commit in batches of 500);
// then the same evaluation with checkpoints every CU_CHECKPOINT_INTERVAL nonces persisted in
// Postgres (gzip, PrismaCheckpointStore), and the cold start of a restarted ComputeUnit: newest
// checkpoint read, verified and resumed, the rest of the log replayed, the state hash served.
import { ComputeUnit, EvaluatorRegistry, InMemoryComputeStore, LuaEvaluatorFactory, aosModuleDef } from '@ao/core';
import { PrismaCheckpointStore, createPrismaClient, gzipCheckpointCodec, parseEnv } from '@ao/infra';
import { benchStorage, mainIfScript, repeat, row, summarize } from './lib.js';
import { tokenLog } from './token-log.js';

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

export const bench = {
  name: 'cu-replay',
  async run({ quick, log }) {
    const count = quick ? 5_000 : 100_000;
    const runs = quick ? 1 : 3;
    const env = parseEnv({});
    const limits = { gas: env.CU_GAS_DEFAULT, memoryBytes: env.CU_MEMORY_DEFAULT };
    const signed = await tokenLog(count, log);
    const { processId } = signed;
    const store = await signed.newStore();

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
    const options = { maxLive: 64, batchSize: 500, defaults: limits, maxima: { gas: env.CU_GAS_MAX, memoryBytes: env.CU_MEMORY_MAX }, platformAddresses: [signed.suAddress] };

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
      let saved = [];
      const checkpoints = {
        store: new PrismaCheckpointStore(prisma, env.CU_CHECKPOINT_KEEP),
        codec: gzipCheckpointCodec,
        events: { saved: (c) => saved.push(c), saveFailed: (f) => log(`checkpoint at ${f.nonce} not saved: ${f.error.message}`) },
      };
      const withCheckpoints = { ...options, checkpointInterval: interval };
      let hashBeforeHead;
      // Each run from an empty checkpoint table; the restarts below use the last run's checkpoints.
      const checkpointedRates = await repeat(
        runs > 1 ? 2 : 1,
        async () => {
          saved = [];
          await prisma.$executeRaw`DELETE FROM cu_checkpoints`;
          const computeStore = new BenchComputeStore(store);
          const writer = new ComputeUnit(computeStore, modules, new EvaluatorRegistry().register(factory), withCheckpoints, checkpoints);
          // In two steps, to know the state hash one entry before the head: the worst case of a
          // restart is a head just before a checkpoint (interval - 1 entries to replay).
          const started = performance.now();
          computeStore.visibleTo = count - 1;
          await writer.evaluate(processId);
          hashBeforeHead = computeStore.stateHash;
          computeStore.visibleTo = undefined;
          await writer.evaluate(processId);
          await writer.flush();
          const seconds = (performance.now() - started) / 1000;
          writer.close();
          if (computeStore.stateHash !== expected) throw new Error('evaluation with checkpoints reached another state');
          if (saved.length !== Math.floor(count / interval)) throw new Error(`${saved.length} checkpoints saved, ${Math.floor(count / interval)} expected`);
          log(`evaluated with ${saved.length} checkpoints in ${seconds.toFixed(1)} s`);
          return (count + 1) / seconds;
        },
      );

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
      const checkpointedRate = summarize(checkpointedRates);
      return {
        rows: [
          row(`cu-replay: ${count.toLocaleString('en-US')} messages from genesis`, replay, 'msg/s', {
            note: `token Transfers from ${signed.userAddresses.length} signers; ComputeUnit with an in-memory ComputeStore over InMemorySchedulerStore (slotOfMessage indexed); replay ${(count / replay.median).toFixed(1)} s; log signed and scheduled in ${signed.buildSeconds.toFixed(1)} s (${signed.cached ? 'by an earlier run, read from its cache file' : 'this run, then cached'})`,
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
          buildSeconds: signed.buildSeconds,
          logSource: signed.source,
          replay,
          interval,
          checkpoints: saved.length,
          checkpointedRate,
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
