import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createData, type Signer } from 'arbundles';
import { beforeAll, describe, expect, it } from 'vitest';
import { AoError, isAoError, type AoErrorCode } from '../errors.js';
import { createDataItem } from './create-data-item.js';
import { DEFAULT_PARSE_LIMITS } from './item-limits.js';
import { parseDataItem, type SignedDataItem } from './parse-data-item.js';
import { Ed25519ItemSigner } from './signers.js';

const signer = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
const TARGET = createHash('sha256').update('p').digest('base64url');

function code(fn: () => unknown): AoErrorCode | 'no error' | 'raw error' {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return error instanceof AoError ? error.code : 'raw error';
  }
}

/** An unsigned item laid out by arbundles for a type-2 owner (the signature is zeros: structure only). */
function unsigned(tags: { name: string; value: string }[], data: string | Uint8Array = 'x', opts: { target?: string; anchor?: string } = {}): Buffer {
  const fake: Signer = { signatureType: 2, signatureLength: 64, ownerLength: 32, publicKey: signer.publicKey, sign: () => Buffer.alloc(64) };
  return createData(data, fake, { tags, ...opts }).getRaw();
}

let item: SignedDataItem;
beforeAll(async () => {
  item = await createDataItem(
    { data: 'payload', target: TARGET, anchor: 'a'.repeat(32), tags: [{ name: 'Data-Protocol', value: 'ao' }, { name: 'Empty', value: '' }] },
    signer,
  );
});

