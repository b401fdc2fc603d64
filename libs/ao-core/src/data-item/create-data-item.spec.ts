import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AoError, type AoErrorCode } from '../errors.js';
import { createDataItem, type DataItemInput } from './create-data-item.js';
import { Ed25519ItemSigner, generateEd25519Key, type ItemSigner } from './signers.js';
import { verifyDataItem } from './verify-data-item.js';

const signer = new Ed25519ItemSigner(generateEd25519Key());
const TARGET = createHash('sha256').update('target').digest('base64url');

async function code(input: DataItemInput, s: ItemSigner = signer): Promise<AoErrorCode | 'no error' | 'raw error'> {
  try {
    await createDataItem(input, s);
    return 'no error';
  } catch (error) {
    return error instanceof AoError ? error.code : 'raw error';
  }
}

describe('createDataItem', () => {
  it('signs an item whose id is base64url(sha256(signature))', async () => {
    const item = await createDataItem({ data: new Uint8Array([0, 1, 2, 255]), tags: [{ name: 'A', value: 'b' }], target: TARGET }, signer);
    expect(item.id).toBe(createHash('sha256').update(item.signature).digest('base64url'));
    expect([...item.data]).toEqual([0, 1, 2, 255]);
    expect(item.target).toBe(TARGET);
    expect(item.anchor).toBeUndefined();
    expect(await verifyDataItem(item)).toBe(true);
  });

  it('treats an empty target or anchor as absent', async () => {
    const item = await createDataItem({ data: '', target: '', anchor: '' }, signer);
    expect(item.target).toBeUndefined();
    expect(item.anchor).toBeUndefined();
    expect(item.data).toHaveLength(0);
  });

  it('refuses a malformed target or anchor, and bad tags, before signing', async () => {
    let signed = 0;
    const counting: ItemSigner = { ...signer, publicKey: signer.publicKey, sign: (m) => (signed++, signer.sign(m)) };
    expect(await code({ data: 'x', target: 'short' }, counting)).toBe('INVALID_ITEM');
    expect(await code({ data: 'x', target: `${TARGET.slice(0, 42)}!` }, counting)).toBe('INVALID_ITEM');
    expect(await code({ data: 'x', anchor: 'a'.repeat(31) }, counting)).toBe('INVALID_ITEM');
    expect(await code({ data: 'x', anchor: 'é'.repeat(16) }, counting)).toBe('no error'); // 32 bytes of UTF-8
    expect(await code({ data: 'x', tags: [{ name: '', value: 'v' }] }, counting)).toBe('INVALID_TAGS');
    expect(await code({ data: 'x', tags: [{ name: 'n', value: 5 as unknown as string }] }, counting)).toBe('INVALID_TAGS');
    const many = Array.from({ length: 129 }, (_, i) => ({ name: `t${i}`, value: 'v' }));
    expect(await code({ data: 'x', tags: many }, counting)).toBe('INVALID_TAGS');
    // 4 tags of 1 KiB each fit the per-tag limits but not arbundles' 4096-byte tag block.
    const big = Array.from({ length: 4 }, (_, i) => ({ name: `n${i}`, value: 'v'.repeat(1020) }));
    expect(await code({ data: 'x', tags: big }, counting)).toBe('INVALID_TAGS');
    expect(signed).toBe(1);
  });

  it('refuses data beyond maxBytes with ITEM_TOO_LARGE', async () => {
    await expect(createDataItem({ data: 'x'.repeat(2000) }, signer, { maxBytes: 1000 })).rejects.toMatchObject({ code: 'ITEM_TOO_LARGE' });
  });

  it('turns a failing or misbehaving signer into an AoError INTERNAL', async () => {
    const failing: ItemSigner = { ...signer, publicKey: signer.publicKey, sign: () => Promise.reject(new Error('hsm down')) };
    await expect(createDataItem({ data: 'x' }, failing)).rejects.toMatchObject({ code: 'INTERNAL', kind: 'transient' });
    const short: ItemSigner = { ...signer, publicKey: signer.publicKey, sign: () => Buffer.alloc(63) };
    await expect(createDataItem({ data: 'x' }, short)).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
