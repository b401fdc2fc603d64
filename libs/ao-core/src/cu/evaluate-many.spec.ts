import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDataItem } from '../data-item/create-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { isAoError } from '../errors.js';
import { InMemorySchedulerStore } from '../su/in-memory-scheduler.store.js';
import type { LogEntry } from '../su/ports.js';
import { Scheduler } from '../su/scheduler.js';
import type { Tag } from '../types.js';
import { ComputeUnit } from './compute-unit.js';
import { EvaluatorRegistry, type EvaluatorFactory } from './evaluator.js';
import { InMemoryComputeStore } from './in-memory-compute.store.js';
import { LuaEvaluatorFactory } from './lua/lua-evaluator.js';
import { aosModuleDef, DEFAULT_TEST_LIMITS } from './lua/testing.js';
import type { ProcessCommit } from './ports.js';

const MODULE_ID = 'M'.repeat(43);
const aoTags = (type: string): Tag[] => [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: type },
];
const BOOT = 'Total = 0\nHandlers.add("Add", "Add", function(msg) Total = Total + tonumber(msg.N); msg.reply({ Action = "Sum", Total = tostring(Total) }) end)';

/** A Lua factory whose instances fail outside the module (as a VM fault would) on a message with `N = boom`. */
function faultyLua(): EvaluatorFactory {
  const lua = new LuaEvaluatorFactory();
  return {
    formats: lua.formats,
    async create(mod, env, limits, checkpoint) {
      const inner = await lua.create(mod, env, limits, checkpoint);
      return {
        ...inner,
        evaluate: async (msg) => {
          if (msg.Tags.some((t) => t.name === 'N' && t.value === 'boom')) throw new Error('VM fault');
          return inner.evaluate(msg);
        },
        dryRun: (msg) => inner.dryRun(msg),
        stateHash: () => inner.stateHash(),
        checkpoint: () => inner.checkpoint(),
        close: () => inner.close(),
      };
    },
  };
}

/** A store whose log of one process has its hash chain altered at one nonce. */
class TamperingStore extends InMemoryComputeStore {
  tampered?: { processId: string; nonce: number };
  override async readLog(processId: string, afterNonce: number, limit: number): Promise<LogEntry[]> {
    const entries = await super.readLog(processId, afterNonce, limit);
    const t = this.tampered;
    return entries.map((e) => (t && e.processId === t.processId && e.nonce === t.nonce ? { ...e, hashChain: 'x'.repeat(43) } : e));
  }
  commitFails = false;
  override async commitMany(commits: ProcessCommit[]): Promise<void> {
    if (this.commitFails) throw new Error('database unreachable');
    return super.commitMany(commits);
  }
}

async function setup(processes: number) {
  const su = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
  const user = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
  const log = new InMemorySchedulerStore();
  let now = 1_700_000_000_000;
  const scheduler = new Scheduler({ store: log, signer: su, clock: { now: () => (now += 1000) }, heights: { blockHeight: async () => 1_000_000 } });
  const ids: string[] = [];
  for (let p = 0; p < processes; p++) {
    const item = await createDataItem(
      { data: BOOT, tags: [...aoTags('Process'), { name: 'Module', value: MODULE_ID }, { name: 'Scheduler', value: su.address }, { name: 'On-Boot', value: 'Data' }, { name: 'P', value: String(p) }] },
      user,
    );
    await scheduler.scheduleVerified(item);
    ids.push(item.id);
  }
  let sent = 0;
  const send = async (processId: string, n: number | string) => {
    const values = typeof n === 'string' ? [n] : Array.from({ length: n }, () => String((sent += 1)));
    for (const value of values) {
      sent += 1;
      await scheduler.scheduleVerified(
        await createDataItem({ data: String(sent), target: processId, tags: [...aoTags('Message'), { name: 'Action', value: 'Add' }, { name: 'N', value }] }, user),
      );
    }
  };
  const unit = (store: InMemoryComputeStore, batchSize = 4) =>
    new ComputeUnit(store, { load: async (id) => aosModuleDef(id) }, new EvaluatorRegistry().register(faultyLua()), {
      maxLive: 8,
      batchSize,
      defaults: DEFAULT_TEST_LIMITS,
      maxima: DEFAULT_TEST_LIMITS,
      platformAddresses: [su.address],
    });
  return { log, ids, send, unit };
}

