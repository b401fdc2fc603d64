import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDataItem } from '../data-item/create-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { InMemorySchedulerStore } from '../su/in-memory-scheduler.store.js';
import type { LogEntry, ProcessRecord, SchedulerStore } from '../su/ports.js';
import { Scheduler } from '../su/scheduler.js';
import type { Tag } from '../types.js';
import { type CheckpointEvents } from './checkpointer.js';
import { ComputeUnit, type ComputeUnitOptions } from './compute-unit.js';
import { EvaluatorRegistry, type EvaluatorFactory } from './evaluator.js';
import { InMemoryCheckpointStore } from './in-memory-checkpoint.store.js';
import { LuaEvaluatorFactory } from './lua/lua-evaluator.js';
import { aosModuleDef, DEFAULT_TEST_LIMITS } from './lua/testing.js';
import type { CommittedResult, ComputeStore, EvaluationHead } from './ports.js';

const MODULE_ID = 'M'.repeat(43);

/** A state that grows and shrinks, replies on some messages and rolls back on others. */
const BOOT = `
Count = 0
Store = {}
Recent = {}
Handlers.add("Op", "Op", function(msg)
  local k, v = msg.Key, tonumber(msg.Value)
  if msg.Kind == "set" then Store[k] = (Store[k] or 0) + v
  elseif msg.Kind == "del" then Store[k] = nil
  elseif msg.Kind == "push" then
    Recent[#Recent + 1] = k .. ":" .. string.rep("x", v % 40)
    if #Recent > 64 then table.remove(Recent, 1) end
  elseif msg.Kind == "fail" then
    Count = Count + 1000000
    Store[k] = "poison"
    error("refused " .. k)
  end
  Count = Count + 1
  if v % 3 == 0 then msg.reply({ Action = "Done", Count = tostring(Count), Data = tostring(Store[k]) }) end
end)
`;

/** mulberry32: a small seeded generator, so the log and the restore points are the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const aoTags = (type: string): Tag[] => [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: type },
];

/** A real SU log (signed items and assignments, hash chain) of a process with `count` messages after its Process message. */
async function buildLog(count: number, seed: number, log = new InMemorySchedulerStore()): Promise<{ log: SchedulerStore; processId: string; su: string }> {
  const random = rng(seed);
  const su = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
  const user = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
  let now = 1_700_000_000_000;
  const scheduler = new Scheduler({ store: log, signer: su, clock: { now: () => (now += 1000) }, heights: { blockHeight: async () => 1_000_000 } });
  const process = await createDataItem(
    { data: BOOT, tags: [...aoTags('Process'), { name: 'Module', value: MODULE_ID }, { name: 'Scheduler', value: su.address }, { name: 'On-Boot', value: 'Data' }] },
    user,
  );
  await scheduler.scheduleVerified(process);
  const kinds = ['set', 'set', 'set', 'del', 'push', 'push', 'fail'];
  for (let from = 0; from < count; from += 200) {
    const items = await Promise.all(
      Array.from({ length: Math.min(200, count - from) }, async (_, i) => {
        const tags = [
          ...aoTags('Message'),
          { name: 'Action', value: 'Op' },
          { name: 'Kind', value: kinds[Math.floor(random() * kinds.length)] },
          { name: 'Key', value: `k${Math.floor(random() * 300)}` },
          { name: 'Value', value: String(Math.floor(random() * 1000)) },
          { name: 'Seq', value: String(from + i) },
        ];
        return createDataItem({ data: '', target: process.id, tags }, user);
      }),
    );
    for (const item of items) await scheduler.scheduleVerified(item);
  }
  return { log, processId: process.id, su: su.address };
}

/** The CU's store over an SU log, with results kept as JSON text; `visibleTo` hides later entries (a log still growing). */
class MemoryComputeStore implements ComputeStore {
  readonly heads = new Map<string, EvaluationHead>();
  readonly results = new Map<number, string>();
  visibleTo = Number.POSITIVE_INFINITY;
  stateHash: string | undefined;

  constructor(private readonly log: SchedulerStore) {}

  getProcess(id: string): Promise<ProcessRecord | undefined> {
    return this.log.getProcess(id);
  }

