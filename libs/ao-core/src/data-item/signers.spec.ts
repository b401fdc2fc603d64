import { createHash, createPrivateKey, generateKeyPairSync, verify } from 'node:crypto';
import { DataItem, createData } from 'arbundles';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDataItem } from './parse-data-item.js';
import {
  ArweaveItemSigner,
  Ed25519ItemSigner,
  generateArweaveJwk,
  generateEd25519Key,
  type ArweaveJwk,
  type ItemSigner,
} from './signers.js';
import { verifyDataItem } from './verify-data-item.js';

let arweaveJwk: ArweaveJwk;
beforeAll(async () => {
  arweaveJwk = await generateArweaveJwk(); // slow: once per file
});

describe('Ed25519ItemSigner', () => {
  it('accepts a KeyObject, a PKCS#8 PEM, a raw seed and a JWK of the same key alike', () => {
    const jwk = generateEd25519Key();
    const fromJwk = new Ed25519ItemSigner(jwk);
    const key = createPrivateKey({ key: { ...jwk }, format: 'jwk' });
    const pem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
    const seed = Buffer.from(jwk.d, 'base64url');
    for (const signer of [new Ed25519ItemSigner(key), new Ed25519ItemSigner(pem), new Ed25519ItemSigner(seed)]) {
      expect(signer.publicKey.equals(fromJwk.publicKey)).toBe(true);
      expect(signer.address).toBe(fromJwk.address);
    }
    expect(fromJwk.publicKey.toString('base64url')).toBe(jwk.x);
    expect(fromJwk.address).toBe(createHash('sha256').update(fromJwk.publicKey).digest('base64url'));
  });

  it('signs 64-byte signatures with node:crypto', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signature = new Ed25519ItemSigner(privateKey).sign(Buffer.from('message'));
    expect(signature).toHaveLength(64);
    expect(verify(null, Buffer.from('message'), publicKey, signature)).toBe(true);
  });

  it('generates JSON-serialisable keys', () => {
    const jwk = generateEd25519Key();
    const back = JSON.parse(JSON.stringify(jwk));
    expect(back).toEqual(jwk);
    expect(new Ed25519ItemSigner(back).address).toBe(new Ed25519ItemSigner(jwk).address);
  });

  it('refuses public keys, other key types and wrong seed lengths with AoErrors', () => {
    const ed = generateKeyPairSync('ed25519');
    expect(() => new Ed25519ItemSigner(ed.publicKey)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => new Ed25519ItemSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST' }),
    );
    expect(() => new Ed25519ItemSigner(Buffer.alloc(31))).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => new Ed25519ItemSigner('not a pem')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('ArweaveItemSigner', () => {
  it('derives the owner (512-byte modulus) and address from a generated, serialisable JWK', () => {
    const jwk = JSON.parse(JSON.stringify(arweaveJwk)) as ArweaveJwk;
    expect(jwk.e).toBe('AQAB');
    const signer = new ArweaveItemSigner(jwk);
    expect(signer.publicKey).toHaveLength(512);
    expect(signer.publicKey.toString('base64url')).toBe(jwk.n);
    expect(signer.address).toBe(createHash('sha256').update(signer.publicKey).digest('base64url'));
  });

  it('signs RSA-PSS signatures (SHA-256, 32-byte salt) that node:crypto verifies', async () => {
    const signer = new ArweaveItemSigner(arweaveJwk);
    const signature = await signer.sign(Buffer.from('message'));
    expect(signature).toHaveLength(512);
    const key = createPrivateKey({ key: { ...arweaveJwk }, format: 'jwk' });
    const ok = verify('sha256', Buffer.from('message'), { key, padding: 6 /* PSS */, saltLength: 32 }, signature);
    expect(ok).toBe(true);
  });

  it('refuses keys that are not RSA-4096 with exponent 65537', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => new ArweaveItemSigner(small)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => new ArweaveItemSigner(generateKeyPairSync('ed25519').privateKey)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('signers as arbundles Signers', () => {
  it.each([
    ['Ed25519', (): ItemSigner => new Ed25519ItemSigner(generateEd25519Key())],
    ['Arweave', (): ItemSigner => new ArweaveItemSigner(arweaveJwk)],
  ])('%s: createData(...).sign(signer) makes an item both verifiers accept', async (_name, make) => {
    const signer = make();
    const di = createData('via arbundles', signer, { tags: [{ name: 'K', value: 'V' }] });
    await di.sign(signer);
    expect(await DataItem.verify(di.getRaw())).toBe(true);
    const item = parseDataItem(di.getRaw());
    expect(item.ownerAddress).toBe(signer.address);
    expect(await verifyDataItem(item)).toBe(true);
  });
});
