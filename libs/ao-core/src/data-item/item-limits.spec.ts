import { describe, expect, it } from 'vitest';
import { AoError } from '../errors.js';
import { checkTags, DEFAULT_PARSE_LIMITS, resolveLimits } from './item-limits.js';

function refusal(tags: unknown, limits = DEFAULT_PARSE_LIMITS): { code: string; message: string; details: unknown } | 'accepted' {
  try {
    checkTags(tags, limits);
    return 'accepted';
  } catch (error) {
    if (error instanceof AoError) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
}

describe('checkTags', () => {
  it('says which tag breaks which rule, with its index (and its name, cut to 64 characters)', () => {
    expect(refusal('Action=Ping')).toEqual({ code: 'INVALID_TAGS', message: 'Tags must be an array of {name, value}', details: {} });
    expect(refusal([{ name: 'a', value: 'b' }, { name: 'c' }])).toEqual({ code: 'INVALID_TAGS', message: 'Tag 1 must be {name: string, value: string}', details: { index: 1 } });
    expect(refusal([null])).toMatchObject({ details: { index: 0 } });
    expect(refusal([{ name: '', value: 'v' }])).toEqual({ code: 'INVALID_TAGS', message: 'Tag 0 has an empty name', details: { index: 0 } });
    const long = 'n'.repeat(1025);
    expect(refusal([{ name: 'ok', value: '' }, { name: long, value: 'v' }])).toEqual({
      code: 'INVALID_TAGS',
      message: 'Tag 1 name is 1025 bytes > 1024',
      details: { index: 1, name: 'n'.repeat(64) },
    });
    expect(refusal([{ name: `${'k'.repeat(70)}`, value: 'v'.repeat(3073) }])).toEqual({
      code: 'INVALID_TAGS',
      message: `Tag 0 (${'k'.repeat(64)}) value is 3073 bytes > 3072`,
      details: { index: 0, name: 'k'.repeat(64) },
    });
    const many = Array.from({ length: 3 }, (_, i) => ({ name: `t${i}`, value: '' }));
    expect(refusal(many, resolveLimits({ maxTags: 2 }))).toEqual({ code: 'INVALID_TAGS', message: 'Too many tags: 3 > 2', details: { count: 3, max: 2 } });
  });

  it('counts bytes, not characters, and accepts exactly the limits', () => {
    expect(refusal([{ name: 'é'.repeat(512), value: '€'.repeat(1024) }])).toBe('accepted'); // 1024 and 3072 bytes
    expect(refusal([{ name: 'é'.repeat(513), value: '' }])).toMatchObject({ message: 'Tag 0 name is 1026 bytes > 1024' });
    expect(refusal([{ name: 'n', value: `${'€'.repeat(1024)}x` }])).toMatchObject({ message: 'Tag 0 (n) value is 3073 bytes > 3072' });
    expect(refusal(Array.from({ length: 128 }, () => ({ name: 'n', value: '' })))).toBe('accepted');
    expect(refusal([])).toBe('accepted');
  });

  it('resolveLimits overrides only the limits given', () => {
    expect(resolveLimits()).toEqual(DEFAULT_PARSE_LIMITS);
    expect(resolveLimits({ maxTags: 5, maxBytes: undefined })).toEqual({ ...DEFAULT_PARSE_LIMITS, maxTags: 5 });
  });
});
