import {
  KeyObject,
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  sign as cryptoSign,
  type JsonWebKey,
} from 'node:crypto';
import { AoError } from '../errors.js';
import { sha256Address, type SignatureType } from './address.js';

/**
 * Signs ANS-104 data items. Structurally an arbundles `Signer`, so `createData(...).sign(signer)`
 * accepts it; `publicKey` is the raw owner bytes and `address` the ao owner address.
 */
export interface ItemSigner {
  readonly signatureType: SignatureType;
  readonly signatureLength: number;
  readonly ownerLength: number;
  readonly publicKey: Buffer;
  readonly address: string;
  /** Signs the ANS-104 signature data (a 48-byte deep hash). */
  sign(message: Uint8Array): Buffer | Promise<Buffer>;
}

/** An Ed25519 private key as a JWK (serialisable; `d` is the 32-byte seed, `x` the public key). */
export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
}

/** An Arweave wallet: an RSA-4096 private key JWK with public exponent 65537, as arweave-js stores it. */
export interface ArweaveJwk {
  kty: 'RSA';
  n: string;
  e: string;
  d: string;
  p: string;
  q: string;
  dp: string;
  dq: string;
  qi: string;
}

// DER prefix of a PKCS#8 Ed25519 private key (RFC 8410) holding a 32-byte seed.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function badKey(message: string): AoError {
  return new AoError('INVALID_REQUEST', message);
}

function toPrivateKey(key: KeyObject | string | Uint8Array | Ed25519Jwk | ArweaveJwk, kind: string): KeyObject {
  try {
    if (key instanceof KeyObject) {
      if (key.type !== 'private') throw badKey(`A ${kind} signer needs a private key`);
      return key;
    }
    if (typeof key === 'string') return createPrivateKey(key);
    if (key instanceof Uint8Array) {
      if (key.length !== 32) throw badKey(`A raw ${kind} seed is 32 bytes, got ${key.length}`);
      return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, key]), format: 'der', type: 'pkcs8' });
    }
    const jwk: JsonWebKey = { ...key };
    return createPrivateKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    if (error instanceof AoError) throw error;
    throw badKey(`Not a usable ${kind} private key: ${(error as Error).message}`);
  }
}

/** ANS-104 type 2 signer on node:crypto Ed25519 (arbundles' own uses pure-JS maths, ~10x slower). */
export class Ed25519ItemSigner implements ItemSigner {
  readonly signatureType = 2 as const;
  readonly signatureLength = 64;
  readonly ownerLength = 32;
  readonly publicKey: Buffer;
  readonly address: string;
  private readonly key: KeyObject;

  /** From a private KeyObject, a PKCS#8 PEM, a raw 32-byte seed or an OKP JWK. */
  constructor(key: KeyObject | string | Uint8Array | Ed25519Jwk) {
    this.key = toPrivateKey(key, 'Ed25519');
    if (this.key.asymmetricKeyType !== 'ed25519') throw badKey(`Expected an Ed25519 key, got ${this.key.asymmetricKeyType}`);
    this.publicKey = Buffer.from(createPublicKey(this.key).export({ format: 'jwk' }).x ?? '', 'base64url');
    this.address = sha256Address(this.publicKey);
  }

  /** A 64-byte Ed25519 signature of the message. */
  sign(message: Uint8Array): Buffer {
    return cryptoSign(null, message, this.key);
  }
}

/**
 * ANS-104 type 1 signer: RSA-PSS over SHA-256 on node:crypto, salt length 32 (the digest length, as
 * Arweave's web signers use; verifiers, arbundles' included, detect the salt length).
 */
export class ArweaveItemSigner implements ItemSigner {
  readonly signatureType = 1 as const;
  readonly signatureLength = 512;
  readonly ownerLength = 512;
  readonly publicKey: Buffer;
  readonly address: string;
  private readonly key: KeyObject;

  /** From an Arweave JWK (or a private RSA KeyObject): 4096 bits, public exponent 65537. */
  constructor(jwk: ArweaveJwk | KeyObject) {
    this.key = toPrivateKey(jwk, 'Arweave');
    const details = this.key.asymmetricKeyDetails;
    if (this.key.asymmetricKeyType !== 'rsa' || details?.modulusLength !== 4096 || details.publicExponent !== 65537n) {
      // Items carry only the modulus: verifiers assume e = 65537, and the owner field is 512 bytes.
      throw badKey('An Arweave key must be RSA-4096 with public exponent 65537');
    }
    this.publicKey = Buffer.from(createPublicKey(this.key).export({ format: 'jwk' }).n ?? '', 'base64url');
    this.address = sha256Address(this.publicKey);
  }

  /** A 512-byte RSA-PSS signature, computed off the event loop (about 4 ms of CPU). */
  sign(message: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      cryptoSign(
        'sha256',
        message,
        { key: this.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        (error, signature) => (error ? reject(error) : resolve(signature)),
      );
    });
  }
}

/** A new Ed25519 private key as a JWK, ready to store in a wallet file. */
export function generateEd25519Key(): Ed25519Jwk {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x ?? '', d: jwk.d ?? '' };
}

/** A new Arweave wallet (RSA-4096, e = 65537) as a JWK; generated off the event loop (0.5–3 s). */
export function generateArweaveJwk(): Promise<ArweaveJwk> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 4096, publicExponent: 65537 }, (error, _publicKey, privateKey) => {
      if (error) return reject(error);
      const jwk = privateKey.export({ format: 'jwk' });
      resolve({
        kty: 'RSA',
        n: jwk.n ?? '',
        e: jwk.e ?? '',
        d: jwk.d ?? '',
        p: jwk.p ?? '',
        q: jwk.q ?? '',
        dp: jwk.dp ?? '',
        dq: jwk.dq ?? '',
        qi: jwk.qi ?? '',
      });
    });
  });
}
