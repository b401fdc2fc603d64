import { createCipheriv, createDecipheriv, createHash, createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { Ed25519ItemSigner, sha256Address, type ItemSigner } from '@ao/core';
import { identityKeyBytes } from '../env/env.schema.js';

/** The development key used when IDENTITY_KEY is unset outside production (never in production: env refuses). */
const DEVELOPMENT_KEY = createHash('sha256').update('ao-platform development identity key (not secret)').digest();

/**
 * The ao keys the platform holds for its users: Ed25519 keys, stored as AES-256-GCM ciphertext
 * (iv | tag | PKCS#8 DER) under IDENTITY_KEY, decrypted only to sign a message for their user.
 */
export class IdentityVault {
  private readonly key: Buffer;

  constructor(identityKey: string) {
    this.key = identityKey === '' ? DEVELOPMENT_KEY : identityKeyBytes(identityKey)!;
  }

  /** A new Ed25519 identity: its address and its encrypted private key. */
  create(): { address: string; sealed: Buffer } {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'jwk' }).x!;
    return { address: sha256Address(Buffer.from(raw, 'base64url')), sealed: this.seal(privateKey) };
  }

  /** The ANS-104 signer of a sealed key (type 2, Ed25519). */
  signer(sealed: Uint8Array): ItemSigner {
    return new Ed25519ItemSigner(this.open(sealed));
  }

  private seal(privateKey: KeyObject): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(privateKey.export({ format: 'der', type: 'pkcs8' })), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  private open(sealed: Uint8Array): KeyObject {
    const bytes = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    const der = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }
}
