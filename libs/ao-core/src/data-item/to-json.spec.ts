import { createHash } from 'node:crypto';
import { EthereumSigner } from 'arbundles';
import { describe, expect, it } from 'vitest';
import { ethereumAddress } from './address.js';
import { createDataItem } from './create-data-item.js';
import { Ed25519ItemSigner, generateEd25519Key } from './signers.js';
import { dataItemFromJson, toDataItemJson } from './to-json.js';
import { verifyDataItem } from './verify-data-item.js';

const signer = new Ed25519ItemSigner(generateEd25519Key());
const TARGET = createHash('sha256').update('target').digest('base64url');

describe('toDataItemJson / dataItemFromJson', () => {
  it('renders binary fields as base64url and absent target/anchor as null', async () => {
    const item = await createDataItem({ data: new Uint8Array([0xff, 0]), tags: [{ name: 'A', value: 'b' }] }, signer);
    expect(toDataItemJson(item)).toEqual({
      id: item.id,
      owner: { address: signer.address, key: signer.publicKey.toString('base64url') },
      tags: [{ name: 'A', value: 'b' }],
      signature: item.signature.toString('base64url'),
      anchor: null,
      target: null,
      data: '_wA',
    });
  });

  it('rebuilds the identical signed bytes from JSON (types 2 and 3)', async () => {
    const eth = new EthereumSigner('11'.repeat(32));
    const ethSigner = {
      signatureType: 3 as const,
      signatureLength: 65,
      ownerLength: 65,
      publicKey: eth.publicKey,
      address: ethereumAddress(eth.publicKey),
      sign: async (m: Uint8Array) => Buffer.from(await eth.sign(m)),
    };
    for (const s of [signer, ethSigner]) {
      const item = await createDataItem({ data: 'hi', target: TARGET, anchor: 'z'.repeat(32), tags: [{ name: 'A', value: 'b' }] }, s);
      const json = JSON.parse(JSON.stringify(toDataItemJson(item)));
      const back = dataItemFromJson(json);
      expect(back.raw.equals(item.raw)).toBe(true);
      expect(await verifyDataItem(back)).toBe(true);
    }
  });

  it('refuses JSON whose id or owner address does not match its bytes', async () => {
    const item = await createDataItem({ data: 'hi' }, signer);
    const json = toDataItemJson(item);
    expect(() => dataItemFromJson({ ...json, id: TARGET })).toThrow(expect.objectContaining({ code: 'INVALID_ITEM' }));
    expect(() => dataItemFromJson({ ...json, owner: { ...json.owner, address: TARGET } })).toThrow(expect.objectContaining({ code: 'INVALID_ITEM' }));
    expect(() => dataItemFromJson({ ...json, signature: 'AAAA' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_SIGNATURE' }));
  });
});
