import { createHash, generateKeyPairSync } from 'node:crypto';
import { EthereumSigner } from 'arbundles';
import { describe, expect, it } from 'vitest';
import { isAoError } from '../errors.js';
import { ethereumAddress, ownerAddress, sha256Address, toChecksumAddress } from './address.js';
import { Ed25519ItemSigner } from './signers.js';

describe('owner addresses', () => {
  it('is base64url(sha256(public key)) for an Ed25519 key', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const expected = createHash('sha256').update(raw).digest('base64url');
    expect(raw).toHaveLength(32);
    expect(sha256Address(raw)).toBe(expected);
    expect(ownerAddress(2, raw)).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('matches the RFC 8032 test key', () => {
    const signer = new Ed25519ItemSigner(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
    expect(signer.publicKey.toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(signer.address).toBe(createHash('sha256').update(signer.publicKey).digest('base64url'));
  });

  it('is the EIP-55 address for an Ethereum key (private key 1 → 0x7E5F…5Bdf)', () => {
    const pub = new EthereumSigner('0000000000000000000000000000000000000000000000000000000000000001').publicKey;
    expect(ethereumAddress(pub)).toBe('0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf');
    expect(ethereumAddress(pub.subarray(1))).toBe('0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf');
    expect(ownerAddress(3, pub)).toBe('0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf');
  });

  it('checksums the EIP-55 specification vectors', () => {
    for (const address of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ]) {
      expect(toChecksumAddress(address.toLowerCase())).toBe(address);
      expect(toChecksumAddress(address.slice(2).toUpperCase())).toBe(address);
    }
  });

  it('refuses malformed Ethereum keys and addresses with AoErrors', () => {
    expect(() => ethereumAddress(Buffer.alloc(33, 2))).toThrow(expect.objectContaining({ code: 'INVALID_ITEM' }));
    try {
      toChecksumAddress('0x1234');
      expect.unreachable();
    } catch (error) {
      expect(isAoError(error, 'INVALID_REQUEST')).toBe(true);
    }
  });

  it('reads an 0X prefix, refuses trailing or leading garbage, and says why', () => {
    expect(toChecksumAddress('0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED')).toBe('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
    for (const address of ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedff', 'ff5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg']) {
      expect(() => toChecksumAddress(address)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: 'Not a 20-byte hex address', details: { address } }));
    }
  });

  it('takes a 65-byte key only with its 0x04 prefix, and names the length of a refused one', () => {
    const pub = new EthereumSigner('0000000000000000000000000000000000000000000000000000000000000001').publicKey;
    const wrongPrefix = Buffer.from(pub);
    wrongPrefix[0] = 3;
    expect(() => ethereumAddress(wrongPrefix)).toThrow(
      expect.objectContaining({ code: 'INVALID_ITEM', message: 'An Ethereum owner must be an uncompressed secp256k1 public key', details: { length: 65 } }),
    );
    expect(() => ethereumAddress(Buffer.concat([pub, Buffer.from([0])]))).toThrow(expect.objectContaining({ details: { length: 66 } }));
  });
});
