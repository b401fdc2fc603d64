import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { ArweaveSigner, DataItem, EthereumSigner, createData } from 'arbundles';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAoError } from '../errors.js';
import { ethereumAddress } from './address.js';
import { createDataItem } from './create-data-item.js';
import { parseDataItem, type SignedDataItem } from './parse-data-item.js';
import { ArweaveItemSigner, Ed25519ItemSigner, generateArweaveJwk, type ArweaveJwk, type ItemSigner } from './signers.js';
import { dedupeKey } from './deep-hash.js';
import { inlineItemVerifier } from './item-verifier.js';
import { assertDataItemSignature, verifyDataItem, verifyRawDataItem } from './verify-data-item.js';

/** An ItemSigner around arbundles' EthereumSigner (ethers personal-message signatures). */
function ethereumItemSigner(privateKeyHex = randomBytes(32).toString('hex')): ItemSigner {
  const eth = new EthereumSigner(privateKeyHex);
  return {
    signatureType: 3,
    signatureLength: 65,
    ownerLength: 65,
    publicKey: eth.publicKey,
    address: ethereumAddress(eth.publicKey),
    sign: async (m) => Buffer.from(await eth.sign(m)),
  };
}

const TARGET = createHash('sha256').update('process').digest('base64url');
const ANCHOR = '00000000000000000000000000000042';
const input = {
  data: 'hello ao',
  target: TARGET,
  anchor: ANCHOR,
  tags: [
    { name: 'Data-Protocol', value: 'ao' },
    { name: 'Type', value: 'Message' },
    { name: 'Action', value: 'Ping' },
  ],
};

/** A copy of the item's bytes with one byte changed, re-parsed. */
function flipped(item: SignedDataItem, offset: number): SignedDataItem {
  const raw = Buffer.from(item.raw);
  raw[offset] ^= 0x01;
  return parseDataItem(raw);
}

let arweaveJwk: ArweaveJwk;
const signers: Record<string, () => ItemSigner> = {
  'type 1 (Arweave RSA-PSS)': () => new ArweaveItemSigner(arweaveJwk),
  'type 2 (Ed25519)': () => new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey),
  'type 3 (Ethereum)': () => ethereumItemSigner(),
};

beforeAll(async () => {
  arweaveJwk = await generateArweaveJwk(); // RSA-4096 keygen is slow: once per file
});

describe.each(Object.entries(signers))('verifyDataItem, %s', (_name, makeSigner) => {
  let signer: ItemSigner;
  let item: SignedDataItem;
  beforeAll(async () => {
    signer = makeSigner();
    item = await createDataItem(input, signer);
  });

  it('round-trips: create, serialize, parse, verify', async () => {
    expect(item.signatureType).toBe(signer.signatureType);
    expect(item.id).toBe(createHash('sha256').update(item.signature).digest('base64url'));
    expect(item.ownerAddress).toBe(signer.address);
    expect(item.owner.equals(signer.publicKey)).toBe(true);
    const again = parseDataItem(Buffer.from(item.raw));
    expect(again).toMatchObject({ id: item.id, target: TARGET, anchor: ANCHOR, tags: input.tags });
    expect(again.data.toString()).toBe('hello ao');
    expect(await verifyDataItem(again)).toBe(true);
    await expect(assertDataItemSignature(again)).resolves.toBeUndefined();
  });

  it('agrees with arbundles: its verifier accepts our item', async () => {
    expect(await DataItem.verify(Buffer.from(item.raw))).toBe(true);
    expect(new DataItem(Buffer.from(item.raw)).id).toBe(item.id);
  });

  it('fails when a byte of the data, a tag, the target, the anchor or the signature changes', async () => {
    const raw = item.raw;
    const dataAt = raw.length - 1;
    const tagAt = raw.indexOf(Buffer.from('Ping'));
    const targetAt = raw.indexOf(Buffer.from(TARGET, 'base64url'));
    const anchorAt = raw.indexOf(Buffer.from(ANCHOR));
    for (const offset of [dataAt, tagAt, targetAt, anchorAt, 2, 2 + signer.signatureLength - 2]) {
      expect(offset).toBeGreaterThan(1);
      const tampered = flipped(item, offset);
      expect(await verifyDataItem(tampered), `byte ${offset}`).toBe(false);
      await expect(assertDataItemSignature(tampered)).rejects.toSatisfy((e) => isAoError(e, 'BAD_SIGNATURE'));
    }
  });

  it('fails when the owner key changes', async () => {
    const ownerAt = 2 + signer.signatureLength;
    expect(await verifyDataItem(flipped(item, ownerAt + signer.ownerLength - 3))).toBe(false);
    if (signer.signatureType !== 1) {
      // Another key of the same type (type 1 reuses the file's single RSA key).
      const raw = Buffer.from(item.raw);
      makeSigner().publicKey.copy(raw, ownerAt);
      expect(await verifyDataItem(parseDataItem(raw))).toBe(false);
    }
  });

  it('fails when the value object lies about its raw bytes (id, data, tags, owner address)', async () => {
    const other = await createDataItem({ data: 'other' }, signer);
    expect(await verifyDataItem({ ...item, id: other.id })).toBe(false);
    expect(await verifyDataItem({ ...item, data: Buffer.from('forged') })).toBe(false);
    expect(await verifyDataItem({ ...item, tags: [...item.tags, { name: 'Extra', value: '1' }] })).toBe(false);
    // A different first character (the key is random per run, so pick one the address does not start with).
    const forgedAddress = (item.ownerAddress.startsWith('x') ? 'y' : 'x') + item.ownerAddress.slice(1);
    expect(await verifyDataItem({ ...item, ownerAddress: forgedAddress })).toBe(false);
    expect(await verifyDataItem({ ...item, raw: other.raw })).toBe(false);
  });
});

