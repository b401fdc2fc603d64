import { generateKeyPairSync, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { useNativeEd25519 } from './arlocal.js';

type Verify = (pk: string | Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>;

describe('useNativeEd25519', () => {
  it("replaces the Ed25519 check of arlocal's arbundles with one that accepts exactly the valid signatures", async () => {
    const curve = (createRequire(createRequire(import.meta.url).resolve('arlocal'))('arbundles/src/signing/keys/curve25519') as { default: { verify: Verify } }).default;
    const before = curve.verify;
    useNativeEd25519();
    expect(curve.verify).not.toBe(before);

    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pk = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const message = Buffer.from('an ANS-104 signature payload');
    const signature = sign(null, message, privateKey);
    // the pure-JavaScript check throws on some malformed signatures instead of answering false
    for (const check of [before, curve.verify]) {
      const verify: Verify = (...args) => check(...args).catch(() => false);
      expect(await verify(pk, message, signature)).toBe(true);
      expect(await verify(pk.toString('base64url'), message, signature)).toBe(true);
      expect(await verify(pk, Buffer.from('an ANS-104 signature payloaD'), signature)).toBe(false);
      const flipped = Buffer.from(signature);
      flipped[10] ^= 1;
      expect(await verify(pk, message, flipped)).toBe(false);
    }
    expect(await curve.verify(Buffer.alloc(5), message, signature)).toBe(false);
  });
});
