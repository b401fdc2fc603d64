import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDataItem } from '../data-item/create-data-item.js';
import { parseDataItem } from '../data-item/parse-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { dedupeKey } from '../data-item/deep-hash.js';
import type { ItemVerifier } from '../data-item/item-verifier.js';
import { verifyRawDataItem } from '../data-item/verify-data-item.js';
import { AoError, isAoError } from '../errors.js';
import { nextHashChain, seedHashChain } from '../hash-chain.js';
import { aoTags, getTag } from '../tags.js';
import type { Tag } from '../types.js';
import { InMemorySchedulerStore } from './in-memory-scheduler.store.js';
import type { LockedLogs, SchedulerStore, SlotQuery } from './ports.js';
import { Scheduler, type BatchingOptions } from './scheduler.js';

const signer = () => new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
const su = signer();
const user = signer();
const anchor = () => randomBytes(16).toString('hex');

/** Counts the batches (lock round trips) a store is asked for. */
class CountingStore extends InMemorySchedulerStore {
  batches: string[][] = [];
  override withLockedLogs<T>(processIds: string[], lookups: SlotQuery[], fn: (logs: LockedLogs) => Promise<T>): Promise<T> {
    this.batches.push(processIds);
    return super.withLockedLogs(processIds, lookups, fn);
  }
}

function scheduler(store: SchedulerStore, batching?: Partial<BatchingOptions>, now = () => 1_700_000_000_000): Scheduler {
  return new Scheduler({ store, signer: su, clock: { now }, heights: { blockHeight: async () => 1234 }, batching });
}

async function processItem(): Promise<Uint8Array> {
  const item = await createDataItem(
    { data: '', anchor: anchor(), tags: [...aoTags('Process'), { name: 'Module', value: 'M'.repeat(43) }, { name: 'Scheduler', value: su.address }] },
    user,
  );
  return item.raw;
}

async function message(target: string, extra: Tag[] = [], data = 'hi'): Promise<Uint8Array> {
  return (await createDataItem({ data, target, anchor: anchor(), tags: [...aoTags('Message'), { name: 'Action', value: 'Ping' }, ...extra] }, user)).raw;
}

/** Recomputes the chain from the stored assignments and checks every link and nonce. */
async function expectIntactLog(store: SchedulerStore, processId: string, count: number): Promise<void> {
  const { entries } = await store.readLog(processId, { limit: count + 10 });
  expect(entries.map((e) => e.nonce)).toEqual(Array.from({ length: count }, (_, i) => i));
  let chain = seedHashChain(processId);
  for (const [i, entry] of entries.entries()) {
    if (i > 0) chain = nextHashChain(entries[i - 1].assignmentId, entries[i - 1].hashChain);
    const assignment = parseDataItem(entry.assignment);
    expect(assignment.id).toBe(entry.assignmentId);
    expect(getTag(assignment.tags, 'Hash-Chain')).toBe(chain);
    expect(getTag(assignment.tags, 'Nonce')).toBe(String(i));
  }
}

