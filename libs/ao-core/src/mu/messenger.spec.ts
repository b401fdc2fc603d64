import { generateKeyPairSync } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { AoError } from '../errors.js';
import { createDataItem } from '../data-item/create-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { InMemorySchedulerStore } from '../su/in-memory-scheduler.store.js';
import type { StoredItem } from '../su/ports.js';
import { Scheduler } from '../su/scheduler.js';
import { getTag } from '../tags.js';
import type { EvalResult, Tag } from '../types.js';
import { Messenger } from './messenger.js';
import type { CrankBatch, CrankEntry, CrankOutcome, PushRecord, PushStore } from './ports.js';

const signer = () => new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
const ao = (type: string): Tag[] => [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: type },
];

/** One result to crank, the pushes recorded, and how the crank finished. */
class FakePushStore implements PushStore {
  readonly pushes = new Map<string, PushRecord>();
  finished?: { status: 'done' | 'failed'; error?: string };
  constructor(private readonly outbox: { messageId: string; result: EvalResult }) {}
  private batch(entries: CrankEntry[]): CrankBatch {
    return { entries, pushes: new Map(this.pushes), depths: new Map(), pushedFor: new Map() };
  }
  async crankOf() {
    return this.batch([{ nonce: 0, ...this.outbox }]);
  }
  async pendingCranks() {
    return this.batch(this.finished ? [] : [{ nonce: 0, ...this.outbox }]);
  }
  async recordPushes(pushes: PushRecord[]) {
    for (const push of pushes) if (!this.pushes.has(push.id)) this.pushes.set(push.id, push);
  }
  async finishCranks(_p: string, outcomes: CrankOutcome[], pushes: PushRecord[] = []) {
    await this.recordPushes(pushes);
    for (const { status, error } of outcomes) this.finished = { status, error };
  }
}

/** A scheduler store whose gateway side (items for non-processes) can be made unreachable. */
class FlakyStore extends InMemorySchedulerStore {
  gatewayDown = false;
  override async storeStandalone(...items: StoredItem[]): Promise<void> {
    if (this.gatewayDown) throw new AoError('GATEWAY_UNAVAILABLE', 'gateway unreachable', {}, 'transient');
    return super.storeStandalone(...items);
  }
}

/** An SU over a FlakyStore with two processes: the sender whose results are cranked, and a target. */
async function twoProcesses() {
  const log = new FlakyStore();
  const user = signer();
  let now = 1_700_000_000_000;
  const scheduler = new Scheduler({ store: log, signer: signer(), clock: { now: () => (now += 1000) }, heights: { blockHeight: async () => 1 } });
  const spawn = async () => {
    const p = await createDataItem({ data: '', tags: [...ao('Process'), { name: 'Module', value: 'M'.repeat(43) }, { name: 'Scheduler', value: scheduler.address }] }, user);
    await scheduler.scheduleVerified(p);
    return p.id;
  };
  const sender = await spawn();
  const target = await spawn();
  /** The Action tags of a process's log after its Process message, in nonce order. */
  const actions = async (processId: string) => {
    const { entries } = await log.readLog(processId, { limit: 100 });
    return Promise.all(entries.slice(1).map(async (e) => getTag((await log.getItem(e.messageId!))!.tags, 'Action')));
  };
  return { log, scheduler, sender, target, actions };
}

