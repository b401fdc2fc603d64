import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDataItem } from '../data-item/create-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { InMemorySchedulerStore } from '../su/in-memory-scheduler.store.js';
import type { LogEntry } from '../su/ports.js';
import { Scheduler } from '../su/scheduler.js';
import type { Tag } from '../types.js';
import { verifyProcess } from '../verify/verify-process.js';
import type { CheckpointRef, LogReader, ResultSource } from '../verify/ports.js';
import { ComputeUnit } from './compute-unit.js';
import { EvaluatorRegistry } from './evaluator.js';
import { InMemoryComputeStore } from './in-memory-compute.store.js';
import { aosModuleData, aosModuleTags } from './lua/aos-module.js';
import { LuaEvaluatorFactory } from './lua/lua-evaluator.js';
import { aosModuleDef, DEFAULT_TEST_LIMITS } from './lua/testing.js';
import { messageData, toAoMessage } from './to-ao-message.js';

// A message's Data reaches Lua as exactly the item's bytes, whether or not they are UTF-8 text:
// its length and a hash computed in Lua equal the ones computed here over the signed bytes, for
// messages and for the Process item, and a second evaluation and a verification reproduce them.

const aoTags = (type: string): Tag[] => [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: type },
];

// Reports the length of a message's Data and a rolling hash of its bytes (order-sensitive, mod 2^32).
const STAT_HANDLER = `
function DataStat(d)
  local h = 0
  for i = 1, #d do h = (h * 31 + string.byte(d, i)) % 4294967296 end
  return tostring(#d), tostring(h)
end
Handlers.add("Stat", "Stat", function(msg)
  local len, h = DataStat(msg.Data)
  msg.reply({ Action = "Stat-Result", Len = len, Hash = h })
end)
Handlers.add("Process-Stat", "Process-Stat", function(msg)
  local len, h = DataStat(Inbox[1].Data)
  msg.reply({ Action = "Stat-Result", Len = len, Hash = h })
end)`;

function statOf(bytes: Uint8Array): { Len: string; Hash: string } {
  let h = 0;
  for (const b of bytes) h = (h * 31 + b) % 4294967296;
  return { Len: String(bytes.length), Hash: String(h) };
}

/** Bytes with NUL, every byte value, sequences that are not UTF-8 (lone continuation bytes, 0xff). */
function binaryPayload(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  b[0] = 0x00;
  b[1] = 0x80;
  b[2] = 0xff;
  for (let v = 0; v < 256 && v + 3 < size; v++) b[v + 3] = v;
  return b;
}

class LogReaderOf implements LogReader {
  constructor(
    private readonly byId: Map<string, Uint8Array>,
    private readonly assignmentRaws: Uint8Array[],
  ) {}
  async items(ids: readonly string[]): Promise<Map<string, Uint8Array>> {
    return new Map(ids.filter((id) => this.byId.has(id)).map((id) => [id, this.byId.get(id)!]));
  }
  async *assignments(): AsyncIterable<Uint8Array[]> {
    yield this.assignmentRaws;
  }
  async assignmentsAt(): Promise<Uint8Array[]> {
    return this.assignmentRaws;
  }
  async checkpoints(): Promise<CheckpointRef[]> {
    return [];
  }
}

