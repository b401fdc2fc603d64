/**
 * Numbers, times and ids as a person reads them, in the browser's locale (`locale` undefined) or
 * a given one (tests). Every figure carries its unit.
 */

// Building an Intl formatter costs far more than using one: a table of 1,000 rows formats thousands of values.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();
function formatter<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(key: string, make: () => T): T {
  let f = formatters.get(key) as T | undefined;
  if (!f) formatters.set(key, (f = make()));
  return f;
}

export function formatNumber(value: number, locale?: string, digits = 0): string {
  return formatter(`n|${locale ?? ''}|${digits}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 })).format(value);
}

/** A count with its unit, singular or plural: `1 message`, `1,204 messages`. */
export function formatCount(value: number, unit: string, plural = `${unit}s`, locale?: string): string {
  return `${formatNumber(value, locale)} ${value === 1 ? unit : plural}`;
}

/** A rate with one decimal below 100: `12.5 msg/s`. */
export function formatRate(perSecond: number | null, unit: string, locale?: string): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return '—';
  return `${formatNumber(perSecond, locale, perSecond < 100 ? 1 : 0)} ${unit}/s`;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number, locale?: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value, locale, unit === 0 ? 0 : 1)} ${BYTE_UNITS[unit]}`;
}

/** A duration: `850 ms`, `12.3 s`, `4 min 10 s`, `2 h 5 min`. */
export function formatDuration(ms: number, locale?: string): string {
  if (ms < 1000) return `${formatNumber(ms, locale)} ms`;
  if (ms < 60_000) return `${formatNumber(ms / 1000, locale, 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Date and time in the user's locale and time zone, to the second. */
export function formatTime(ms: number, locale?: string): string {
  return formatter(`d|${locale ?? ''}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' })).format(ms);
}

/** `3 minutes ago`, `in 10 seconds`. */
export function formatRelative(ms: number, now = Date.now(), locale?: string): string {
  const seconds = Math.round((ms - now) / 1000);
  const rtf = formatter(`r|${locale ?? ''}`, () => new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }));
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86_400), 'day');
}

/** A 43-character id shortened for tables: `AbCdEf…WxYz`. */
export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id;
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The value of the first tag named `name`. */
export function tagValue(tags: { name: string; value: string }[] | undefined, name: string): string | undefined {
  return tags?.find((t) => t.name === name)?.value;
}
