import { describe, expect, it } from 'vitest';
import { AoError } from '../errors.js';
import { AppendBuffer } from './append-buffer.js';
import type { LogHead, Slot } from './ports.js';

const head = (nonce: number): LogHead => ({ processId: 'unused', nonce, hashChain: 'c', assignmentId: 'a', timestamp: 1, blockHeight: 1 });
const slot = (processId: string, nonce: number): Slot => ({ processId, nonce, timestamp: 1, blockHeight: 1, hashChain: 'c', assignmentId: `${processId}-${nonce}` });
const assignment = (s: Slot) => ({ id: s.assignmentId, raw: Buffer.from(s.assignmentId) });

function conflict(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AoError && error.code === 'CONFLICT') return error.message;
    throw error;
  }
  return 'no conflict';
}

describe('AppendBuffer', () => {
  it('keeps slots that follow each locked head, counting the batch’s earlier appends, in order', () => {
    const buffer = new AppendBuffer(new Map([['p', head(4)], ['q', head(-1)]]));
    const message = { id: 'm', ownerAddress: 'o', signatureType: 2, dedupeKey: 'k', tags: [], raw: Buffer.from('m') };
    for (const s of [slot('p', 5), slot('q', 0), slot('p', 6)]) buffer.add(s, assignment(s), s.nonce === 6 ? message : undefined);
    expect(buffer.slots.map((b) => `${b.slot.processId}:${b.slot.nonce}:${b.message?.id ?? '-'}`)).toEqual(['p:5:-', 'q:0:-', 'p:6:m']);
    expect(buffer.slots[0].assignment).toEqual({ id: 'p-5', raw: Buffer.from('p-5') });
  });

  it('refuses a slot of a log it does not hold, or one that skips or repeats a nonce', () => {
    const buffer = new AppendBuffer(new Map([['p', head(4)]]));
    expect(conflict(() => buffer.add(slot('x', 0), assignment(slot('x', 0))))).toBe('Process x is not locked');
    expect(conflict(() => buffer.add(slot('p', 6), assignment(slot('p', 6))))).toBe('Slot 6 does not follow 4');
    expect(conflict(() => buffer.add(slot('p', 4), assignment(slot('p', 4))))).toBe('Slot 4 does not follow 4');
    buffer.add(slot('p', 5), assignment(slot('p', 5)));
    expect(conflict(() => buffer.add(slot('p', 5), assignment(slot('p', 5))))).toBe('Slot 5 does not follow 5');
    expect(buffer.slots).toHaveLength(1);
  });
});