describe('binary Data reaches Lua as its bytes', () => {
  it('messageData: UTF-8 text stays text (a leading BOM included), anything else stays bytes', () => {
    expect(messageData(Buffer.from('héllo ✓'))).toBe('héllo ✓');
    expect(messageData(Buffer.from('\uFEFFbom'))).toBe('\uFEFFbom');
    expect(messageData(Buffer.alloc(0))).toBe('');
    const bytes = Buffer.from([0x61, 0x00, 0x80, 0xff]);
    const kept = messageData(bytes);
    expect(kept).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(kept as Uint8Array).equals(bytes)).toBe(true);
  });

  it('for messages and the Process item, in evaluation, a second evaluation and verification', async () => {
    const su = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
    const user = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
    const mod = await createDataItem({ data: aosModuleData(), tags: aosModuleTags() }, su);
    const log = new InMemorySchedulerStore();
    let now = 1_700_000_000_000;
    const scheduler = new Scheduler({ store: log, signer: su, clock: { now: () => (now += 1000) }, heights: { blockHeight: async () => 1_000 } });

    const processData = binaryPayload(4096, 7);
    const process = await createDataItem({ data: processData, tags: [...aoTags('Process'), { name: 'Module', value: mod.id }, { name: 'Scheduler', value: su.address }] }, user);
    await scheduler.scheduleVerified(process);
    const send = async (tags: Tag[], data: string | Uint8Array) =>
      scheduler.scheduleVerified(await createDataItem({ data, target: process.id, tags: [...aoTags('Message'), ...tags] }, user));
    const binary = binaryPayload(200_000, 11);
    const text = 'héllo, wörld ✓\u0000 end';
    await send([{ name: 'Action', value: 'Eval' }], STAT_HANDLER);
    await send([{ name: 'Action', value: 'Stat' }], binary);
    await send([{ name: 'Action', value: 'Stat' }], text);
    await send([{ name: 'Action', value: 'Process-Stat' }], '');

    const entries: LogEntry[] = (await log.readLog(process.id, { limit: 100 })).entries;
    const binaryMsg = toAoMessage(entries[2], { processId: process.id, moduleId: mod.id, trustedPushers: new Set() });
    expect(binaryMsg.Data).toBeInstanceOf(Uint8Array);
    expect(toAoMessage(entries[3], { processId: process.id, moduleId: mod.id, trustedPushers: new Set() }).Data).toBe(text);

    const unit = (store: InMemoryComputeStore) =>
      new ComputeUnit(store, { load: async () => ({ ...aosModuleDef(mod.id), owner: mod.ownerAddress }) }, new EvaluatorRegistry().register(new LuaEvaluatorFactory()), {
        maxLive: 2,
        batchSize: 2,
        defaults: DEFAULT_TEST_LIMITS,
        maxima: DEFAULT_TEST_LIMITS,
        platformAddresses: [su.address],
      });
    const stats = (store: InMemoryComputeStore) =>
      (store.results.get(process.id) ?? []).map((r) => {
        if (r.result.Error !== undefined) return { nonce: r.nonce, error: String(r.result.Error) };
        const tags = r.result.Messages?.[0]?.Tags ?? [];
        return { nonce: r.nonce, Len: tags.find((t) => t.name === 'Len')?.value, Hash: tags.find((t) => t.name === 'Hash')?.value };
      });

    const first = new InMemoryComputeStore(log, { keepResults: true });
    const cu = unit(first);
    await cu.evaluate(process.id);
    const seen = stats(first).filter((s) => s.nonce >= 2);
    expect(seen).toEqual([
      { nonce: 2, ...statOf(binary) },
      { nonce: 3, ...statOf(Buffer.from(text)) },
      { nonce: 4, ...statOf(processData) },
    ]);

    // a dry-run sees the same bytes: its own binary Data, and the Process item's in the state
    const dry = async (tags: Tag[], data: string | Uint8Array) => {
      const r = await cu.dryRun(process.id, { Id: 'd'.repeat(43), Owner: user.address, From: user.address, Target: process.id, Data: data, Tags: [...aoTags('Message'), ...tags], Timestamp: now, 'Block-Height': 1_000, Cron: false });
      const t = r.Messages?.[0]?.Tags ?? [];
      return { Len: t.find((x) => x.name === 'Len')?.value, Hash: t.find((x) => x.name === 'Hash')?.value };
    };
    expect(await dry([{ name: 'Action', value: 'Stat' }], binary)).toEqual(statOf(binary));
    expect(await dry([{ name: 'Action', value: 'Process-Stat' }], '')).toEqual(statOf(processData));

    // a second CU replays the same log: the same results and state, byte for byte
    const second = new InMemoryComputeStore(log, { keepResults: true });
    const other = unit(second);
    await other.evaluate(process.id);
    expect(second.results.get(process.id)).toEqual(first.results.get(process.id));
    const state = await cu.stateHash(process.id);
    expect((await other.stateHash(process.id)).hash).toBe(state.hash);

    // verification from the signed items reproduces the CU's results and state hash
    const reader = new LogReaderOf(new Map([[mod.id, mod.raw], ...entries.map((e) => [readId(e), e.message] as [string, Uint8Array])]), entries.map((e) => e.assignment));
    const compareWith: ResultSource = {
      results: async (_pid, after, limit) =>
        (first.results.get(process.id) ?? []).filter((r) => after === undefined || r.nonce > after).slice(0, limit).map((r) => ({ nonce: r.nonce, result: r.result })),
      state: async () => ({ nonce: state.nonce, stateHash: state.hash }),
    };
    const report = await verifyProcess(process.id, { reader, compareWith, limits: { defaults: DEFAULT_TEST_LIMITS, maxima: DEFAULT_TEST_LIMITS } });
    expect(report.failure).toBeUndefined();
    expect(report).toMatchObject({ ok: true, messages: 5, stateHash: state.hash, cuCompared: 5 });
    cu.close();
    other.close();
  });
});

function readId(entry: LogEntry): string {
  return entry.messageId ?? entry.processId;
}
