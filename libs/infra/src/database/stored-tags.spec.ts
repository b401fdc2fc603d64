import { describe, expect, it } from 'vitest';
import { storableTags, tagsFromStore } from './stored-tags.js';

describe('stored tags', () => {
  it('stores tags without NUL as themselves', () => {
    const tags = [{ name: 'Action', value: 'Ping' }, { name: 'é', value: '' }];
    expect(storableTags(tags)).toBe(JSON.stringify(tags));
    expect(tagsFromStore(JSON.parse(storableTags(tags)))).toEqual(tags);
  });

  it('keeps a NUL in names and values exactly, in JSON that holds no U+0000', () => {
    const tags = [{ name: 'Action', value: 'hi\u0000there' }, { name: 'K\u0000', value: 'v' }, { name: 'Plain', value: 'x' }];
    const text = storableTags(tags);
    expect(text).not.toMatch(/\\u0000/);
    const stored = JSON.parse(text) as { name: string; value: string }[];
    // readers that only look at names and values see U+FFFD in place of NUL
    expect(stored.map((t) => [t.name, t.value])).toEqual([['Action', 'hi\uFFFDthere'], ['K\uFFFD', 'v'], ['Plain', 'x']]);
    expect(tagsFromStore(stored)).toEqual(tags);
  });

  it('reads an absent or malformed column as no tags', () => {
    expect(tagsFromStore(null)).toEqual([]);
    expect(tagsFromStore({})).toEqual([]);
  });
});
