import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assembleDataItem } from './assemble-data-item.js';
import { createDataItem } from './create-data-item.js';
import { parseDataItem } from './parse-data-item.js';
import { Ed25519ItemSigner } from './signers.js';
import { verifyDataItem } from './verify-data-item.js';

const signer = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
const TARGET = createHash('sha256').update('target').digest('base64url');

describe('assembleDataItem', () => {
  it('rebuilds the exact signed bytes of an item from its fields (with and without target and anchor)', async () => {
    for (const fields of [
      { data: 'payload', target: TARGET, anchor: 'a'.repeat(32), tags: [{ name: 'Action', value: 'Ping' }, { name: 'N', value: '' }] },
      { data: new Uint8Array([0, 255, 1]), tags: [] },
    ]) {
      const item = await createDataItem(fields, signer);
      const raw = assembleDataItem({
        signature: item.signature,
        owner: item.owner,
        ...(item.target ? { target: Buffer.from(item.target, 'base64url') } : {}),
        ...(item.anchor ? { anchor: Buffer.from(item.anchor) } : {}),
        tags: item.tags,
        data: item.data,
      });
      expect(Buffer.compare(raw, item.raw)).toBe(0);
      expect(await verifyDataItem(parseDataItem(raw))).toBe(true);
    }
  });

  it('refuses fields no supported item has, saying which', async () => {
    const item = await createDataItem({ data: 'x', tags: [] }, signer);
    const base = { signature: item.signature, owner: item.owner, tags: [], data: item.data };
    const refusal = (fields: Parameters<typeof assembleDataItem>[0]) => {
      try {
        assembleDataItem(fields);
        return 'assembled';
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
    };
    expect(refusal({ ...base, owner: Buffer.alloc(33) })).toBe('INVALID_ITEM: An owner key of 33 bytes matches no supported signature type');
    expect(refusal({ ...base, signature: Buffer.alloc(63) })).toBe('INVALID_ITEM: A type 2 signature is 64 bytes, got 63');
    expect(refusal({ ...base, target: Buffer.alloc(31) })).toBe('INVALID_ITEM: A target is 32 bytes, got 31');
    expect(refusal({ ...base, anchor: Buffer.alloc(33) })).toBe('INVALID_ITEM: An anchor is 32 bytes, got 33');
    expect(refusal({ ...base, tags: [{ name: 'a', value: 'v'.repeat(5000) }] })).toMatch(/^INVALID_ITEM: Cannot assemble the item: /);
    expect(refusal(base)).toBe('assembled');
  });
});
