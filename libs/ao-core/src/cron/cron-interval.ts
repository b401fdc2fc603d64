import { AoError } from '../errors.js';
import type { Tag } from '../types.js';

/** A parsed `Cron-Interval`: a period in milliseconds, or in blocks. */
export interface CronInterval {
  /** The tag's text, e.g. `5-minutes`. */
  text: string;
  unit: 'ms' | 'blocks';
  /** Period in ms (unit `ms`) or in blocks (unit `blocks`). */
  period: number;
}

const UNIT_MS: Record<string, number> = {
  millisecond: 1,
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
};

/** Parses `N-seconds|minutes|hours|days|blocks` (singular or plural); refuses zero, fractions and unknown units. */
export function parseCronInterval(text: string, minimumMs = 1_000): CronInterval {
  const m = /^\s*(\d+)\s*-\s*([a-z]+?)s?\s*$/i.exec(text);
  if (!m) throw new AoError('INVALID_REQUEST', `Cron-Interval "${text}" must look like "5-minutes" or "10-blocks"`, { interval: text });
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  if (!Number.isSafeInteger(n) || n <= 0) throw new AoError('INVALID_REQUEST', `Cron-Interval "${text}" must be a positive whole number of units`, { interval: text });
  if (unit === 'block') return { text, unit: 'blocks', period: n };
  const ms = UNIT_MS[unit];
  if (!ms) throw new AoError('INVALID_REQUEST', `Cron-Interval "${text}" has unknown unit "${m[2]}" (seconds, minutes, hours, days, weeks, months, years or blocks)`, { interval: text });
  const period = n * ms;
  if (period < minimumMs) {
    throw new AoError('INVALID_REQUEST', `Cron-Interval "${text}" is below the platform minimum of ${minimumMs} ms`, { interval: text, minimumMs });
  }
  return { text, unit: 'ms', period };
}

/** The `Cron-Interval` tags of a Process and the tags (`Cron-Tag-X: v` → `X: v`) each tick carries. */
export function cronSpec(processTags: Tag[], minimumMs = 1_000): { intervals: CronInterval[]; tickTags: Tag[] } {
  const intervals = processTags.filter((t) => t.name === 'Cron-Interval').map((t) => parseCronInterval(t.value, minimumMs));
  const tickTags = processTags
    .filter((t) => t.name.startsWith('Cron-Tag-') && t.name.length > 'Cron-Tag-'.length)
    .map((t) => ({ name: t.name.slice('Cron-Tag-'.length), value: t.value }));
  return { intervals, tickTags };
}

/** What a missed stretch of ticks becomes after downtime. */
export type MissedTickPolicy = 'catch-up' | 'coalesce';

/**
 * The ticks due at `now` for an interval aligned to `origin` (the process's creation time or
 * height), after the last emitted tick `last` (or none). `catch-up` returns every missed tick;
 * `coalesce` returns only the latest with the number it stands for.
 */
export function dueTicks(
  origin: number,
  period: number,
  last: number | undefined,
  now: number,
  policy: MissedTickPolicy,
  max = 10_000,
): { time: number; missed: number }[] {
  const first = last === undefined ? origin + period : last + period;
  if (first > now) return [];
  const count = Math.floor((now - first) / period) + 1;
  if (policy === 'coalesce') return [{ time: first + (count - 1) * period, missed: count - 1 }];
  const ticks: { time: number; missed: number }[] = [];
  for (let i = 0; i < Math.min(count, max); i += 1) ticks.push({ time: first + i * period, missed: 0 });
  return ticks;
}

/**
 * Where ticks start for a registration made at `now`: the latest tick time (or height) at or before
 * `now`, aligned to `origin`, or `origin` itself when no tick is due yet. A registration never
 * back-fills the ticks that fell before it was made.
 */
export function cronCursorAt(origin: number, period: number, now: number): number {
  return now <= origin ? origin : origin + Math.floor((now - origin) / period) * period;
}

// Tag names a tick sets itself; a Cron-Tag-* of the same name cannot override them.
const TICK_MARKERS = new Set(['Data-Protocol', 'Variant', 'Type', 'Cron', 'Cron-Interval', 'Cron-Tick-Time', 'Cron-Tick-Height', 'Missed']);

/** The tags of a cron tick message: protocol tags, the process's Cron-Tag-* tags, then the cron markers. */
export function cronTickTags(interval: CronInterval, time: number, missed: number, tickTags: Tag[]): Tag[] {
  return [
    { name: 'Data-Protocol', value: 'ao' },
    { name: 'Variant', value: 'ao.TN.1' },
    { name: 'Type', value: 'Message' },
    ...tickTags.filter((t) => !TICK_MARKERS.has(t.name)),
    { name: 'Cron', value: 'true' },
    { name: 'Cron-Interval', value: interval.text },
    { name: interval.unit === 'ms' ? 'Cron-Tick-Time' : 'Cron-Tick-Height', value: String(time) },
    ...(missed > 0 ? [{ name: 'Missed', value: String(missed) }] : []),
  ];
}