describe('Messenger: outbox entries refused for good', () => {
  let log: FlakyStore;
  let scheduler: Scheduler;
  let sender: string;
  let target: string;
  let actions: (processId: string) => Promise<(string | undefined)[]>;

  beforeEach(async () => {
    ({ log, scheduler, sender, target, actions } = await twoProcesses());
  });

  const crank = (result: Partial<EvalResult>) => {
    const store = new FakePushStore({ messageId: sender, result: { Output: '', Messages: [], Spawns: [], Assignments: [], GasUsed: 0, ...result } });
    const kicked: string[] = [];
    const messenger = new Messenger({ store, log, scheduler, signer: signer(), maxDepth: 10, kickEvaluate: async (p) => void kicked.push(p) });
    return { store, kicked, run: () => messenger.crank(sender, 0) };
  };

  it('records each refused entry with its reason, delivers the others, and finishes the crank failed with the reasons', async () => {
    const { store, kicked, run } = crank({
      Messages: [
        { Target: target, Tags: [{ name: 'Action', value: 'No-Protocol' }] },
        { Target: 'not-an-id', Tags: [...ao('Message'), { name: 'Action', value: 'Bad-Target' }] },
        { Target: target, Tags: [...ao('Message'), { name: 'Action', value: 'Good' }] },
      ],
      Spawns: [{ Tags: [...ao('Process')] }],
      Assignments: [{ Processes: [target], Message: 'U'.repeat(43) }],
    });
    const report = await run();
    expect(report).toMatchObject({ status: 'failed', pushed: 1 });
    expect(await actions(target)).toEqual(['Good']);
    expect(kicked).toEqual([target]);
    // In outbox order (messages, spawns, assignments), whatever order they were recorded in.
    const order = ['message', 'spawn', 'assign'];
    const failed = [...store.pushes.values()]
      .filter((p) => p.status === 'failed')
      .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.idx - b.idx)
      .map((p) => [p.id.split(':').slice(2).join(':'), p.error]);
    expect(failed).toEqual([
      ['message:0', expect.stringMatching(/^INVALID_PROTOCOL: Data-Protocol must be "ao"/)],
      ['message:1', expect.stringMatching(/^INVALID_ITEM: A target must be a 43-character base64url id/)],
      ['spawn:0', 'Spawn without a Module tag'],
      [`assign:0:${target}`, expect.stringMatching(/^UNKNOWN_MESSAGE: /)],
    ]);
    expect(store.finished?.status).toBe('failed');
    expect(store.finished?.error).toMatch(/^crank finished with 4 outbox entries refused: message 0: INVALID_PROTOCOL: .*; message 1: INVALID_ITEM: .*; spawn 0: Spawn without a Module tag; assignment 0 to /);

    // A re-run (a retried job) schedules nothing twice and finishes the same way.
    store.finished = undefined;
    const again = await new Messenger({ store, log, scheduler, signer: signer(), maxDepth: 10, kickEvaluate: async () => undefined }).crank(sender, 0);
    expect(again).toMatchObject({ status: 'failed', pushed: 0, skipped: 3 });
    expect(await actions(target)).toEqual(['Good']);
    expect(store.finished).toEqual({ status: 'failed', error: report.error });
  });

  it('finishes done when every entry is delivered', async () => {
    const { store, run } = crank({ Messages: [{ Target: target, Tags: [...ao('Message'), { name: 'Action', value: 'Good' }] }] });
    expect(await run()).toMatchObject({ status: 'done', pushed: 1 });
    expect(store.finished).toEqual({ status: 'done', error: undefined });
  });

  it('fails the crank on a transient error without recording the entry, so a retry delivers it', async () => {
    const wallet = signer().address.padEnd(43, 'A').slice(0, 43);
    const { store, run } = crank({ Messages: [{ Target: wallet, Tags: [...ao('Message'), { name: 'Action', value: 'Credit' }] }] });
    log.gatewayDown = true;
    await expect(run()).rejects.toMatchObject({ code: 'GATEWAY_UNAVAILABLE' });
    expect(store.pushes.size).toBe(0);
    expect(store.finished).toBeUndefined();
    log.gatewayDown = false;
    expect(await run()).toMatchObject({ status: 'done', pushed: 1 });
  });
});

/** Many results of one sender, with their crank status, as the MU's store keeps them. */
class ResultsPushStore implements PushStore {
  readonly pushes = new Map<string, PushRecord>();
  readonly status = new Map<number, { status: string; error?: string }>();
  readonly depths = new Map<string, number>();
  constructor(private readonly entries: CrankEntry[]) {
    for (const e of entries) this.status.set(e.nonce, { status: 'pending' });
  }
  private batch(entries: CrankEntry[]): CrankBatch {
    return { entries, pushes: new Map(this.pushes), depths: new Map(this.depths), pushedFor: new Map() };
  }
  async crankOf(_p: string, nonce: number) {
    return this.batch(this.entries.filter((e) => e.nonce === nonce));
  }
  async pendingCranks(_p: string, limit: number) {
    return this.batch(this.entries.filter((e) => this.status.get(e.nonce)!.status === 'pending').slice(0, limit));
  }
  async recordPushes(pushes: PushRecord[]) {
    for (const push of pushes) if (!this.pushes.has(push.id)) this.pushes.set(push.id, push);
  }
  async finishCranks(_p: string, outcomes: CrankOutcome[], pushes: PushRecord[] = []) {
    await this.recordPushes(pushes);
    for (const { nonce, status, error } of outcomes) this.status.set(nonce, { status, error });
  }
}

