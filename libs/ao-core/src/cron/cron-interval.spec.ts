import { describe, expect, it } from 'vitest';
import { isAoError } from '../errors.js';
import { cronCursorAt, cronSpec, cronTickTags, dueTicks, parseCronInterval } from './cron-interval.js';

describe('Cron-Interval', () => {
  it.each([
    ['1-second', 'ms', 1_000],
    ['10-seconds', 'ms', 10_000],
    ['5-minutes', 'ms', 300_000],
    ['2-hours', 'ms', 7_200_000],
    ['1-day', 'ms', 86_400_000],
    ['3-blocks', 'blocks', 3],
  ])('parses %s', (text, unit, period) => {
    expect(parseCronInterval(text)).toEqual({ text, unit, period });
  });

  it.each(['0-seconds', '5-fortnights', 'seconds', '-1-seconds', '1.5-minutes', '', '10'])('refuses %j', (text) => {
    let error: unknown;
    try {
      parseCronInterval(text);
    } catch (e) {
      error = e;
    }
    expect(isAoError(error, 'INVALID_REQUEST')).toBe(true);
  });

  it('refuses intervals below the platform minimum', () => {
    expect(() => parseCronInterval('1-second', 5_000)).toThrow(/below the platform minimum/);
    expect(parseCronInterval('5-seconds', 5_000).period).toBe(5_000);
  });

  it('collects intervals and Cron-Tag-* tags from a Process', () => {
    const spec = cronSpec([
      { name: 'Cron-Interval', value: '1-minute' },
      { name: 'Cron-Tag-Action', value: 'Tick' },
      { name: 'Cron-Interval', value: '2-blocks' },
      { name: 'Name', value: 'x' },
    ]);
    expect(spec.intervals.map((i) => i.text)).toEqual(['1-minute', '2-blocks']);
    expect(spec.tickTags).toEqual([{ name: 'Action', value: 'Tick' }]);
  });
});

describe('dueTicks', () => {
  it('aligns ticks to the origin and emits none early', () => {
    expect(dueTicks(1_000, 1_000, undefined, 1_999, 'catch-up')).toEqual([]);
    expect(dueTicks(1_000, 1_000, undefined, 2_000, 'catch-up')).toEqual([{ time: 2_000, missed: 0 }]);
    expect(dueTicks(1_000, 1_000, 2_000, 2_500, 'catch-up')).toEqual([]);
  });

  it('catches up every missed tick after downtime', () => {
    expect(dueTicks(0, 1_000, 3_000, 8_400, 'catch-up').map((t) => t.time)).toEqual([4_000, 5_000, 6_000, 7_000, 8_000]);
  });

  it('coalesces a missed stretch into one tick with a Missed count', () => {
    expect(dueTicks(0, 1_000, 3_000, 8_400, 'coalesce')).toEqual([{ time: 8_000, missed: 4 }]);
    expect(dueTicks(0, 1_000, 7_000, 8_400, 'coalesce')).toEqual([{ time: 8_000, missed: 0 }]);
  });
});

describe('cronCursorAt', () => {
  it('starts at the latest aligned tick, never before the origin', () => {
    expect(cronCursorAt(1_000, 1_000, 500)).toBe(1_000);
    expect(cronCursorAt(1_000, 1_000, 1_999)).toBe(1_000);
    expect(cronCursorAt(1_000, 1_000, 2_000)).toBe(2_000);
    expect(cronCursorAt(1_000, 300, 2_400)).toBe(2_200);
    expect(dueTicks(1_000, 300, cronCursorAt(1_000, 300, 2_400), 2_499, 'catch-up')).toEqual([]);
  });
});

describe('cronTickTags', () => {
  it('marks a tick as cron, with its interval, time and missed count after the Cron-Tag-* tags', () => {
    const tags = cronTickTags({ text: '1-second', unit: 'ms', period: 1_000 }, 5_000, 3, [{ name: 'Action', value: 'Tick' }]);
    expect(tags.slice(3)).toEqual([
      { name: 'Action', value: 'Tick' },
      { name: 'Cron', value: 'true' },
      { name: 'Cron-Interval', value: '1-second' },
      { name: 'Cron-Tick-Time', value: '5000' },
      { name: 'Missed', value: '3' },
    ]);
    const spoof = cronTickTags({ text: '1-second', unit: 'ms', period: 1_000 }, 5_000, 0, [{ name: 'Cron', value: 'false' }, { name: 'Type', value: 'Process' }]);
    expect(spoof.filter((t) => t.name === 'Cron' || t.name === 'Type')).toEqual([{ name: 'Type', value: 'Message' }, { name: 'Cron', value: 'true' }]);
    expect(cronTickTags({ text: '2-blocks', unit: 'blocks', period: 2 }, 8, 0, [])).toContainEqual({ name: 'Cron-Tick-Height', value: '8' });
  });
});
