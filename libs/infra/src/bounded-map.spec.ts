import { describe, expect, it } from 'vitest';
import { setBounded } from './bounded-map.js';

describe('setBounded', () => {
  it('pushes the oldest key out when a new one passes the bound, and updates a known key in place', () => {
    const map = new Map<string, number>();
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3]] as const) setBounded(map, k, v, 3);
    setBounded(map, 'a', 10, 3);
    expect([...map]).toEqual([['a', 10], ['b', 2], ['c', 3]]);
    setBounded(map, 'd', 4, 3);
    expect([...map]).toEqual([['b', 2], ['c', 3], ['d', 4]]);
  });
});