describe('parseDataItem', () => {
  it('splits a signed item into its fields', () => {
    const parsed = parseDataItem(new Uint8Array(item.raw)); // a plain Uint8Array works too
    expect(parsed).toMatchObject({
      signatureType: 2,
      target: TARGET,
      anchor: 'a'.repeat(32),
      tags: [{ name: 'Data-Protocol', value: 'ao' }, { name: 'Empty', value: '' }],
      ownerAddress: createHash('sha256').update(signer.publicKey).digest('base64url'),
    });
    expect(parsed.signature).toHaveLength(64);
    expect(parsed.owner).toHaveLength(32);
    expect(parsed.data.toString()).toBe('payload');
    expect(parsed.raw.equals(item.raw)).toBe(true);
  });

  it('leaves target and anchor undefined when absent, and reads an item without tags or data', () => {
    const parsed = parseDataItem(unsigned([], ''));
    expect(parsed.target).toBeUndefined();
    expect(parsed.anchor).toBeUndefined();
    expect(parsed.tags).toEqual([]);
    expect(parsed.data).toHaveLength(0);
  });

  it('renders a non-UTF-8 anchor as base64url of its bytes', () => {
    const raw = unsigned([], 'x', { anchor: 'b'.repeat(32) });
    const at = raw.indexOf(Buffer.from('b'.repeat(32)));
    raw.fill(0xff, at, at + 32);
    expect(parseDataItem(raw).anchor).toBe(Buffer.alloc(32, 0xff).toString('base64url'));
  });

  it('throws INVALID_ITEM for an item truncated anywhere before its data, never a raw error', () => {
    const dataStart = item.raw.length - item.data.length;
    for (let cut = 0; cut < dataStart; cut++) {
      expect(code(() => parseDataItem(item.raw.subarray(0, cut))), `cut at ${cut}`).toMatch(/^INVALID_(ITEM|TAGS)$/);
    }
  });

  it('throws only AoErrors for garbled input', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const raw = Buffer.from(item.raw);
      for (let k = 0; k < 1 + (i % 4); k++) raw[Math.floor(Math.random() * raw.length)] = Math.floor(Math.random() * 256);
      const c = code(() => parseDataItem(i % 7 === 0 ? randomBytes(i % 200) : raw));
      seen.add(c);
      expect(c).not.toBe('raw error');
    }
    expect(seen.has('no error')).toBe(true);
  });

  it('throws ITEM_TOO_LARGE above maxBytes (10 MiB by default)', () => {
    expect(DEFAULT_PARSE_LIMITS.maxBytes).toBe(10 * 1024 * 1024);
    expect(code(() => parseDataItem(item.raw, { maxBytes: item.raw.length - 1 }))).toBe('ITEM_TOO_LARGE');
    expect(code(() => parseDataItem(Buffer.alloc(10 * 1024 * 1024 + 1)))).toBe('ITEM_TOO_LARGE');
    expect(code(() => parseDataItem(item.raw, { maxBytes: item.raw.length }))).toBe('no error');
  });

  it('throws UNSUPPORTED_SIGNATURE for signature types other than 1, 2 and 3', () => {
    for (const type of [0, 4, 7, 999]) {
      const raw = Buffer.from(item.raw);
      raw.writeUInt16LE(type, 0);
      expect(code(() => parseDataItem(raw)), `type ${type}`).toBe('UNSUPPORTED_SIGNATURE');
    }
  });

  it('throws INVALID_ITEM for a presence byte other than 0 or 1', () => {
    const raw = Buffer.from(item.raw);
    raw[2 + 64 + 32] = 2;
    expect(code(() => parseDataItem(raw))).toBe('INVALID_ITEM');
  });

  it('throws INVALID_TAGS for too many tags, long names or values, and empty names', () => {
    const many = Array.from({ length: 129 }, (_, i) => ({ name: `t${i}`, value: 'v' }));
    expect(code(() => parseDataItem(unsigned(many.slice(0, 128))))).toBe('no error');
    expect(code(() => parseDataItem(unsigned(many)))).toBe('INVALID_TAGS');
    expect(code(() => parseDataItem(unsigned([{ name: 'n'.repeat(1025), value: 'v' }])))).toBe('INVALID_TAGS');
    expect(code(() => parseDataItem(unsigned([{ name: 'n'.repeat(1024), value: 'v'.repeat(3000) }])))).toBe('no error');
    expect(code(() => parseDataItem(unsigned([{ name: 'n', value: 'v'.repeat(3073) }])))).toBe('INVALID_TAGS');
    expect(code(() => parseDataItem(unsigned([{ name: '', value: 'v' }])))).toBe('INVALID_TAGS');
    expect(code(() => parseDataItem(unsigned([{ name: 'a', value: 'b' }, { name: 'c', value: 'd' }]), { maxTags: 1 }))).toBe('INVALID_TAGS');
  });

  it('keeps a NUL in a tag name or value (ANS-104 tags are byte strings), when parsing and when creating', async () => {
    const tags = [
      { name: 'Action', value: 'hi\u0000there' },
      { name: 'A\u0000', value: '\u0000' },
    ];
    expect(parseDataItem(unsigned(tags)).tags).toEqual(tags);
    const created = await createDataItem({ data: '', tags }, signer);
    expect(created.tags).toEqual(tags);
    expect(parseDataItem(created.raw).tags).toEqual(tags);
    // the bytes are those of the tag: NUL is one 0x00 byte in the signed block
    expect(created.raw.includes(Buffer.from('hi\u0000there'))).toBe(true);
  });

  it('throws INVALID_TAGS when the tag header disagrees with the block, or a string is not UTF-8', () => {
    const raw = unsigned([{ name: 'Name', value: 'Value' }]);
    const tagsStart = raw.indexOf(Buffer.from('Name')) - 2 - 16; // Avro: block count, name length, name
    const wrongCount = Buffer.from(raw);
    wrongCount[tagsStart] = 2;
    expect(code(() => parseDataItem(wrongCount))).toBe('INVALID_TAGS');
    const zeroCount = Buffer.from(raw);
    zeroCount[tagsStart] = 0;
    expect(code(() => parseDataItem(zeroCount))).toBe('INVALID_TAGS');
    const badUtf8 = Buffer.from(raw);
    badUtf8[raw.indexOf(Buffer.from('Value'))] = 0xff;
    expect(code(() => parseDataItem(badUtf8))).toBe('INVALID_TAGS');
    // A block one byte longer than its content: the extra byte would silently become data otherwise.
    const longer = Buffer.from(raw);
    longer[tagsStart + 8] += 1;
    expect(code(() => parseDataItem(longer))).toBe('INVALID_TAGS');
  });

  it('throws INVALID_ITEM for an Ethereum owner that is not an uncompressed key', () => {
    const fake: Signer = { signatureType: 3, signatureLength: 65, ownerLength: 65, publicKey: Buffer.alloc(65, 7), sign: () => Buffer.alloc(65) };
    const raw = createData('x', fake).getRaw();
    expect(code(() => parseDataItem(raw))).toBe('INVALID_ITEM');
  });

  it('reports structured details', () => {
    try {
      parseDataItem(item.raw, { maxBytes: 10 });
      expect.unreachable();
    } catch (error) {
      expect(isAoError(error, 'ITEM_TOO_LARGE')).toBe(true);
      expect((error as AoError).details).toEqual({ size: item.raw.length, max: 10 });
    }
  });
});

