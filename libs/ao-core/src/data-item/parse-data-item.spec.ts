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
