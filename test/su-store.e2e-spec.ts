import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler, checkAssignments, toStoredItem, type LockedLogs, type LogHead, type Slot, type SlotQuery, type StoredItem } from '@ao/core';
import { PrismaSchedulerStore, createPrismaClient, parseDatabaseUrl, type PrismaClient } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';

const id = () => randomBytes(32).toString('base64url');

/** A promise with its resolve, to hold a transaction open until the test lets it go. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/**
 * The SU's Postgres store as several API processes use it: each store has its own pool, and the
 * lock on a process's row is all that orders their batches.
 */
describe('SU store: locking and dedupe across processes', () => {
  let t: TestEnv;
  let prisma: PrismaClient;
  let admin: pg.Client;
  let schema: string;
  const stores: PrismaSchedulerStore[] = [];
  const su = newUser();
  const user = newUser();

  /** A store as one API process has it (own pg pool), or through Prisma's transactions. */
  const store = (kind: 'pool' | 'prisma' = 'pool') => {
    const s = new PrismaSchedulerStore(prisma, kind === 'pool' ? { databaseUrl: t.env.DATABASE_URL, poolSize: 2 } : {});
    stores.push(s);
    return s;
  };

  const newProcess = async (): Promise<string> => {
    const scheduler = new Scheduler({ store: store(), signer: su, clock: { now: () => Date.now() }, heights: { blockHeight: async () => 1 } });
    return (await scheduler.schedule((await processItem(user, su.address)).raw)).processId;
  };

  const message = async (processId: string): Promise<StoredItem> => toStoredItem(await messageItem(user, processId));

  /** The next slot of a log for `message` (the store checks the nonce; the assignment's bytes are not read back here). */
  const nextSlot = (head: LogHead, message: StoredItem): { slot: Slot; assignment: { id: string; raw: Buffer } } => {
    const assignment = { id: id(), raw: randomBytes(64) };
    const slot: Slot = { processId: head.processId, nonce: head.nonce + 1, timestamp: head.timestamp + 1, blockHeight: 1, hashChain: id(), assignmentId: assignment.id, messageId: message.id };
    return { slot, assignment };
  };

  /** Backends of this schema's test that wait for another transaction's lock on a `processes` row. */
  const waitingForRowLock = async (): Promise<number> => {
    const { rows } = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.relation = to_regclass($1) AND cardinality(pg_blocking_pids(l.pid)) > 0`,
      [`"${schema}".processes`],
    );
    return Number(rows[0].n);
  };

  /**
   * Writer A appends `message` to the log and holds its transaction open; batch B, asking for the
   * same log with `lookup`, is started and waits on the row lock; then A commits. What B saw.
   */
  async function raceWithWriter(b: PrismaSchedulerStore, processId: string, written: StoredItem, lookup: SlotQuery) {
    const a = store();
    const locked = gate();
    const release = gate();
    const writer = a.withLockedLogs([processId], [], async (logs: LockedLogs) => {
      const { slot, assignment } = nextSlot(logs.heads.get(processId)!, written);
      logs.append(slot, assignment, written);
      locked.open();
      await release.promise;
      return slot;
    });
    await locked.promise;
    const blocked = b.withLockedLogs([processId], [lookup], async (logs) => ({ head: logs.heads.get(processId)!, found: logs.found[0] }));
    await until('batch B waiting for the row lock', async () => (await waitingForRowLock()) > 0, 30_000, 20);
    release.open();
    const slot = await writer;
    return { slot, seen: await blocked };
  }

  beforeAll(async () => {
    t = await createTestEnv();
    prisma = createPrismaClient(t.env.DATABASE_URL);
    const target = parseDatabaseUrl(t.env.DATABASE_URL);
    schema = target.schema;
    admin = new pg.Client({ connectionString: target.connectionString });
    await admin.connect();
  });

  afterAll(async () => {
    for (const s of stores) await s.onApplicationShutdown();
    await admin?.end();
    await prisma?.$disconnect();
    await t?.cleanup();
  });

  // Postgres runs a statement on the snapshot it took when it started: a statement that waited for a
  // row lock gets the row as the writer left it, but not the writer's other rows. The lock and the
  // dedupe lookup share one statement, so this is the case where the lookup must be asked again.
  it.each(['pool', 'prisma'] as const)('a batch that waited for the lock sees the message the writer it waited for committed (%s)', async (kind) => {
    const processId = await newProcess();
    const m = await message(processId);
    const { slot, seen } = await raceWithWriter(store(kind), processId, m, { processId, messageId: m.id });
    expect(seen.head.nonce).toBe(slot.nonce);
    expect(seen.found).toMatchObject({ nonce: slot.nonce, assignmentId: slot.assignmentId, messageId: m.id });
  });

  it('... and a pushed message with the same deep hash under another id', async () => {
    const processId = await newProcess();
    const m = await message(processId);
    const { slot, seen } = await raceWithWriter(store(), processId, m, { processId, messageId: id(), dedupeKey: m.dedupeKey });
    expect(seen.found).toMatchObject({ nonce: slot.nonce, messageId: m.id });
  });

  it('two schedulers on their own pools give 100 concurrent posts of one item one slot, and 200 messages nonces 1..200', async () => {
    const processId = await newProcess();
    const schedulers = [store(), store()].map((s) => new Scheduler({ store: s, signer: su, clock: { now: () => Date.now() }, heights: { blockHeight: async () => 1 } }));
    const same = (await messageItem(user, processId)).raw;
    const others = await Promise.all(Array.from({ length: 200 }, async () => (await messageItem(user, processId)).raw));
    const answers = await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => schedulers[i % 2].schedule(same)),
      ...others.map((raw, i) => schedulers[i % 2].schedule(raw)),
    ]);
    const forSame = answers.slice(0, 100);
    expect(new Set(forSame.map((a) => a.nonce)).size).toBe(1);
    expect(forSame.filter((a) => a.created)).toHaveLength(1);
    const { entries } = await stores[0].readLog(processId, { limit: 1000 });
    expect(entries.map((e) => e.nonce)).toEqual(Array.from({ length: 202 }, (_, i) => i));
  });

  it('a batch whose write fails stores nothing, and the next batch on the same pool goes through', async () => {
    const s = store();
    const processId = await newProcess();
    const first = await message(processId);
    const taken = await s.withLockedLogs([processId], [], async (logs) => {
      const next = nextSlot(logs.heads.get(processId)!, first);
      logs.append(next.slot, next.assignment, first);
      return next.assignment.id;
    });
    // An assignment id that is already stored: the write violates the primary key.
    const second = await message(processId);
    await expect(
      s.withLockedLogs([processId], [], async (logs) => {
        const next = nextSlot(logs.heads.get(processId)!, second);
        logs.append(next.slot, { ...next.assignment, id: taken }, second);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await s.getItem(second.id)).toBeUndefined();
    for (let i = 0; i < 3; i += 1) {
      await s.withLockedLogs([processId], [{ processId, messageId: second.id }], async (logs) => {
        expect(logs.found[0]).toBeUndefined();
        expect(logs.heads.get(processId)!.nonce).toBe(1);
      });
    }
    const third = await s.withLockedLogs([processId], [], async (logs) => {
      const next = nextSlot(logs.heads.get(processId)!, second);
      logs.append(next.slot, next.assignment, second);
      return next.slot;
    });
    expect(third.nonce).toBe(2);
    expect((await s.getSlot(processId, second.id))?.nonce).toBe(2);
  });

  // The API and each worker schedule with their own cached gateway height and their own clock: the
  // one writing now may be behind the last writer on both. Written the same log in turns, and then
  // concurrently, the log must still never go back, as `verify` checks it.
  it('two scheduler instances with different cached heights and clocks write a log that never goes back', async () => {
    const processId = await newProcess();
    const ahead = new Scheduler({ store: store(), signer: su, clock: { now: () => Date.now() }, heights: { blockHeight: async () => 630 } });
    const behind = new Scheduler({ store: store('prisma'), signer: su, clock: { now: () => Date.now() - 60_000 }, heights: { blockHeight: async () => 629 } });
    for (let i = 0; i < 6; i += 1) await (i % 2 === 0 ? ahead : behind).schedule((await messageItem(user, processId)).raw);
    const raws = await Promise.all(Array.from({ length: 40 }, async () => (await messageItem(user, processId)).raw));
    await Promise.all(raws.map((raw, i) => (i % 2 === 0 ? ahead : behind).schedule(raw)));

    const { entries } = await stores[0].readLog(processId, { limit: 1000 });
    expect(entries).toHaveLength(47);
    for (const [i, e] of entries.entries()) {
      if (i === 0) continue;
      expect(e.blockHeight).toBeGreaterThanOrEqual(entries[i - 1].blockHeight);
      expect(e.timestamp).toBeGreaterThan(entries[i - 1].timestamp);
    }
    expect(entries.at(-1)!.blockHeight).toBe(630);
    // The verifier's own check of the signed assignments (heights and timestamps as signed).
    async function* pages() {
      yield entries.map((e) => new Uint8Array(e.assignment));
    }
    const check = await checkAssignments(pages(), processId, su.address);
    expect(check.failure).toBeUndefined();
    expect(check.lastNonce).toBe(46);
  });
});