/** The AoError `fn` throws: its code, message and details. */
function failure(fn: () => unknown): { code: string; message: string; details: unknown } {
  try {
    fn();
  } catch (error) {
    if (error instanceof AoError) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('no error');
}

describe('parseDataItem says which check refused an item', () => {
  // a type-2 item without tags: signature (64) and owner (32) after the 2 type bytes, then the
  // target and anchor presence bytes, the tag header (16) and the data
  const bare = () => unsigned([], 'data');
  const tagsAt = 2 + 64 + 32 + 2;

  it('names the truncation point and the length', () => {
    expect(failure(() => parseDataItem(Buffer.from([2])))).toEqual({ code: 'INVALID_ITEM', message: 'Item truncated before its signature type', details: { length: 1 } });
    expect(failure(() => parseDataItem(Buffer.from([2, 0])))).toEqual({ code: 'INVALID_ITEM', message: 'Item truncated before its target', details: { length: 2 } });
    expect(failure(() => parseDataItem(bare().subarray(0, tagsAt - 1)))).toMatchObject({ code: 'INVALID_ITEM', message: 'Item truncated before its anchor' });
    expect(failure(() => parseDataItem(bare().subarray(0, tagsAt + 15)))).toEqual({ code: 'INVALID_ITEM', message: 'Item truncated before its tags', details: { length: tagsAt + 15 } });
    expect(code(() => parseDataItem(bare().subarray(0, tagsAt + 16)))).toBe('no error');
    const raw = unsigned([{ name: 'Name', value: 'Value' }], '');
    expect(failure(() => parseDataItem(raw.subarray(0, raw.length - 1)))).toEqual({ code: 'INVALID_ITEM', message: 'Item truncated inside its tags', details: { length: raw.length - 1 } });
  });

  it('names a bad presence byte and the field', () => {
    const raw = bare();
    raw[tagsAt - 2] = 7;
    expect(failure(() => parseDataItem(raw))).toEqual({ code: 'INVALID_ITEM', message: 'Bad target presence byte 7', details: { field: 'target' } });
  });

  it('reports the signature type it does not support, read little-endian', () => {
    const raw = Buffer.from(item.raw);
    raw.writeUInt16LE(0x0105, 0);
    expect(failure(() => parseDataItem(raw))).toEqual({
      code: 'UNSUPPORTED_SIGNATURE',
      message: 'Only signature types 1 (Arweave), 2 (Ed25519) and 3 (Ethereum) are supported',
      details: { signatureType: 0x0105 },
    });
  });

  it('refuses a tag header over the limits before reading the block', () => {
    // the header claims 200 tags (a block of 1): refused for the count, not for the mismatch
    const raw = unsigned([{ name: 'a', value: 'b' }]);
    raw.writeUInt32LE(200, tagsAt);
    expect(failure(() => parseDataItem(raw))).toEqual({ code: 'INVALID_TAGS', message: 'Too many tags: 200 > 128', details: { count: 200, max: 128 } });
    // a block longer than the 4096-byte limit: refused for its size, not as a truncated item
    const big = unsigned([{ name: 'a', value: 'b' }]);
    big.writeUInt32LE(5000, tagsAt + 8);
    expect(failure(() => parseDataItem(big))).toEqual({ code: 'INVALID_TAGS', message: 'Tag block is 5000 bytes > 4096', details: { size: 5000, max: 4096 } });
  });

  it('accepts a tag block of exactly the limit, and values of exactly the longest length', () => {
    // Avro: count (1) + per tag name length (1) + name (1) + value length (2) + value, then 0 (1)
    const exact = unsigned([{ name: 'a', value: 'v'.repeat(2043) }, { name: 'b', value: 'w'.repeat(2043) }]);
    expect(exact.readUInt32LE(tagsAt + 8)).toBe(4096);
    expect(parseDataItem(exact).tags.map((t) => t.value.length)).toEqual([2043, 2043]);
    expect(parseDataItem(unsigned([{ name: 'n', value: 'v'.repeat(3072) }])).tags[0].value).toHaveLength(3072);
  });

  it('names the disagreement between the tag header and the block', () => {
    const raw = unsigned([{ name: 'Name', value: 'Value' }]);
    const zero = Buffer.from(raw);
    zero.writeUInt32LE(0, tagsAt);
    expect(failure(() => parseDataItem(zero))).toEqual({ code: 'INVALID_TAGS', message: `Tag count 0 does not match a ${raw.readUInt32LE(tagsAt + 8)}-byte tag block`, details: { count: 0 } });
    const two = Buffer.from(raw);
    two.writeUInt32LE(2, tagsAt);
    expect(failure(() => parseDataItem(two))).toEqual({ code: 'INVALID_TAGS', message: 'Tag header says 2 tags, block holds 1', details: { count: 2 } });
  });

  it('names an Ethereum owner that is not an uncompressed key, and a size over the limit', () => {
    const fake: Signer = { signatureType: 3, signatureLength: 65, ownerLength: 65, publicKey: Buffer.alloc(65, 7), sign: () => Buffer.alloc(65) };
    expect(failure(() => parseDataItem(createData('x', fake).getRaw()))).toMatchObject({ code: 'INVALID_ITEM', message: 'An Ethereum owner must be an uncompressed public key (0x04…)' });
    expect(failure(() => parseDataItem(item.raw, { maxBytes: 10 })).message).toBe(`Item is ${item.raw.length} bytes > 10`);
  });
});
