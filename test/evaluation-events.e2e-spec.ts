import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluationEvents, announceEvaluated, createRedis } from '@ao/infra';

const REDIS_URL = 'redis://127.0.0.1:6379';
const asleep = (ms: number) => new Promise<'asleep'>((r) => setTimeout(() => r('asleep'), ms));

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

  /** Publishes, then waits until the subscriber has surely seen it (a second, unrelated announcement round trip). */
  const announce = async (processId: string, nonce: number) => {
    await announceEvaluated(publisher, prefix, processId, nonce);
    await events.wait(`${processId}-flush`, 1, 50);
  };

  it('keeps an announcement that lands before the wait begins (the gap between reading the database and waiting)', async () => {
    const watch = events.watch('p1', 5);
    await announce('p1', 5);
    // Without the standing watch this would sleep for the whole fallback delay.
    expect(await Promise.race([watch.next(60_000).then(() => 'woken' as const), asleep(5_000)])).toBe('woken');
    watch.close();
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
    const woken = watch.next(60_000).then(() => 'woken' as const);
    await announce('p2', 6);
    await announce('p3', 9);
    expect(await Promise.race([woken, asleep(300)])).toBe('asleep');
    await announce('p2', 8);
    expect(await Promise.race([woken, asleep(5_000)])).toBe('woken');
    watch.close();
  });

  it('can start before the nonce is known: at 0 it takes any announcement, after until(n) only those at or past n', async () => {
    const early = events.watch('p5', 0);
    await announce('p5', 2); // lands while the caller reads the database for the nonce
    early.until(9);
    expect(await Promise.race([early.next(60_000).then(() => 'woken' as const), asleep(5_000)])).toBe('woken');
    const woken = early.next(60_000).then(() => 'woken' as const);
    await announce('p5', 8);
    expect(await Promise.race([woken, asleep(300)])).toBe('asleep');
    await announce('p5', 9);
    expect(await Promise.race([woken, asleep(5_000)])).toBe('woken');
    early.close();
  });

  it('wakes on its own after the fallback delay, and once per announcement', async () => {
    const watch = events.watch('p4', 1);
    await watch.next(20); // nothing announced: the fallback
    await announce('p4', 1);
    await watch.next(60_000);
    // That announcement was used up: the next wait sleeps again, until the watch is closed.
    const woken = watch.next(60_000).then(() => 'woken' as const);
    expect(await Promise.race([woken, asleep(300)])).toBe('asleep');
    watch.close();
    expect(await Promise.race([woken, asleep(5_000)])).toBe('woken');
  });
});