describe('ComputeUnit.evaluateMany', () => {
  it('reads every log in one read and commits in one write, with the results and states of one pass per process', async () => {
    const { log, ids, send, unit } = await setup(3);
    await send(ids[0], 2);
    await send(ids[1], 3);
    const store = new TamperingStore(log, { keepResults: true });
    const cu = unit(store);
    const outcomes = await cu.evaluateMany([ids[0], ids[1], ids[2], ids[0]]);
    expect(outcomes.map((o) => [o.processId, o.ok && o.report.evaluated, o.ok && o.report.to])).toEqual([
      [ids[0], 3, 2],
      [ids[1], 4, 3],
      [ids[2], 1, 0],
    ]);
    expect([store.batchedReads, store.batchedCommits]).toEqual([1, 1]);

    // The next batch starts where this one left each process.
    await send(ids[2], 2);
    const next = await cu.evaluateMany(ids);
    expect(next.map((o) => o.ok && [o.report.from, o.report.evaluated])).toEqual([[3, 0], [4, 0], [1, 2]]);
    expect([store.batchedReads, store.batchedCommits]).toEqual([2, 2]);

    // The same logs evaluated process by process, by another unit.
    const reference = new InMemoryComputeStore(log, { keepResults: true });
    const other = unit(reference);
    for (const id of ids) await other.evaluate(id);
    for (const id of ids) {
      expect(store.results.get(id)).toEqual(reference.results.get(id));
      expect((await cu.stateHash(id)).hash).toBe((await other.stateHash(id)).hash);
    }
    cu.close();
    other.close();
  });

  it('reads on past a full page, committing it, and ends the pass at the log head', async () => {
    const { log, ids, send, unit } = await setup(2);
    await send(ids[0], 9);
    const store = new InMemoryComputeStore(log, { keepResults: true });
    const cu = unit(store, 4);
    const [a, b] = await cu.evaluateMany(ids);
    expect([a.ok && a.report.evaluated, a.ok && a.report.to, b.ok && b.report.evaluated]).toEqual([10, 9, 1]);
    expect(store.results.get(ids[0])!.map((r) => r.nonce)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    cu.close();
  });

  it('reports a process whose VM fails and one whose chain breaks as failed, and commits the others', async () => {
    const { log, ids, send, unit } = await setup(3);
    await send(ids[0], 2);
    await send(ids[1], 1);
    await send(ids[1], 'boom');
    await send(ids[2], 3);
    const store = new TamperingStore(log, { keepResults: true });
    store.tampered = { processId: ids[2], nonce: 2 };
    const cu = unit(store);
    const [good, faulty, broken] = await cu.evaluateMany(ids);
    expect(good.ok && good.report.evaluated).toBe(3);
    expect(faulty.ok ? undefined : faulty.error.message).toBe('VM fault');
    expect(!broken.ok && isAoError(broken.error, 'BROKEN_HASH_CHAIN')).toBe(true);
    // The good process committed; the faulty one nothing (retried from its head); the broken one up to the break.
    expect(store.results.get(ids[0])!.map((r) => r.nonce)).toEqual([0, 1, 2]);
    expect(store.results.get(ids[1])).toBeUndefined();
    expect(await store.evaluationHead(ids[1])).toEqual({ nonce: -1 });
    expect(store.results.get(ids[2])!.map((r) => r.nonce)).toEqual([0, 1]);
    expect(await store.evaluationHead(ids[2])).toEqual({ nonce: 1, error: 'hash chain broken at nonce 2' });

    // The broken process is answered with its recorded reason from now on; the others go on.
    await send(ids[0], 1);
    const [again, , stopped] = await cu.evaluateMany(ids);
    expect(again.ok && [again.report.from, again.report.evaluated]).toEqual([3, 1]);
    expect(!stopped.ok && isAoError(stopped.error, 'BROKEN_HASH_CHAIN') && stopped.error.kind).toBe('permanent');
    cu.close();
  });

  it('fails every process that had results when the commit fails, and the next batch evaluates them again', async () => {
    const { log, ids, send, unit } = await setup(2);
    const store = new TamperingStore(log, { keepResults: true });
    const cu = unit(store);
    await cu.evaluateMany(ids);
    await send(ids[0], 2);
    store.commitFails = true;
    const [lost, idle] = await cu.evaluateMany(ids);
    expect(lost.ok ? undefined : lost.error.message).toBe('database unreachable');
    expect(idle.ok && idle.report.evaluated).toBe(0);
    store.commitFails = false;
    const [retried] = await cu.evaluateMany(ids);
    expect(retried.ok && [retried.report.from, retried.report.evaluated]).toEqual([1, 2]);
    expect(store.results.get(ids[0])!.map((r) => r.nonce)).toEqual([0, 1, 2]);
    cu.close();
  });
});