describe('verifyDataItem, items signed by arbundles signers', () => {
  it('accepts arbundles ArweaveSigner items (maximum PSS salt length)', async () => {
    const signer = new ArweaveSigner(arweaveJwk);
    const di = createData('from arbundles', signer, { tags: [{ name: 'A', value: 'b' }] });
    await di.sign(signer);
    const item = parseDataItem(di.getRaw());
    expect(item.id).toBe(di.id);
    expect(await verifyDataItem(item)).toBe(true);
  });

  it('accepts arbundles EthereumSigner items and derives the EIP-55 owner address', async () => {
    const signer = new EthereumSigner('0000000000000000000000000000000000000000000000000000000000000001');
    const di = createData('from arbundles', signer, { target: TARGET });
    await di.sign(signer);
    const item = parseDataItem(di.getRaw());
    expect(item.ownerAddress).toBe('0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf');
    expect(await verifyDataItem(item)).toBe(true);
  });
});

describe('verifyDataItem, Ethereum signature malleability', () => {
  const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

  it('rejects the flipped-v and high-s twins that arbundles accepts (they would give the item a second id)', async () => {
    const item = await createDataItem(input, ethereumItemSigner());
    const message = await new DataItem(Buffer.from(item.raw)).getSignatureData();

    const flippedV = Buffer.from(item.raw);
    flippedV[2 + 64] = flippedV[2 + 64] === 27 ? 28 : 27;
    const twinV = parseDataItem(flippedV);
    expect(twinV.id).not.toBe(item.id);
    expect(await EthereumSigner.verify(twinV.owner, message, twinV.signature)).toBe(true);
    expect(await verifyDataItem(twinV)).toBe(false);

    const highS = Buffer.from(item.raw);
    const s = BigInt(`0x${highS.subarray(2 + 32, 2 + 64).toString('hex')}`);
    Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex').copy(highS, 2 + 32);
    highS[2 + 64] = highS[2 + 64] === 27 ? 28 : 27;
    expect(await verifyDataItem(parseDataItem(highS))).toBe(false);
  });

  it('rejects a recovery byte other than 27 or 28', async () => {
    const item = await createDataItem(input, ethereumItemSigner());
    const raw = Buffer.from(item.raw);
    raw[2 + 64] -= 27;
    expect(await verifyDataItem(parseDataItem(raw))).toBe(false);
  });
});

describe('verifyDataItem, the public key cache', () => {
  it('stays correct across many owners (more than the cache holds)', async () => {
    const owners = Array.from({ length: 40 }, () => new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey));
    const items = await Promise.all(owners.map((s, i) => createDataItem({ data: `n${i}` }, s)));
    for (const item of items) expect(await verifyDataItem(item)).toBe(true);
    // Same owner key, different signer: a cached key must not make a forged item pass.
    const raw = Buffer.from(items[1].raw);
    items[0].owner.copy(raw, 2 + 64);
    expect(await verifyDataItem(parseDataItem(raw))).toBe(false);
  });
});

describe.each(Object.entries(signers))('verifyRawDataItem, %s', (_name, makeSigner) => {
  let item: SignedDataItem;
  beforeAll(async () => {
    item = await createDataItem(input, makeSigner());
  });

  it('answers the parsed fields and the dedupe key of a well-signed item', () => {
    const verified = verifyRawDataItem(Buffer.from(item.raw));
    const { dedupeKey: key, ...fields } = verified;
    expect(fields).toEqual(parseDataItem(Buffer.from(item.raw)));
    expect(key).toBe(dedupeKey(item));
  });

  it('throws BAD_SIGNATURE when a byte of the data, a tag, the target, the anchor or the signature changes', () => {
    const raw = item.raw;
    for (const offset of [raw.length - 1, raw.length - 10, 2 + 10]) {
      const bad = Buffer.from(raw);
      bad[offset] ^= 0x01;
      expect(() => verifyRawDataItem(bad)).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
    }
  });

  it('throws the parse errors for truncated or oversized bytes', () => {
    expect(() => verifyRawDataItem(item.raw.subarray(0, 100))).toThrow(expect.objectContaining({ code: 'INVALID_ITEM' }));
    expect(() => verifyRawDataItem(item.raw, { maxBytes: 10 })).toThrow(expect.objectContaining({ code: 'ITEM_TOO_LARGE' }));
  });
});

describe('inlineItemVerifier', () => {
  it('verifies on the calling thread with the given limits', async () => {
    const item = await createDataItem(input, new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey));
    await expect(inlineItemVerifier.verify(item.raw)).resolves.toMatchObject({ id: item.id, dedupeKey: dedupeKey(item) });
    await expect(inlineItemVerifier.verify(item.raw, { maxBytes: 10 })).rejects.toMatchObject({ code: 'ITEM_TOO_LARGE' });
  });
});
