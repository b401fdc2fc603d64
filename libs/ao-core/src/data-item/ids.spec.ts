import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeId, isId } from './ids.js';

describe('ids: canonical 43-character base64url encodings of 32 bytes', () => {
  it('decodes an id to its bytes, as Buffer does', () => {
    for (let i = 0; i < 20; i++) {
      const bytes = randomBytes(32);
      const id = bytes.toString('base64url');
      expect(decodeId(id)).toEqual(bytes);
      expect(isId(id)).toBe(true);
    }
    expect(decodeId('A'.repeat(43))).toEqual(Buffer.alloc(32));
    expect(decodeId(`${'_'.repeat(42)}w`)).toEqual(Buffer.from('ff'.repeat(31) + 'fc', 'hex'));
  });

  it('refuses wrong lengths, other alphabets, padding and non-canonical last characters', () => {
    const id = randomBytes(32).toString('base64url');
    const bad = [
      '',
      id.slice(0, 42),
      `${id}A`,
      `${id.slice(0, 42)}=`,
      `${id.slice(0, 42)}+`,
      `${id.slice(0, 42)}/`,
      ` ${id.slice(1)}`,
      `${'A'.repeat(42)}B`, // decodes to the same bytes as A…A, but its unused low bits are set
      `${'A'.repeat(42)}D`,
    ];
    for (const value of bad) {
      expect(decodeId(value), value).toBeUndefined();
      expect(isId(value), value).toBe(false);
    }
    expect(decodeId(42 as unknown as string)).toBeUndefined();
  });
});