  async readLog(processId: string, afterNonce: number, limit: number): Promise<LogEntry[]> {
    const { entries } = await this.log.readLog(processId, { fromNonce: afterNonce, limit });
    return entries.filter((e) => e.nonce <= this.visibleTo);
  }

  async evaluationHead(processId: string): Promise<EvaluationHead> {
    return this.heads.get(processId) ?? { nonce: -1 };
  }

  async commit(processId: string, results: CommittedResult[], stateHash: string | undefined): Promise<void> {
    for (const r of results) if (!this.results.has(r.nonce)) this.results.set(r.nonce, JSON.stringify(r.result));
    this.heads.set(processId, { nonce: results[results.length - 1].nonce });
    this.stateHash = stateHash;
  }

  async markBroken(processId: string, nonce: number, error: string): Promise<void> {
    this.heads.set(processId, { nonce: nonce - 1, error });
  }
}

/** The Lua factory, counting the messages its instances evaluate. */
function countingEvaluators(): { registry: EvaluatorRegistry; counts: { evaluations: number; resumes: number } } {
  const inner = new LuaEvaluatorFactory();
  const counts = { evaluations: 0, resumes: 0 };
  const factory: EvaluatorFactory = {
    formats: inner.formats,
    async create(mod, env, limits, checkpoint) {
      const instance = await inner.create(mod, env, limits, checkpoint);
      if (checkpoint) counts.resumes += 1;
      return {
        evaluate: (msg) => {
          counts.evaluations += 1;
          return instance.evaluate(msg);
        },
        dryRun: (msg) => instance.dryRun(msg),
        stateHash: () => instance.stateHash(),
        checkpoint: () => instance.checkpoint(),
        close: () => instance.close(),
      };
    },
  };
  return { registry: new EvaluatorRegistry().register(factory), counts };
}

const modules = { load: async (id: string) => aosModuleDef(id) };

function computeUnit(
  store: ComputeStore,
  checkpoints: InMemoryCheckpointStore | undefined,
  options: Partial<ComputeUnitOptions> = {},
  events?: CheckpointEvents,
) {
  const { registry, counts } = countingEvaluators();
  const cu = new ComputeUnit(
    store,
    modules,
    registry,
    { maxLive: 8, batchSize: 500, defaults: DEFAULT_TEST_LIMITS, maxima: DEFAULT_TEST_LIMITS, platformAddresses: [], ...options },
    checkpoints ? { store: checkpoints, events } : undefined,
  );
  return { cu, counts };
}

