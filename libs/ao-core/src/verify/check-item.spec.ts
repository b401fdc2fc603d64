import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDataItem } from '../data-item/create-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { checkItem } from './check-item.js';

const signer = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);

describe('checkItem', () => {
  it('answers the parsed item when it is the one the id names and its signature verifies', async () => {
    const item = await createDataItem({ data: 'hello', tags: [{ name: 'Action', value: 'Ping' }] }, signer);
    const checked = await checkItem(item.raw, item.id, 'message');
    expect('item' in checked && checked.item.id).toBe(item.id);
    expect('item' in checked && checked.item.tags).toEqual([{ name: 'Action', value: 'Ping' }]);
  });

  it('says why when the bytes are not an item, are another item, or are not signed by their owner', async () => {
    const item = await createDataItem({ data: 'hello', tags: [] }, signer);
    const parse = await checkItem(Buffer.from('not an item'), item.id, 'message');
    expect(parse).toMatchObject({ code: 'parse', reason: expect.stringMatching(new RegExp(`^message ${item.id} is not a valid ANS-104 item: .+`)) });

    const other = await createDataItem({ data: 'other', tags: [] }, signer);
    expect(await checkItem(other.raw, item.id, 'assignment')).toEqual({
      code: 'id',
      reason: `the gateway served another item as assignment ${item.id}: its signature hashes to ${other.id}`,
    });

    // the signature altered: the id (its hash) moves with it, the signature no longer verifies
    const forged = Buffer.from(item.raw);
    forged[2] ^= 0x01;
    const forgedId = createHash('sha256').update(forged.subarray(2, 2 + 64)).digest('base64url');
    expect(await checkItem(forged, forgedId, 'message')).toEqual({ code: 'signature', reason: `message ${forgedId}: signature does not verify` });
  });
});
