import { createHash, randomBytes } from 'node:crypto';
import { DataItem, EthereumSigner, createData, deepHash, type Signer } from 'arbundles';
import { describe, expect, it } from 'vitest';
import { createDataItem } from './create-data-item.js';
import { dedupeKey, deepHashSync, itemDigests, signatureData, type DeepHashChunk } from './deep-hash.js';
import { Ed25519ItemSigner, generateEd25519Key } from './signers.js';

const mu = new Ed25519ItemSigner(generateEd25519Key());
const otherMu = new Ed25519ItemSigner(generateEd25519Key());
const TARGET = createHash('sha256').update('target').digest('base64url');
const push = (anchor: string, data = 'payload') => ({
  data,
  target: TARGET,
  anchor,
  tags: [
    { name: 'From-Process', value: TARGET },
    { name: 'Action', value: 'Credit-Notice' },
  ],
});

/** A random deep-hash input: blobs of varied lengths nested up to three levels. */
function randomChunk(depth = 0): DeepHashChunk {
  if (depth > 2 || Math.random() < 0.5) return randomBytes(Math.floor(Math.random() * 5000) * (Math.random() < 0.2 ? 0 : 1));
  return Array.from({ length: Math.floor(Math.random() * 5) }, () => randomChunk(depth + 1));
}

describe('deepHashSync', () => {
  it('equals arbundles deepHash on empty blobs, empty lists, nested lists and large blobs', async () => {
    const t = (s: string) => Buffer.from(s);
    const cases: DeepHashChunk[] = [t(''), t('blob'), [], [t('a'), [t('b'), [t('c')]], t('')], [Buffer.alloc(100_000, 7)]];
    for (const c of cases) expect(deepHashSync(c).equals(Buffer.from(await deepHash(c as Parameters<typeof deepHash>[0])))).toBe(true);
  });

  it('equals arbundles deepHash on random inputs', async () => {
    for (let i = 0; i < 200; i++) {
      const c = randomChunk();
      expect(deepHashSync(c).equals(Buffer.from(await deepHash(c as Parameters<typeof deepHash>[0])))).toBe(true);
    }
  });
});

describe('signatureData', () => {
  it('equals arbundles DataItem.getSignatureData() for every signature type', async () => {
    const eth = new EthereumSigner(randomBytes(32).toString('hex'));
    const raws = [
      (await createDataItem(push('a'.repeat(32)), mu)).raw,
      (await createDataItem({ data: '' }, mu)).raw,
      createData('x', eth, { tags: [{ name: 'A', value: 'b' }] }).getRaw(),
    ];
    const rsa: Signer = { signatureType: 1, signatureLength: 512, ownerLength: 512, publicKey: randomBytes(512), sign: () => Buffer.alloc(512) };
    raws.push(createData(randomBytes(3000), rsa, { target: TARGET }).getRaw());
    for (const raw of raws) {
      expect(signatureData({ raw }).equals(Buffer.from(await new DataItem(Buffer.from(raw)).getSignatureData()))).toBe(true);
    }
  });
});

describe('dedupeKey', () => {
  it('is deepHash(["dataitem","1",target,anchor,tags,data]) in base64url', async () => {
    const item = await createDataItem(push('a'.repeat(32)), mu);
    const di = new DataItem(Buffer.from(item.raw));
    const expected = Buffer.from(await deepHash([Buffer.from('dataitem'), Buffer.from('1'), di.rawTarget, di.rawAnchor, di.rawTags, di.rawData]));
    expect(dedupeKey(item)).toBe(expected.toString('base64url'));
  });

  it('is the same for two signings of the same content, by any key (ids differ)', async () => {
    const a = await createDataItem(push('a'.repeat(32)), mu);
    const b = await createDataItem(push('a'.repeat(32)), otherMu);
    expect(a.id).not.toBe(b.id);
    expect(dedupeKey(a)).toBe(dedupeKey(b));
  });

  it('differs when the anchor, target, a tag or the data differs', async () => {
    const base = dedupeKey(await createDataItem(push('a'.repeat(32)), mu));
    const variants = [
      push('b'.repeat(32)),
      { ...push('a'.repeat(32)), target: createHash('sha256').update('other').digest('base64url') },
      { ...push('a'.repeat(32)), tags: [{ name: 'Action', value: 'Debit-Notice' }] },
      push('a'.repeat(32), 'payload!'),
      { ...push('a'.repeat(32)), anchor: undefined },
    ];
    for (const v of variants) expect(dedupeKey(await createDataItem(v, mu))).not.toBe(base);
  });
});

describe('itemDigests', () => {
  it('equals arbundles signature data and the dedupe key computed element by element, for items with and without target and anchor', async () => {
    const items = [
      await createDataItem(push('a'.repeat(32)), mu),
      await createDataItem({ data: 'x'.repeat(5000), tags: [] }, otherMu),
      await createDataItem({ data: '', target: TARGET }, mu),
    ];
    for (const item of items) {
      const di = new DataItem(item.raw);
      const digests = itemDigests(item);
      expect(digests.signatureData.equals(Buffer.from(await di.getSignatureData()))).toBe(true);
      const t = (s: string) => Buffer.from(s);
      const key = deepHashSync([t('dataitem'), t('1'), di.rawTarget, di.rawAnchor, di.rawTags, di.rawData]).toString('base64url');
      expect(digests.dedupeKey).toBe(key);
      expect(digests.dedupeKey).toBe(dedupeKey(item));
      expect(digests.signatureData.equals(signatureData(item))).toBe(true);
      // createDataItem hands out the key it hashed while signing.
      expect(item.dedupeKey).toBe(key);
    }
  });
});
