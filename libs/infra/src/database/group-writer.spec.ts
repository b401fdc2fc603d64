import { describe, expect, it } from 'vitest';
import { GroupWriter } from './group-writer.js';

/** A write the test releases by hand, recording each group it was given. */
function gatedWriter(fail?: (entries: number[]) => boolean) {
  const groups: number[][] = [];
  const gates: (() => void)[] = [];
  const write = (entries: number[]) =>
    new Promise<void>((resolve, reject) => {
      groups.push(entries);
      gates.push(() => (fail?.(entries) ? reject(new Error(`refused ${entries.join(',')}`)) : resolve()));
    });
  const openNext = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { groups, write, openNext };
}

describe('GroupWriter', () => {
  it('sends the first write at once and joins those submitted meanwhile into the next group', async () => {
    const w = gatedWriter();
    const writer = new GroupWriter(w.write);
    const first = writer.submit(1);
    const rest = [writer.submit(2), writer.submit(3), writer.submit(4)];
    await w.openNext();
    await first;
    await w.openNext();
    await Promise.all(rest);
    expect(w.groups).toEqual([[1], [2, 3, 4]]);
  });

  it('bounds a group at its maximum', async () => {
    const w = gatedWriter();
    const writer = new GroupWriter(w.write, { max: 2 });
    const all = [1, 2, 3, 4, 5].map((n) => writer.submit(n));
    for (let i = 0; i < 3; i += 1) await w.openNext();
    await Promise.all(all);
    expect(w.groups).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('retries a failed group entry by entry, so only the bad entry fails, with its own error', async () => {
    const w = gatedWriter((entries) => entries.includes(3));
    const writer = new GroupWriter(w.write);
    const first = writer.submit(1);
    const outcomes = [2, 3, 4].map((n) => writer.submit(n).then(() => 'ok', (e: Error) => e.message));
    for (let i = 0; i < 5; i += 1) await w.openNext();
    await first;
    expect(await Promise.all(outcomes)).toEqual(['ok', 'refused 3', 'ok']);
    expect(w.groups).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('keeps writing after a failure: later submissions start a new group', async () => {
    const w = gatedWriter((entries) => entries.includes(1));
    const writer = new GroupWriter(w.write);
    await Promise.all([writer.submit(1).catch(() => undefined), w.openNext()]);
    await Promise.all([writer.submit(2), w.openNext()]);
    expect(w.groups).toEqual([[1], [2]]);
  });

  it('fails only the entry whose write throws synchronously, and keeps serving', async () => {
    const groups: number[][] = [];
    const writer = new GroupWriter<number>((entries) => {
      groups.push(entries);
      if (entries.length === 1 && entries[0] === 2) throw new Error('refused 2 at once');
      return entries.includes(2) ? Promise.reject(new Error('joint refused')) : Promise.resolve();
    });
    const outcomes = [1, 2, 3].map((n) => writer.submit(n).then(() => 'ok', (e: Error) => e.message));
    expect(await Promise.all(outcomes)).toEqual(['ok', 'refused 2 at once', 'ok']);
    await writer.submit(4);
    expect(groups).toEqual([[1], [2, 3], [2], [3], [4]]);
  });
});
