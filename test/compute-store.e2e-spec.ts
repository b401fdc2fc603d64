import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommittedResult, EvalResult } from '@ao/core';
import type pg from 'pg';
import { PrismaComputeStore, PrismaSchedulerStore, createPrismaClient, decodeStoredResult, createSqlPool, sqlOn, type PrismaClient } from '@ao/infra';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const id = () => randomBytes(32).toString('base64url');
const result = (output: string, messages = 0): EvalResult => ({
  Output: output,
  Messages: Array.from({ length: messages }, () => ({ Target: id(), Tags: [], Data: '' })),
  Spawns: [],
  Assignments: [],
  GasUsed: 7,
});
const committed = (nonce: number, output: string, messages = 0): CommittedResult => ({ nonce, messageId: id(), result: result(output, messages) });

/**
 * The CU's commits as an evaluation thread makes them: many processes at once, joined into one
 * statement; on the pg driver (as the evaluation threads run them) and on Prisma.
 */
describe.each(['pg', 'prisma'] as const)('PrismaComputeStore on %s: group commit (real Postgres)', (kind) => {
  let t: TestEnv;
  let prisma: PrismaClient;
  let pool: pg.Pool | undefined;
  let store: PrismaComputeStore;

  beforeAll(async () => {
    t = await createTestEnv();
    prisma = createPrismaClient(t.env.DATABASE_URL);
    pool = kind === 'pg' ? createSqlPool(t.env.DATABASE_URL, 2) : undefined;
    store = new PrismaComputeStore(pool ? sqlOn(pool) : prisma, new PrismaSchedulerStore(prisma, pool ? { pool } : {}));
  });
  afterAll(async () => {
    await pool?.end();
    await prisma?.$disconnect();
    await t?.cleanup();
  });

  const rows = (processId: string) =>
    prisma.$queryRaw<{ nonce: bigint; crank_status: string; gas_used: bigint; output: string }[]>`
      SELECT nonce, crank_status, gas_used, result->>'Output' AS output FROM results WHERE process_id = ${processId} ORDER BY nonce`;

  it('stores every concurrent commit with its own results, head and state hash', async () => {
    const processes = Array.from({ length: 20 }, id);
    await Promise.all(
      processes.map((p, i) => store.commit(p, [committed(0, `${p} 0`), committed(1, `${p} 1`, i % 2)], i % 3 === 0 ? `hash-${i}` : undefined)),
    );
    for (const [i, p] of processes.entries()) {
      expect((await rows(p)).map((r) => [Number(r.nonce), r.output, r.crank_status, Number(r.gas_used)])).toEqual([
        [0, `${p} 0`, 'none', 7],
        [1, `${p} 1`, i % 2 ? 'pending' : 'none', 7],
      ]);
      expect(await store.evaluationHead(p)).toEqual({ nonce: 1 });
      const [head] = await prisma.$queryRaw<{ state_hash: string | null; state_hash_nonce: bigint | null }[]>`
        SELECT state_hash, state_hash_nonce FROM cu_processes WHERE process_id = ${p}`;
      expect(head).toEqual(i % 3 === 0 ? { state_hash: `hash-${i}`, state_hash_nonce: 1n } : { state_hash: null, state_hash_nonce: null });
    }
  });

  it('fails only the commit that cannot be stored when commits are joined', async () => {
    const [a, bad, c] = [id(), id(), id()];
    // A nonce beyond bigint makes its statement fail; the others were joined with it.
    const outcomes = await Promise.allSettled([
      store.commit(a, [committed(0, 'a')], undefined),
      store.commit(bad, [committed(2 ** 64, 'bad')], undefined),
      store.commit(c, [committed(0, 'c')], undefined),
      store.commit(a, [committed(1, 'a again')], undefined),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((await rows(a)).map((r) => r.output)).toEqual(['a', 'a again']);
    expect(await rows(bad)).toEqual([]);
    expect(await store.evaluationHead(bad)).toEqual({ nonce: -1 });
    expect((await rows(c)).map((r) => r.output)).toEqual(['c']);
    expect(await store.evaluationHead(a)).toEqual({ nonce: 1 });
  });

  it('keeps a result committed once: a repeated commit changes nothing and the head never moves back', async () => {
    const p = id();
    await store.commit(p, [committed(0, 'first'), committed(1, 'second')], 'h1');
    await Promise.all([store.commit(p, [committed(0, 'again')], undefined), store.commit(id(), [committed(0, 'other')], undefined)]);
    expect((await rows(p)).map((r) => r.output)).toEqual(['first', 'second']);
    expect(await store.evaluationHead(p)).toEqual({ nonce: 1 });
  });
  it('stores a result holding any text a process can produce (U+0000, every code point up to U+00FF) exactly', async () => {
    const p = id();
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    const odd: EvalResult = {
      Output: { data: `a\u0000b${all}`, prompt: '\u0000' },
      Messages: [{ Target: id(), Tags: [{ name: 'K\u0000', value: `v\u0000${all}` }], Data: 'hi\u0000there' }],
      Spawns: [],
      Assignments: [],
      Error: 'boom\u0000after',
      GasUsed: 3,
    };
    await store.commit(p, [{ nonce: 0, messageId: id(), result: odd }, committed(1, 'plain \\u0000 text')], undefined);
    const stored = await prisma.$queryRaw<{ result: unknown; error: string | null }[]>`
      SELECT result, error FROM results WHERE process_id = ${p} ORDER BY nonce`;
    expect(decodeStoredResult(stored[0].result)).toEqual(odd);
    expect(stored[0].error).toBe('boom\uFFFDafter');
    expect(decodeStoredResult(stored[1].result)).toEqual(result('plain \\u0000 text'));
    expect(await store.evaluationHead(p)).toEqual({ nonce: 1 });
  });
});