// Minutes, not seconds, on a loaded 2-core machine: 2,000 messages replayed about 11 times over.
describe('checkpoints: restoring gives exactly the replay from genesis', { timeout: 300_000 }, () => {
  const COUNT = 2_000;
  let log: SchedulerStore;
  let processId: string;
  let reference: MemoryComputeStore;

  beforeAll(async () => {
    ({ log, processId } = await buildLog(COUNT, 7));
    reference = new MemoryComputeStore(log);
    const { cu } = computeUnit(reference, undefined);
    const report = await cu.evaluate(processId);
    expect(report.evaluated).toBe(COUNT + 1);
    expect(report.errors).toBeGreaterThan(0);
    cu.close();
  }, 300_000);

  it('at 20 random points of a 2,000-message log: same state hash and byte-identical results', async () => {
    const random = rng(20_261_124);
    const points = [...new Set(Array.from({ length: 40 }, () => 1 + Math.floor(random() * (COUNT - 1))))].slice(0, 20).sort((a, b) => a - b);
    expect(points).toHaveLength(20);
    const checkpoints = new InMemoryCheckpointStore();

    // One CU follows the log as it grows and checkpoints the state at each point.
    const growing = new MemoryComputeStore(log);
    const { cu: writer } = computeUnit(growing, checkpoints, { checkpointInterval: 0 });
    for (const point of points) {
      growing.visibleTo = point;
      await writer.evaluate(processId);
      const meta = await writer.checkpointNow(processId);
      expect(meta?.nonce).toBe(point);
    }
    writer.close();
    expect((await checkpoints.list(processId)).map((c) => c.nonce)).toEqual([...points].reverse());

    for (const point of points) {
      // A restarted CU whose head is at the point: it resumes the checkpoint and evaluates the rest.
      const store = new MemoryComputeStore(log);
      store.heads.set(processId, { nonce: point });
      const { cu, counts } = computeUnit(store, checkpoints, { checkpointInterval: 0 });
      const report = await cu.evaluate(processId);
      expect(counts.resumes).toBe(1);
      expect(report.from).toBe(point + 1);
      expect(counts.evaluations).toBe(COUNT - point);
      for (let nonce = point + 1; nonce <= COUNT; nonce += 1) {
        if (store.results.get(nonce) !== reference.results.get(nonce)) throw new Error(`result of nonce ${nonce} differs after a restore at ${point}`);
      }
      expect(store.stateHash).toBe(reference.stateHash);
      cu.close();
    }
  });

  it('skips a corrupt checkpoint (flipped byte, truncated, wrong recorded hash, bad image) and falls back to an older one or genesis', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    const store = new MemoryComputeStore(log);
    store.visibleTo = 650;
    const { cu: writer } = computeUnit(store, checkpoints, { checkpointInterval: 100 });
    await writer.evaluate(processId);
    await writer.flush();
    writer.close();
    expect((await checkpoints.list(processId)).map((c) => c.nonce)).toEqual([600, 500, 400, 300, 200, 100]);

    const stored = (nonce: number) => checkpoints.byProcess.get(processId)!.get(nonce)!;
    stored(600).bytes[stored(600).bytes.length >> 1] ^= 0xff; // flipped byte: SHA-256 differs
    stored(500).bytes = stored(500).bytes.subarray(0, 1000); // truncated
    stored(400).stateHash = '0'.repeat(64); // recorded state hash is wrong
    const bad = stored(300);
    bad.bytes[0] ^= 0xff; // not an image, though its SHA-256 is recorded as such
    bad.sha256 = (await import('./checkpointer.js')).sha256Hex(bad.bytes);

    const rejected: { nonce: number; reason: string }[] = [];
    const restarted = new MemoryComputeStore(log);
    restarted.visibleTo = 650;
    restarted.heads.set(processId, { nonce: 650 });
    const { cu: reader, counts: readerCounts } = computeUnit(restarted, checkpoints, { checkpointInterval: 100, saveCheckpoints: false }, { rejected: (r) => rejected.push(r) });
    const state = await reader.stateHash(processId);
    expect(rejected.map((r) => r.nonce)).toEqual([600, 500, 400, 300]);
    expect(rejected[0].reason).toMatch(/SHA-256/);
    expect(rejected[1].reason).toMatch(/SHA-256/);
    expect(rejected[2].reason).toMatch(/state hash/);
    expect(rejected[3].reason).toMatch(/cannot resume/);
    expect(reader.checkpointStats).toMatchObject({ rejected: 4, restored: 1, lastColdStartReplayed: 450 });
    expect(readerCounts.evaluations).toBe(450);
    // The result is the state a replay from genesis gives.
    const genesis = new MemoryComputeStore(log);
    genesis.visibleTo = 650;
    const { cu: replay } = computeUnit(genesis, undefined);
    await replay.evaluate(processId);
    expect(state.hash).toBe(genesis.stateHash);
    // Rejected checkpoints are not offered again.
    expect((await checkpoints.latest(processId, 650)).map((c) => c.nonce)).toEqual([200, 100]);

    // With every checkpoint bad, genesis.
    stored(200).sha256 = 'f'.repeat(64);
    stored(100).assignmentId = 'A'.repeat(43);
    const again = computeUnit(restarted, checkpoints, { checkpointInterval: 100, saveCheckpoints: false }, { rejected: (r) => rejected.push(r) });
    expect((await again.cu.stateHash(processId)).hash).toBe(genesis.stateHash);
    expect(rejected.slice(4).map((r) => [r.nonce, /SHA-256|assignment or hash chain/.test(r.reason)])).toEqual([
      [200, true],
      [100, true],
    ]);
    expect(again.counts).toMatchObject({ resumes: 0, evaluations: 651 });
    for (const c of [reader, replay, again.cu]) c.close();
  });

  it('a restart replays at most the interval, whatever the batch sizes and arrival pattern', async () => {
    const interval = 50;
    const checkpoints = new InMemoryCheckpointStore(3);
    const store = new MemoryComputeStore(log);
    const random = rng(99);
    const { cu: writer } = computeUnit(store, checkpoints, { checkpointInterval: interval, batchSize: 37 });
    const saved: number[] = [];
    for (let head = 0; head < 437; ) {
      head = Math.min(437, head + 1 + Math.floor(random() * 120));
      store.visibleTo = head;
      await writer.evaluate(processId);
      await writer.flush();
      saved.push(...(await checkpoints.list(processId)).map((c) => c.nonce).filter((n) => !saved.includes(n)));
    }
    writer.close();
    expect(saved.sort((a, b) => a - b)).toEqual([50, 100, 150, 200, 250, 300, 350, 400]);
    expect((await checkpoints.list(processId)).map((c) => c.nonce)).toEqual([400, 350, 300]); // only the newest 3 are kept

    for (const head of [400, 401, 437]) {
      const restarted = new MemoryComputeStore(log);
      restarted.heads.set(processId, { nonce: head });
      const { cu, counts } = computeUnit(restarted, checkpoints, { checkpointInterval: interval });
      const state = await cu.stateHash(processId);
      expect(state.nonce).toBe(head);
      expect(counts.evaluations).toBeLessThanOrEqual(interval);
      expect(counts.evaluations).toBe(head - 400);
      cu.close();
    }
  });

  it('checkpoints an evicted instance newer than its last checkpoint, so it comes back without replay', async () => {
    const shared = new InMemorySchedulerStore();
    const a = await buildLog(130, 5, shared);
    const b = await buildLog(10, 6, shared);
    const checkpoints = new InMemoryCheckpointStore();
    const { cu } = computeUnit(new MemoryComputeStore(shared), checkpoints, { checkpointInterval: 100, maxLive: 1 });
    await cu.evaluate(a.processId);
    await cu.evaluate(b.processId); // takes the only live slot: a is evicted
    await cu.flush();
    expect(cu.liveCount).toBe(1);
    expect((await checkpoints.list(a.processId)).map((c) => c.nonce)).toEqual([130, 100]);
    expect(await checkpoints.list(b.processId)).toEqual([]);
    cu.close();

    const restarted = new MemoryComputeStore(shared);
    restarted.heads.set(a.processId, { nonce: 130 });
    const { cu: again, counts } = computeUnit(restarted, checkpoints, { checkpointInterval: 100 });
    expect((await again.stateHash(a.processId)).nonce).toBe(130);
    expect(counts).toMatchObject({ resumes: 1, evaluations: 0 });
    again.close();
  });
});

describe('state hashes recorded with commits, at most once per stateHashIntervalMs', () => {
  it('skips the hash of a pass that ends too soon after the last recorded one, and records the true hash once due', async () => {
    const { log, processId } = await buildLog(30, 11);
    const hashAt = async (nonce: number) => {
      const store = new MemoryComputeStore(log);
      store.visibleTo = nonce;
      const { cu } = computeUnit(store, undefined);
      await cu.evaluate(processId);
      cu.close();
      return store.stateHash;
    };
    let clock = 5_000;
    const store = new MemoryComputeStore(log);
    const { cu } = computeUnit(store, undefined, { stateHashIntervalMs: 1_000, now: () => clock });
    const pass = async (visibleTo: number, advanceMs: number) => {
      clock += advanceMs;
      store.visibleTo = visibleTo;
      await cu.evaluate(processId);
      return store.stateHash;
    };
    // The first pass of a live process records its hash; every pass commits every result.
    expect(await pass(10, 0)).toBe(await hashAt(10));
    expect(await pass(20, 500)).toBeUndefined();
    expect(await pass(25, 400)).toBeUndefined();
    expect(await pass(30, 100)).toBe(await hashAt(30));
    expect(store.results.size).toBe(31);
    cu.close();
  });
});