describe('Scheduler', () => {
  let store: CountingStore;
  beforeEach(() => {
    store = new CountingStore();
  });

  it('gives a process slot 0 and each message the next nonce, chained and signed', async () => {
    const s = scheduler(store);
    const p = await s.schedule(await processItem());
    expect(p).toMatchObject({ nonce: 0, created: true });
    for (let i = 1; i <= 5; i += 1) expect((await s.schedule(await message(p.processId))).nonce).toBe(i);
    await expectIntactLog(store, p.processId, 6);
  });

  it('batches concurrent appends: 500 messages to one process end as nonces 1..500 in fewer transactions', async () => {
    const s = scheduler(store, { maxItems: 64 });
    const p = await s.schedule(await processItem());
    const raws = await Promise.all(Array.from({ length: 500 }, () => message(p.processId)));
    const results = await Promise.all(raws.map((raw) => s.schedule(raw)));
    expect(results.map((r) => r.nonce).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    await expectIntactLog(store, p.processId, 501);
    expect(store.batches.length).toBeGreaterThanOrEqual(Math.ceil(500 / 64));
    expect(store.batches.length).toBeLessThan(500);
  });

  it('runs one batch at a time by default: appends arriving meanwhile go together in the next', async () => {
    const s = scheduler(store);
    const processes = await Promise.all(Array.from({ length: 3 }, async () => (await s.schedule(await processItem())).processId));
    const raws = await Promise.all(processes.map((pid) => message(pid)));
    store.batches = [];
    let running = 0;
    let most = 0;
    const withLockedLogs = store.withLockedLogs.bind(store);
    store.withLockedLogs = async (ids, lookups, fn) => {
      most = Math.max(most, ++running);
      try {
        return await withLockedLogs(ids, lookups, fn);
      } finally {
        running -= 1;
      }
    };
    // The first append starts a batch alone; the other two, for other processes, wait for it.
    const results = await Promise.all(raws.map((raw) => s.schedule(raw)));
    expect(results.map((r) => r.nonce)).toEqual([1, 1, 1]);
    expect(most).toBe(1);
    expect(store.batches).toEqual([[processes[0]], [processes[1], processes[2]]]);
  });

  it('keeps arrival order per process across batches and processes', async () => {
    const s = scheduler(store, { maxItems: 7, maxConcurrent: 3 });
    const processes = await Promise.all(Array.from({ length: 5 }, async () => (await s.schedule(await processItem())).processId));
    const raws = [];
    for (let i = 0; i < 100; i += 1) raws.push({ target: processes[i % 5], raw: await message(processes[i % 5]) });
    const results = await Promise.all(raws.map((r) => s.schedule(r.raw)));
    for (const pid of processes) {
      const nonces = results.filter((r) => r.processId === pid).map((r) => r.nonce);
      expect(nonces).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      await expectIntactLog(store, pid, 21);
    }
    expect(store.batches.some((b) => b.length > 1)).toBe(true);
  });

  it('answers a duplicate in the same batch or a later one with the first slot', async () => {
    const s = scheduler(store);
    const p = await s.schedule(await processItem());
    const raw = await message(p.processId);
    const answers = await Promise.all(Array.from({ length: 100 }, () => s.schedule(raw)));
    expect(new Set(answers.map((a) => a.nonce))).toEqual(new Set([1]));
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect((await s.schedule(raw)).created).toBe(false);
    await expectIntactLog(store, p.processId, 2);
  });

  it('dedupes pushed messages by deep hash, even when signed twice', async () => {
    const s = scheduler(store);
    const p = await s.schedule(await processItem());
    const pushedTags = [{ name: 'From-Process', value: 'F'.repeat(43) }];
    const fixedAnchor = anchor();
    const make = async () =>
      (await createDataItem({ data: 'x', target: p.processId, anchor: fixedAnchor, tags: [...aoTags('Message'), ...pushedTags] }, user)).raw;
    const [a, b] = [await make(), await make()];
    const [ra, rb] = await Promise.all([s.schedule(a), s.schedule(b)]);
    expect(ra.nonce).toBe(rb.nonce);
    expect([ra.created, rb.created].filter(Boolean)).toHaveLength(1);
  });

  it('fails only the appends of a batch that name an unknown process', async () => {
    const s = scheduler(store, { maxConcurrent: 1 });
    const p = await s.schedule(await processItem());
    // A process record without a log passes the up-front check and reaches the batch, as a
    // process created by another SU instance in between would not.
    const ghost = `${'G'.repeat(42)}A`;
    store.processes.set(ghost, { ...(await store.getProcess(p.processId))!, id: ghost });
    const [firstRaw, goodRaw, badRaw] = [await message(p.processId), await message(p.processId), await message(ghost)];
    // While the first batch runs, the next two wait and go together.
    const first = s.schedule(firstRaw);
    const good = s.schedule(goodRaw);
    const bad = s.schedule(badRaw).catch((e: unknown) => e);
    expect((await first).nonce).toBe(1);
    expect((await good).nonce).toBe(2);
    expect(store.batches.at(-1)).toEqual(expect.arrayContaining([ghost, p.processId]));
    const error = await bad;
    expect(isAoError(error) && error.code).toBe('UNKNOWN_PROCESS');
  });

  it('keeps timestamps strictly increasing within a log when the clock stands still or steps back', async () => {
    let t = 5_000;
    const s = scheduler(store, {}, () => (t -= 1));
    const p = await s.schedule(await processItem());
    const results = await Promise.all(Array.from({ length: 20 }, async () => s.schedule(await message(p.processId))));
    const stamps = results.sort((a, b) => a.nonce - b.nonce).map((r) => r.timestamp);
    for (let i = 1; i < stamps.length; i += 1) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]);
    expect(stamps[0]).toBeGreaterThan(p.timestamp);
  });

  it('rejects every append of a batch whose transaction fails, and stores none of them', async () => {
    const failing = new (class extends InMemorySchedulerStore {
      fail = false;
      override withLockedLogs<T>(ids: string[], lookups: SlotQuery[], fn: (logs: LockedLogs) => Promise<T>): Promise<T> {
        if (this.fail) return Promise.reject(new Error('database went away'));
        return super.withLockedLogs(ids, lookups, fn);
      }
    })();
    const s = scheduler(failing);
    const p = await s.schedule(await processItem());
    failing.fail = true;
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, async () => s.schedule(await message(p.processId))));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    failing.fail = false;
    expect((await s.schedule(await message(p.processId))).nonce).toBe(1);
    await expectIntactLog(failing, p.processId, 2);
  });

  it('retries a refused batch one append at a time: only the append the store refuses fails, the others keep their order', async () => {
    const poisoned = new Set<string>();
    const store = new (class extends InMemorySchedulerStore {
      override withLockedLogs<T>(ids: string[], lookups: SlotQuery[], fn: (logs: LockedLogs) => Promise<T>): Promise<T> {
        if (lookups.some((q) => poisoned.has(q.messageId))) return Promise.reject(new Error('invalid byte sequence'));
        return super.withLockedLogs(ids, lookups, fn);
      }
    })();
    const s = scheduler(store);
    const processes = await Promise.all([1, 2, 3].map(async () => (await s.schedule(await processItem())).processId));
    const raws = await Promise.all(Array.from({ length: 24 }, (_, i) => message(processes[i % 3], [], `m${i}`)));
    for (const i of [4, 11, 17]) poisoned.add(parseDataItem(raws[i]).id);
    const outcomes = await Promise.allSettled(raws.map((raw) => s.schedule(raw)));
    expect(s.batchFallbacks).toBeGreaterThan(0);
    outcomes.forEach((o, i) => expect(o.status).toBe([4, 11, 17].includes(i) ? 'rejected' : 'fulfilled'));
    for (const [k, pid] of processes.entries()) {
      const sent = raws.map((raw) => parseDataItem(raw).id).filter((id, i) => i % 3 === k && !poisoned.has(id));
      await expectIntactLog(store, pid, sent.length + 1);
      const { entries } = await store.readLog(pid, { limit: 20 });
      expect(entries.slice(1).map((e) => e.messageId)).toEqual(sent);
    }
  });

  it('parses and verifies through its injected verifier, before anything is stored, and keeps the dedupe key it computed', async () => {
    const store = new InMemorySchedulerStore();
    const seen: Uint8Array[] = [];
    const verifier: ItemVerifier = {
      verify: async (raw, limits) => {
        seen.push(raw);
        expect(limits).toEqual({ maxBytes: 4096 });
        return verifyRawDataItem(raw, limits);
      },
    };
    const s = new Scheduler({ store, signer: su, clock: { now: () => 1_700_000_000_000 }, heights: { blockHeight: async () => 1 }, verifier, limits: { maxBytes: 4096 } });
    const p = await s.schedule(await processItem());
    const raw = await message(p.processId);
    const r = await s.schedule(raw);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(raw);
    expect((await store.getItem(r.id))?.dedupeKey).toBe(dedupeKey(parseDataItem(raw)));

    const refusing: ItemVerifier = { verify: async () => Promise.reject(new AoError('BAD_SIGNATURE', 'no')) };
    const strict = new Scheduler({ store, signer: su, clock: { now: () => 1_700_000_000_000 }, heights: { blockHeight: async () => 1 }, verifier: refusing });
    const refused = await message(p.processId);
    await expect(strict.schedule(refused)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    expect(await store.getItem(parseDataItem(refused).id)).toBeUndefined();
    await expectIntactLog(store, p.processId, 2);
  });

  it('never stamps a slot below the last one, when another instance on the same store read a higher height', async () => {
    const store = new InMemorySchedulerStore();
    const high = new Scheduler({ store, signer: su, clock: { now: () => 2_000 }, heights: { blockHeight: async () => 630 } });
    const low = new Scheduler({ store, signer: su, clock: { now: () => 1_000 }, heights: { blockHeight: async () => 629 } });
    const { processId } = await high.schedule(await processItem());
    await high.schedule(await message(processId));
    await low.schedule(await message(processId));
    const { entries } = await store.readLog(processId, { limit: 10 });
    expect(entries.map((e) => [e.blockHeight, e.timestamp])).toEqual([
      [630, 2_000],
      [630, 2_001],
      [630, 2_002],
    ]);
    expect(getTag(parseDataItem(entries[2].assignment).tags, 'Block-Height')).toBe('000000000630');
  });
});
