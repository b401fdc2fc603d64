import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AoError, isAoError } from '../errors.js';
import { createDataItem } from '../data-item/create-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { InMemorySchedulerStore } from '../su/in-memory-scheduler.store.js';
import type { LockedLogs, SlotQuery, StoredItem } from '../su/ports.js';
import { Scheduler } from '../su/scheduler.js';
import { getTag } from '../tags.js';
import type { Tag } from '../types.js';
import { Messenger } from './messenger.js';
import type { CrankBatch, CrankEntry, CrankFinish, CrankOutcome, PushRecord, PushStore } from './ports.js';

const signer = () => new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
const ao = (type: string): Tag[] => [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: type },
];
const WALLET = `${'W'.repeat(42)}A`;

/** An SU store that counts its append transactions and whose gateway side can be made unreachable. */
class CountingLog extends InMemorySchedulerStore {
  appendBatches = 0;
  gatewayDown = false;
  override async withLockedLogs<T>(processIds: string[], lookups: SlotQuery[], fn: (logs: LockedLogs) => Promise<T>): Promise<T> {
    this.appendBatches += 1;
    return super.withLockedLogs(processIds, lookups, fn);
  }
  override async storeStandalone(...items: StoredItem[]): Promise<void> {
    if (this.gatewayDown) throw new AoError('GATEWAY_UNAVAILABLE', 'gateway unreachable', {}, 'transient');
    return super.storeStandalone(...items);
  }
}

/** Results of many senders with their crank status; counts the batched reads and finishes. */
class ManyPushStore implements PushStore {
  readonly pushes = new Map<string, PushRecord>();
  readonly status = new Map<string, string>();
  reads = 0;
  finishes = 0;
  constructor(private readonly entries: Map<string, CrankEntry[]>) {
    for (const [p, list] of entries) for (const e of list) this.status.set(`${p}:${e.nonce}`, 'pending');
  }
  private pending(processId: string, limit: number): CrankBatch {
    const entries = (this.entries.get(processId) ?? []).filter((e) => this.status.get(`${processId}:${e.nonce}`) === 'pending').slice(0, limit);
    return { entries, pushes: new Map(this.pushes), depths: new Map(), pushedFor: new Map() };
  }
  async pendingCranks(processId: string, limit: number) {
    return this.pending(processId, limit);
  }
  async pendingCranksMany(processIds: string[], limit: number) {
    this.reads += 1;
    return new Map(processIds.map((p) => [p, this.pending(p, limit)]));
  }
  async crankOf(): Promise<CrankBatch> {
    throw new Error('not used');
  }
  async recordPushes(pushes: PushRecord[]) {
    for (const push of pushes) if (!this.pushes.has(push.id)) this.pushes.set(push.id, push);
  }
  async finishCranks(processId: string, outcomes: CrankOutcome[], pushes: PushRecord[] = []) {
    await this.recordPushes(pushes);
    for (const { nonce, status } of outcomes) this.status.set(`${processId}:${nonce}`, status);
  }
  async finishCranksMany(finishes: CrankFinish[]) {
    this.finishes += 1;
    for (const f of finishes) await this.finishCranks(f.processId, f.outcomes, f.pushes);
  }
}

