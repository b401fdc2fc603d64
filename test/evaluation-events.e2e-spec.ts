import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluationEvents, announceEvaluated, announceEvaluatedMany, createRedis } from '@ao/infra';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** A promise's outcome so far, read without waiting (the test decides when to look). */
const track = (p: Promise<unknown>) => {
  const seen = { woken: false };
  void p.then(() => (seen.woken = true));
  return seen;
};
describe('EvaluationEvents (real Redis): waking GET /cu/result waiters', () => {
  const prefix = `test-events-${randomUUID()}`;
  const publisher = createRedis(REDIS_URL, 'producer');
  let events: EvaluationEvents;

  beforeAll(async () => {
    events = new EvaluationEvents(REDIS_URL, prefix);
    // The subscription is up once a first wait has passed it.
    await events.wait('warm-up', 0, 10);
  });
  afterAll(() => {
    events.close();
    publisher.disconnect();
  });

  /**
   * Publishes, then waits until the subscriber has handled it: a marker published after it on the
   * same channel arrives after it, and once the marker's waiter is woken, every promise the earlier
   * announcement settled has run its callbacks too (setImmediate runs after the microtasks).
   */
  const announce = async (processId: string, nonce: number) => {
    await announceEvaluated(publisher, prefix, processId, nonce);
    const marker = `flush-${randomUUID()}`;
    const flushed = events.watch(marker, 1);
    await announceEvaluated(publisher, prefix, marker, 1);
    await flushed.next(60_000);
    flushed.close();
    expect(events.announced(marker)).toBe(1);
    await new Promise((r) => setImmediate(r));
  };

  it('keeps an announcement that lands before the wait begins (the gap between reading the database and waiting)', async () => {
    const watch = events.watch('p1', 5);
    await announce('p1', 5);
    // Without the standing watch this would sleep for the whole fallback delay.
    const woken = track(watch.next(60_000));
    await new Promise((r) => setImmediate(r));
    expect(woken.woken).toBe(true);
    watch.close();
  });

  it("wakes every process's waiters from one announcement of a batch", async () => {
    const a = events.watch('batch-a', 2);
    const b = events.watch('batch-b', 7);
    const c = events.watch('batch-c', 5);
    await announceEvaluatedMany(publisher, prefix, [
      { processId: 'batch-a', nonce: 2 },
      { processId: 'batch-b', nonce: 8 },
      { processId: 'batch-c', nonce: 4 },
    ]);
    const marker = `flush-${randomUUID()}`;
    const flushed = events.watch(marker, 1);
    await announceEvaluated(publisher, prefix, marker, 1);
    await flushed.next(60_000);
    flushed.close();
    await new Promise((r) => setImmediate(r));
    const woken = [track(a.next(60_000)), track(b.next(60_000)), track(c.next(10))];
    await new Promise((r) => setImmediate(r));
    // batch-c's announcement is behind its wait: only its own fallback delay ends it.
    expect(woken.map((w) => w.woken)).toEqual([true, true, false]);
    expect([events.announced('batch-a'), events.announced('batch-b'), events.announced('batch-c')]).toEqual([2, 8, 4]);
    for (const w of [a, b, c]) w.close();
  });

  it('remembers the highest nonce announced per process, with or without waiters', async () => {
    expect(events.announced('p-heads')).toBeUndefined();
    await announce('p-heads', 3);
    await announce('p-heads', 9);
    // An older announcement arriving late does not move the head back.
    await announce('p-heads', 4);
    expect(events.announced('p-heads')).toBe(9);
    expect(events.announced('p-other')).toBeUndefined();
  });

  it('is not woken by an announcement short of its nonce or for another process', async () => {
    const watch = events.watch('p2', 7);
    const woken = track(watch.next(60_000));
    await announce('p2', 6);
    await announce('p3', 9);
    expect(woken.woken).toBe(false);
    await announce('p2', 8);
    expect(woken.woken).toBe(true);
    watch.close();
  });

  it('can start before the nonce is known: at 0 it takes any announcement, after until(n) only those at or past n', async () => {
    const early = events.watch('p5', 0);
    await announce('p5', 2); // lands while the caller reads the database for the nonce
    early.until(9);
    const first = track(early.next(60_000));
    await new Promise((r) => setImmediate(r));
    expect(first.woken).toBe(true);
    const woken = track(early.next(60_000));
    await announce('p5', 8);
    expect(woken.woken).toBe(false);
    await announce('p5', 9);
    expect(woken.woken).toBe(true);
    early.close();
  });

  it('wakes on its own after the fallback delay, and once per announcement', async () => {
    const watch = events.watch('p4', 1);
    await watch.next(20); // nothing announced: the fallback
    await announce('p4', 1);
    await watch.next(60_000);
    // That announcement was used up: the next wait sleeps again, until the watch is closed.
    const woken = track(watch.next(60_000));
    await announce('p4', 0); // an announcement short of the nonce: the subscriber is surely past the first
    expect(woken.woken).toBe(false);
    watch.close();
    await new Promise((r) => setImmediate(r));
    expect(woken.woken).toBe(true);
  });
});
