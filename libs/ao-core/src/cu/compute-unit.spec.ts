import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDataItem } from '../data-item/create-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { InMemorySchedulerStore } from '../su/in-memory-scheduler.store.js';
import { Scheduler } from '../su/scheduler.js';
import type { Tag } from '../types.js';
import { ComputeUnit } from './compute-unit.js';
import { EvaluatorRegistry } from './evaluator.js';
import { InMemoryComputeStore } from './in-memory-compute.store.js';
import { LuaEvaluatorFactory } from './lua/lua-evaluator.js';
import { aosModuleDef, DEFAULT_TEST_LIMITS } from './lua/testing.js';
import type { EvaluationHead } from './ports.js';

const MODULE_ID = 'M'.repeat(43);
const aoTags = (type: string): Tag[] => [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: type },
];
const BOOT = 'Total = 0\nHandlers.add("Add", "Add", function(msg) Total = Total + tonumber(msg.N); msg.reply({ Action = "Sum", Total = tostring(Total) }) end)';

/** An InMemoryComputeStore that counts the evaluation-head reads. */
class CountingStore extends InMemoryComputeStore {
  headReads = 0;
  override async evaluationHead(processId: string): Promise<EvaluationHead> {
    this.headReads += 1;
    return super.evaluationHead(processId);
  }
}

async function setup() {
  const su = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
  const user = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
  const log = new InMemorySchedulerStore();
  let now = 1_700_000_000_000;
  const scheduler = new Scheduler({ store: log, signer: su, clock: { now: () => (now += 1000) }, heights: { blockHeight: async () => 1_000_000 } });
  const process = await createDataItem({ data: BOOT, tags: [...aoTags('Process'), { name: 'Module', value: MODULE_ID }, { name: 'Scheduler', value: su.address }, { name: 'On-Boot', value: 'Data' }] }, user);
  await scheduler.scheduleVerified(process);
  let sent = 0;
  const send = async (n: number) => {
    for (let i = 0; i < n; i++) {
      sent += 1; // distinct items (Ed25519 signatures are deterministic: the same tags would be one item)
      await scheduler.scheduleVerified(await createDataItem({ data: '', target: process.id, tags: [...aoTags('Message'), { name: 'Action', value: 'Add' }, { name: 'N', value: String(sent) }] }, user));
    }
  };
  const unit = (store: InMemoryComputeStore) =>
    new ComputeUnit(store, { load: async (id) => aosModuleDef(id) }, new EvaluatorRegistry().register(new LuaEvaluatorFactory()), {
      maxLive: 4,
      batchSize: 4,
      defaults: DEFAULT_TEST_LIMITS,
      maxima: DEFAULT_TEST_LIMITS,
      platformAddresses: [su.address],
    });
  return { log, processId: process.id, send, unit };
}

describe('ComputeUnit.evaluate with the head its caller committed', () => {
  it('skips reading the head and reaches the same state and results as a pass that reads it', async () => {
    const { log, processId, send, unit } = await setup();
    await send(6);
    const store = new CountingStore(log, { keepResults: true });
    const cu = unit(store);
    const first = await cu.evaluate(processId);
    expect([first.evaluated, first.to, store.headReads]).toEqual([7, 6, 1]);
    await send(5);
    const second = await cu.evaluate(processId, first.to);
    expect([second.from, second.evaluated, second.to, store.headReads]).toEqual([7, 5, 11, 1]);

    // The same log in one pass that reads the head, by another ComputeUnit.
    const reference = new CountingStore(log, { keepResults: true });
    const other = unit(reference);
    await other.evaluate(processId);
    expect(reference.headReads).toBe(1);
    expect(store.results.get(processId)).toEqual(reference.results.get(processId));
    expect((await cu.stateHash(processId)).hash).toBe((await other.stateHash(processId)).hash);
    cu.close();
    other.close();
  });
});