async function setup() {
  const log = new CountingLog();
  const user = signer();
  let now = 1_700_000_000_000;
  const scheduler = new Scheduler({ store: log, signer: signer(), clock: { now: () => (now += 1000) }, heights: { blockHeight: async () => 1 } });
  let spawned = 0;
  const spawn = async () => {
    // Distinct items (Ed25519 signatures are deterministic: the same tags would be one item).
    const tags = [...ao('Process'), { name: 'Module', value: 'M'.repeat(43) }, { name: 'Scheduler', value: scheduler.address }, { name: 'N', value: String((spawned += 1)) }];
    const p = await createDataItem({ data: '', tags }, user);
    await scheduler.scheduleVerified(p);
    return p.id;
  };
  const [a, b, target] = [await spawn(), await spawn(), await spawn()];
  const actions = async (processId: string) => {
    const { entries } = await log.readLog(processId, { limit: 100 });
    return Promise.all(entries.slice(1).map(async (e) => getTag((await log.getItem(e.messageId!))!.tags, 'Action')));
  };
  const entry = (from: string, nonce: number, to: string[]): CrankEntry => ({
    nonce,
    messageId: `${from.slice(0, 8)}-${nonce}`.padEnd(43, 'x'),
    result: {
      Output: '',
      Messages: to.map((t) => ({ Target: t, Tags: [...ao('Message'), { name: 'Action', value: `${from === a ? 'A' : 'B'}${nonce}` }] })),
      Spawns: [],
      Assignments: [],
      GasUsed: 0,
    },
  });
  const messenger = (store: PushStore, kicked: string[]) =>
    new Messenger({ store, log, scheduler, signer: signer(), maxDepth: 10, kickEvaluate: async (p) => void kicked.push(p) });
  return { log, a, b, target, actions, entry, messenger };
}

describe('Messenger.crankPendingMany', () => {
  it('relays every sender in one read, one SU batch and one finish, each sender in nonce order, each target kicked once', async () => {
    const { log, a, b, target, actions, entry, messenger } = await setup();
    const store = new ManyPushStore(
      new Map([
        [a, [entry(a, 0, [target, b]), entry(a, 1, [target])]],
        [b, [entry(b, 0, [target, WALLET]), entry(b, 1, [target])]],
      ]),
    );
    const kicked: string[] = [];
    const before = log.appendBatches;
    const outcomes = await messenger(store, kicked).crankPendingMany([a, b, target], 10);
    expect(outcomes.map((o) => [o.processId, o.ok && o.reports.map((r) => [r.nonce, r.status, r.pushed])])).toEqual([
      [a, [[0, 'done', 2], [1, 'done', 1]]],
      [b, [[0, 'done', 2], [1, 'done', 1]]],
      [target, []],
    ]);
    expect([store.reads, store.finishes, log.appendBatches - before]).toEqual([1, 1, 1]);
    const log_ = await actions(target);
    expect(log_.filter((x) => x!.startsWith('A'))).toEqual(['A0', 'A1']);
    expect(log_.filter((x) => x!.startsWith('B'))).toEqual(['B0', 'B1']);
    expect(await actions(b)).toEqual(['A0']);
    expect(kicked.sort()).toEqual([target, b].sort());
    expect([...store.status.values()]).toEqual(['done', 'done', 'done', 'done']);
  });

  it('reports a sender that cannot finish (a transient error, an unknown sender) failed, and finishes the others', async () => {
    const { log, a, b, target, actions, entry, messenger } = await setup();
    const ghost = 'G'.repeat(43);
    const store = new ManyPushStore(
      new Map([
        [a, [entry(a, 0, [target])]],
        [b, [entry(b, 0, [WALLET])]],
        [ghost, [entry(ghost, 0, [target])]],
      ]),
    );
    log.gatewayDown = true;
    const [okA, failedB, unknown] = await messenger(store, []).crankPendingMany([a, b, ghost], 10);
    expect(okA.ok && okA.reports[0].status).toBe('done');
    expect(!failedB.ok && isAoError(failedB.error, 'GATEWAY_UNAVAILABLE')).toBe(true);
    expect(!unknown.ok && isAoError(unknown.error, 'UNKNOWN_PROCESS')).toBe(true);
    expect([store.status.get(`${a}:0`), store.status.get(`${b}:0`)]).toEqual(['done', 'pending']);
    // The retry delivers B's message and nothing of A's again.
    log.gatewayDown = false;
    const [againA, againB] = await messenger(store, []).crankPendingMany([a, b], 10);
    expect([againA.ok && againA.reports, againB.ok && againB.reports.map((r) => r.status)]).toEqual([[], ['done']]);
    expect(await actions(target)).toEqual(['A0']);
  });
});
