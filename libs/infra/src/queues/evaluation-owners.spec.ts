import { describe, expect, it } from 'vitest';
import type { Heartbeats } from '../redis/heartbeats.js';
import { EvaluationOwners, ownEvaluateQueue, rendezvousOwner } from './evaluation-owners.js';

/** Heartbeats whose live workers the test sets. */
function beats(list: { instance: string; queues: unknown }[]) {
  const state = { list };
  const heartbeats = { list: async () => state.list.map((b) => ({ ...b, at: 0 })) } as unknown as Heartbeats;
  return { heartbeats, state };
}

const ids = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(3, '0')}${'p'.repeat(40)}`);

describe('EvaluationOwners', () => {
  it('owns nothing with fewer than two evaluating workers, and ignores workers without the evaluate stage', async () => {
    const { heartbeats, state } = beats([{ instance: 'a', queues: 'all' }, { instance: 'b', queues: ['push', 'upload'] }]);
    const owners = new EvaluationOwners(heartbeats, 60_000);
    await owners.refresh();
    expect(owners.workers).toEqual(['a']);
    expect(ids.map((id) => owners.ownerOf(id)).every((o) => o === undefined)).toBe(true);
    state.list = [...state.list, { instance: 'c', queues: ['evaluate', 'push'] }];
    await owners.refresh();
    expect(owners.workers).toEqual(['a', 'c']);
    owners.close();
  });

  it('splits processes over the live workers the same way in every reader, and gives the live ones every process once one leaves', async () => {
    const three = beats([{ instance: 'w2', queues: 'all' }, { instance: 'w1', queues: 'all' }, { instance: 'w3', queues: 'all' }]);
    const [x, y] = [new EvaluationOwners(three.heartbeats, 60_000), new EvaluationOwners(three.heartbeats, 60_000)];
    await Promise.all([x.refresh(), y.refresh()]);
    const before = ids.map((id) => x.ownerOf(id));
    expect(ids.map((id) => y.ownerOf(id))).toEqual(before);
    for (const w of ['w1', 'w2', 'w3']) expect(before.filter((o) => o === w).length).toBeGreaterThan(40);
    three.state.list = three.state.list.filter((b) => b.instance !== 'w3');
    await x.refresh();
    const after = ids.map((id) => x.ownerOf(id));
    expect(after.every((o) => o === 'w1' || o === 'w2')).toBe(true);
    x.close();
    y.close();
  });

  const many = Array.from({ length: 10_000 }, (_, i) => `${String(i).padStart(5, '0')}${'q'.repeat(38)}`);
  const ownersOf = async (instances: string[]) => {
    const reader = new EvaluationOwners(beats(instances.map((instance) => ({ instance, queues: 'all' }))).heartbeats, 60_000);
    await reader.refresh();
    reader.close();
    return many.map((id) => reader.ownerOf(id));
  };

  it('moves only the joining worker’s share when a fourth worker joins (rendezvous hashing)', async () => {
    const three = await ownersOf(['w1', 'w2', 'w3']);
    const four = await ownersOf(['w4', 'w3', 'w1', 'w2']);
    const moved = many.map((_, i) => i).filter((i) => three[i] !== four[i]);
    // About a quarter of the processes move, all of them to the new worker.
    expect(moved.length).toBeGreaterThan(2_200);
    expect(moved.length).toBeLessThan(2_800);
    expect(moved.every((i) => four[i] === 'w4')).toBe(true);
    expect(four.filter((o) => o === 'w4').length).toBe(moved.length);
  });

  it('moves only the leaving worker’s share when one of four leaves', async () => {
    const four = await ownersOf(['w1', 'w2', 'w3', 'w4']);
    const three = await ownersOf(['w1', 'w2', 'w4']);
    for (let i = 0; i < many.length; i++) {
      if (four[i] === 'w3') expect(three[i]).not.toBe('w3');
      else expect(three[i]).toBe(four[i]);
    }
    for (const w of ['w1', 'w2', 'w4']) expect(three.filter((o) => o === w).length).toBeGreaterThan(2_900);
  });

  it('agrees in every reader, whatever order each lists the workers in', () => {
    const orders = [['a', 'b', 'c', 'd'], ['d', 'c', 'b', 'a'], ['b', 'd', 'a', 'c']];
    for (const id of many.slice(0, 1_000)) {
      const seen = new Set(orders.map((o) => rendezvousOwner(o, id)));
      expect(seen.size).toBe(1);
    }
    expect(rendezvousOwner([], 'x')).toBeUndefined();
  });

  it('names each worker its own queue, safe for BullMQ (no colons)', () => {
    expect(ownEvaluateQueue('1234-ab:cd')).toBe('cu-evaluate.1234-ab_cd');
  });
});