describe("Messenger: cranking a sender's pending results together", () => {
  let log: FlakyStore;
  let scheduler: Scheduler;
  let sender: string;
  let target: string;
  const wallet = `${'W'.repeat(42)}A`;
  let actions: (processId: string) => Promise<(string | undefined)[]>;

  beforeEach(async () => {
    ({ log, scheduler, sender, target, actions } = await twoProcesses());
  });

  /** Result `nonce` of the sender: a Transfer-like outbox, one message to `target` and one to the wallet. */
  const entry = (nonce: number): CrankEntry => ({
    nonce,
    messageId: `m${nonce}`.padEnd(43, 'x'),
    result: {
      Output: '',
      Messages: [
        { Target: target, Tags: [...ao('Message'), { name: 'Action', value: `Credit-${nonce}` }] },
        { Target: wallet, Tags: [...ao('Message'), { name: 'Action', value: `Debit-${nonce}` }] },
      ],
      Spawns: [],
      Assignments: [],
      GasUsed: 0,
    },
  });
  const messenger = (store: PushStore, kicked: string[] = []) =>
    new Messenger({ store, log, scheduler, signer: signer(), maxDepth: 3, kickEvaluate: async (p) => void kicked.push(p) });
  const walletItems = () => [...log.items.values()].filter((i) => i.target === wallet).map((i) => getTag(i.tags, 'Action'));

  it('relays every pending result in nonce order, delivers each push once, finishes them all, and kicks the target once', async () => {
    const store = new ResultsPushStore([entry(0), entry(1), entry(2)]);
    const kicked: string[] = [];
    const reports = await messenger(store, kicked).crankPending(sender, 10);
    expect(reports.map((r) => [r.nonce, r.status, r.pushed])).toEqual([
      [0, 'done', 2],
      [1, 'done', 2],
      [2, 'done', 2],
    ]);
    expect(await actions(target)).toEqual(['Credit-0', 'Credit-1', 'Credit-2']);
    expect(walletItems().sort()).toEqual(['Debit-0', 'Debit-1', 'Debit-2']);
    expect([...store.status.values()].map((s) => s.status)).toEqual(['done', 'done', 'done']);
    expect(kicked).toEqual([target]);
    expect(store.pushes.size).toBe(6);
    // Nothing is pending any more; a re-run of one result delivers nothing twice.
    expect(await messenger(store).crankPending(sender, 10)).toEqual([]);
    expect(await messenger(store).crank(sender, 1)).toMatchObject({ status: 'done', pushed: 0, skipped: 2 });
    expect(await actions(target)).toEqual(['Credit-0', 'Credit-1', 'Credit-2']);
  });

  it('takes at most `limit` results, the oldest first', async () => {
    const store = new ResultsPushStore([entry(0), entry(1), entry(2)]);
    expect((await messenger(store).crankPending(sender, 2)).map((r) => r.nonce)).toEqual([0, 1]);
    expect((await messenger(store).crankPending(sender, 2)).map((r) => r.nonce)).toEqual([2]);
    expect(await actions(target)).toEqual(['Credit-0', 'Credit-1', 'Credit-2']);
  });

  it('on a transient error finishes the results it did not touch and leaves the others pending for the retry', async () => {
    const onlyToProcess = entry(1);
    onlyToProcess.result.Messages = onlyToProcess.result.Messages.slice(0, 1);
    const store = new ResultsPushStore([entry(0), onlyToProcess]);
    log.gatewayDown = true;
    await expect(messenger(store).crankPending(sender, 10)).rejects.toMatchObject({ code: 'GATEWAY_UNAVAILABLE' });
    expect(store.status.get(0)).toEqual({ status: 'pending' });
    expect(store.status.get(1)).toEqual({ status: 'done' });
    log.gatewayDown = false;
    expect(await messenger(store).crankPending(sender, 10)).toMatchObject([{ nonce: 0, status: 'done', pushed: 1, skipped: 1 }]);
    expect(await actions(target)).toEqual(['Credit-0', 'Credit-1']);
    expect(walletItems()).toEqual(['Debit-0']);
  });

  it('stops a result too many hops from its user message, recorded on the result, and still relays the others', async () => {
    const store = new ResultsPushStore([entry(0), entry(1)]);
    store.depths.set(entry(0).messageId, 3);
    const reports = await messenger(store).crankPending(sender, 10);
    expect(reports[0]).toMatchObject({ nonce: 0, status: 'failed', pushed: 0, error: expect.stringMatching(/^crank stopped: 4 hops from user message .* exceeds MAX_CRANK_DEPTH 3$/) });
    expect(reports[1]).toMatchObject({ nonce: 1, status: 'done', pushed: 2 });
    expect(store.status.get(0)).toEqual({ status: 'failed', error: reports[0].error });
    expect(await actions(target)).toEqual(['Credit-1']);
  });
});
