import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatRate, formatRelative, formatTime, shortId } from './format';

describe('figures as people read them', () => {
  it('gives every figure its unit, in the locale asked for', () => {
    expect(formatCount(1, 'message', undefined, 'en-US')).toBe('1 message');
    expect(formatCount(1204, 'message', undefined, 'en-US')).toBe('1,204 messages');
    expect(formatCount(1204, 'entry', 'entries', 'de-DE')).toBe('1.204 entries');
    expect(formatRate(12.46, 'msg', 'en-US')).toBe('12.5 msg/s');
    expect(formatRate(1234.4, 'msg', 'en-US')).toBe('1,234 msg/s');
    expect(formatRate(null, 'msg')).toBe('—');
    expect(formatBytes(512, 'en-US')).toBe('512 B');
    expect(formatBytes(40960, 'en-US')).toBe('40 KB');
    expect(formatBytes(5.5 * 1024 * 1024, 'de-DE')).toBe('5,5 MB');
    expect([850, 12_340, 250_000, 7_500_000].map((ms) => formatDuration(ms, 'en-US'))).toEqual(['850 ms', '12.3 s', '4 min 10 s', '2 h 5 min']);
  });

  it('shows times in the given locale, relative times in words', () => {
    const ms = Date.UTC(2026, 11, 7, 15, 4, 5);
    expect(formatTime(ms, 'de-DE')).toBe(new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'medium' }).format(ms));
    expect(formatRelative(ms - 180_000, ms, 'en-US')).toBe('3 minutes ago');
    expect(formatRelative(ms + 10_000, ms, 'en-US')).toBe('in 10 seconds');
  });

  it('shortens ids for tables', () => {
    expect(shortId('AbCdEf0123456789012345678901234567890WxYz12')).toBe('AbCdEf…Yz12');
    expect(shortId('short')).toBe('short');
  });
});
