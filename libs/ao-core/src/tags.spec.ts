import { describe, expect, it } from 'vitest';
import { AoError } from './errors.js';
import { AO_TYPES, TAG, aoTags, getTag, getTags, hasTag, validateAoItem } from './tags.js';

const ID = 'M'.repeat(43);

function details(fn: () => unknown): Record<string, unknown> | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof AoError && error.code === 'INVALID_PROTOCOL') return error.details;
    throw error;
  }
  return undefined;
}

describe('tag helpers', () => {
  const tags = [
    { name: 'Authority', value: 'a' },
    { name: 'Action', value: 'Eval' },
    { name: 'Authority', value: 'b' },
  ];

  it('reads the first value, all values, and presence (names are case-sensitive)', () => {
    expect(getTag(tags, 'Authority')).toBe('a');
    expect(getTag(tags, 'authority')).toBeUndefined();
    expect(getTags(tags, TAG.Authority)).toEqual(['a', 'b']);
    expect(getTags(tags, 'Missing')).toEqual([]);
    expect(hasTag(tags, 'Action')).toBe(true);
    expect(hasTag(tags, 'Action', 'Eval')).toBe(true);
    expect(hasTag(tags, 'Action', 'Send')).toBe(false);
  });

  it('builds the ao header tags', () => {
    expect(aoTags('Message')).toEqual([
      { name: 'Data-Protocol', value: 'ao' },
      { name: 'Variant', value: 'ao.TN.1' },
      { name: 'Type', value: 'Message' },
    ]);
  });

  it('names the protocol tags as PROTOCOL.md spells them', () => {
    expect(TAG.HashChain).toBe('Hash-Chain');
    expect(TAG.BlockHeight).toBe('Block-Height');
    expect(TAG.TimeToLive).toBe('Time-To-Live');
    expect(TAG.Sha256).toBe('SHA-256');
    expect(AO_TYPES).toContain('Scheduler-Location');
  });
});

describe('validateAoItem', () => {
  const process = [...aoTags('Process'), { name: 'Module', value: ID }, { name: 'Scheduler', value: ID }];

  it('accepts well-formed items and returns their Type', () => {
    expect(validateAoItem({ tags: process })).toBe('Process');
    expect(validateAoItem({ tags: aoTags('Message'), target: ID }, ['Message'])).toBe('Message');
    expect(validateAoItem({ tags: [...aoTags('Module'), { name: 'Module-Format', value: 'lua' }] })).toBe('Module');
    expect(validateAoItem({ tags: [...aoTags('Scheduler-Location'), { name: 'Url', value: 'http://su' }, { name: 'Time-To-Live', value: '1000' }] })).toBe(
      'Scheduler-Location',
    );
  });

  it('requires Data-Protocol ao and a Type', () => {
    expect(details(() => validateAoItem({ tags: [{ name: 'Type', value: 'Message' }], target: ID }))).toMatchObject({ tag: 'Data-Protocol' });
    expect(details(() => validateAoItem({ tags: [{ name: 'Data-Protocol', value: 'other' }] }))).toMatchObject({ tag: 'Data-Protocol', got: ['other'] });
    expect(details(() => validateAoItem({ tags: [{ name: 'Data-Protocol', value: 'ao' }] }))).toMatchObject({ tag: 'Type' });
  });

  it('requires Module and Scheduler on a Process, a target on a Message, Module-Format on a Module', () => {
    expect(details(() => validateAoItem({ tags: process.filter((t) => t.name !== 'Module') }))).toMatchObject({ tag: 'Module', type: 'Process' });
    expect(details(() => validateAoItem({ tags: process.filter((t) => t.name !== 'Scheduler') }))).toMatchObject({ tag: 'Scheduler' });
    expect(details(() => validateAoItem({ tags: aoTags('Message') }))).toMatchObject({ field: 'target' });
    expect(details(() => validateAoItem({ tags: aoTags('Module') }))).toMatchObject({ tag: 'Module-Format' });
    expect(details(() => validateAoItem({ tags: aoTags('Assignment') }))).toMatchObject({ tag: 'Process' });
  });

  it('enforces the expected types when given, and lets unknown types through otherwise', () => {
    expect(details(() => validateAoItem({ tags: process }, ['Message']))).toMatchObject({ tag: 'Type', got: 'Process', expected: ['Message'] });
    const custom = [{ name: 'Data-Protocol', value: 'ao' }, { name: 'Type', value: 'Attestation' }];
    expect(validateAoItem({ tags: custom })).toBe('Attestation');
    expect(details(() => validateAoItem({ tags: custom }, ['Process', 'Message']))).toMatchObject({ tag: 'Type' });
  });
});
