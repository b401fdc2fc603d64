// cu-replay: a token process's log of N Transfers, built by the real Scheduler (signed items,
// signed assignments, hash chain) into ao-core's InMemorySchedulerStore, replayed from genesis by
// the real ComputeUnit (parse each item, check the hash chain, evaluate, commit in batches of 500);
// then the cold start from a checkpoint of the final state instead of the replay.
import { generateKeyPairSync } from 'node:crypto';
import {
  ComputeUnit,
  Ed25519ItemSigner,
  EvaluatorRegistry,
  InMemorySchedulerStore,
  LuaEvaluatorFactory,
  Scheduler,
  aosModuleDef,
  createDataItem,
} from '@ao/core';
import { tokenBootCode } from '@ao/agents';
import { parseEnv } from '@ao/infra';
import { aoTags, mainIfScript, randomAnchor, repeat, row, summarize, transferTags } from './lib.js';

const USERS = 100;
const MODULE_ID = 'M'.repeat(43);

/** The CU's ComputeStore over the SU's log, with heads and results in memory (results are counted, not kept). */
class MemoryComputeStore {
  constructor(log) {
    this.log = log;
    this.heads = new Map();
    this.committed = 0;
    this.batches = 0;
    this.stateHash = undefined;
  }
  getProcess(id) {
    return this.log.getProcess(id);
  }
  async readLog(processId, afterNonce, limit) {
    return (await this.log.readLog(processId, { fromNonce: afterNonce, limit })).entries;
  }
  async evaluationHead(processId) {
    return this.heads.get(processId) ?? { nonce: -1 };
  }
  async commit(processId, results, stateHash) {
    for (const r of results) if (r.result.Error !== undefined) throw new Error(`nonce ${r.nonce} failed: ${r.result.Error}`);
    this.heads.set(processId, { nonce: results[results.length - 1].nonce });
    this.committed += results.length;
    this.batches += 1;
    if (stateHash) this.stateHash = stateHash;
  }
  async markBroken(processId, nonce, error) {
    this.heads.set(processId, { nonce: nonce - 1, error });
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
    let created;
    const recording = {
      formats: factory.formats,
      async create(mod, processEnv, processLimits, checkpoint) {
        created = { mod, env: processEnv, limits: processLimits };
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
        const computeStore = new MemoryComputeStore(store);
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

    // Cold start from a checkpoint of the replayed state, instead of replaying.
    const image = await last.instance.checkpoint();
    const expected = await last.instance.stateHash();
    if (expected !== last.stateHash) throw new Error('state hash of the live instance differs from the committed one');
    last.cu.close();
    let restoredHash;
    const restoreMs = await repeat(quick ? 3 : 11, async () => {
      const started = performance.now();
      const restored = await factory.create(created.mod, created.env, created.limits, image);
      const ms = performance.now() - started;
      restoredHash = await restored.stateHash();
      restored.close();
      return ms;
    });
    const replay = summarize(rates);
    const coldStart = summarize(restoreMs);
    const same = restoredHash === expected;
    return {
      rows: [
        row(`cu-replay: ${count.toLocaleString('en-US')} messages from genesis`, replay, 'msg/s', {
          note: `token Transfers from ${USERS} signers; ComputeUnit with an in-memory ComputeStore over InMemorySchedulerStore; replay ${(count / replay.median).toFixed(1)} s; log built in ${buildSeconds.toFixed(1)} s`,
        }),
        row('cu-replay: cold start from checkpoint', coldStart, 'ms', {
          note: `checkpoint of the state after ${count.toLocaleString('en-US')} messages: ${(image.length / 2 ** 20).toFixed(2)} MiB; ${same ? 'restored state hash equals the replayed one' : 'WARNING: restored state hash differs'}`,
        }),
      ],
      details: { count, runs, buildSeconds, replay, coldStartMs: coldStart, checkpointBytes: image.length, restoredHashMatches: same },
    };
  },
};

await mainIfScript(import.meta, bench);
