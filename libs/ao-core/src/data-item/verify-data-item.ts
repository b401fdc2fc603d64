import { KeyObject, constants, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import { keccak256 } from 'arbundles';
import { AoError } from '../errors.js';
import { itemDigests, signatureData } from './deep-hash.js';
import { parseDataItem, type ParseLimits, type SignedDataItem } from './parse-data-item.js';

/** The part of the `secp256k1` package (arbundles' own verifier backend) used here. */
interface Secp256k1Api {
  ecdsaRecover(signature: Uint8Array, recid: number, message: Uint8Array, compressed?: boolean): Uint8Array;
}

let secp256k1: Secp256k1Api | undefined;
function secp(): Secp256k1Api {
  // Resolved from arbundles' location: it is arbundles' dependency (native libsecp256k1), not ours.
  const fromHere = createRequire(import.meta.url);
  return (secp256k1 ??= createRequire(fromHere.resolve('arbundles'))('secp256k1') as Secp256k1Api);
}

/** secp256k1 group order / 2: signatures with a larger s are the malleable twin of a low-s one. */
const HALF_N = Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex');

const KEY_CACHE_SIZE = 2048;
const keys = new Map<string, KeyObject>();

/** The node:crypto public key of an owner, from a bounded LRU cache (key import costs more than a verify). */
function publicKeyOf(signatureType: 1 | 2, owner: Buffer): KeyObject {
  const cacheKey = `${signatureType}:${owner.toString('base64url')}`;
  const hit = keys.get(cacheKey);
  if (hit) {
    keys.delete(cacheKey);
    keys.set(cacheKey, hit);
    return hit;
  }
  const jwk =
    signatureType === 1
      ? { kty: 'RSA', n: owner.toString('base64url'), e: 'AQAB' }
      : { kty: 'OKP', crv: 'Ed25519', x: owner.toString('base64url') };
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  keys.set(cacheKey, key);
  if (keys.size > KEY_CACHE_SIZE) keys.delete(keys.keys().next().value as string);
  return key;
}

/** EIP-191 personal-message hash, as ethers' `hashMessage` (what arbundles' EthereumSigner signs). */
function personalMessageHash(message: Uint8Array): Buffer {
  const prefix = Buffer.from(`\x19Ethereum Signed Message:\n${message.length}`, 'utf8');
  return Buffer.from(keccak256(Buffer.concat([prefix, message])) as Uint8Array);
}

/**
 * Type 3: recovers the signer from (r, s, v) and compares it with the owner, as the reference SU
 * does. Unlike a plain verify, this pins v (27/28) and s (low half), so nobody but the signer can
 * make a second valid signature, hence a second id, for the same item.
 */
function verifyEthereum(owner: Buffer, message: Uint8Array, signature: Buffer): boolean {
  const v = signature[64];
  if (signature.length !== 65 || (v !== 27 && v !== 28)) return false;
  if (Buffer.compare(signature.subarray(32, 64), HALF_N) > 0) return false;
  try {
    const recovered = secp().ecdsaRecover(signature.subarray(0, 64), v - 27, personalMessageHash(message), false);
    return owner.equals(recovered);
  } catch {
    return false;
  }
}

function verifySignature(item: SignedDataItem, message: Buffer): boolean {
  try {
    switch (item.signatureType) {
      case 1:
        return cryptoVerify(
          'sha256',
          message,
          { key: publicKeyOf(1, item.owner), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          item.signature,
        );
      case 2:
        return cryptoVerify(null, message, publicKeyOf(2, item.owner), item.signature);
      case 3:
        return verifyEthereum(item.owner, message, item.signature);
      default:
        throw new AoError('UNSUPPORTED_SIGNATURE', `Signature type ${String(item.signatureType)} is not supported`);
    }
  } catch (error) {
    if (error instanceof AoError) throw error;
    return false; // a public key node:crypto cannot import cannot have signed anything
  }
}

const sameTags = (a: SignedDataItem['tags'], b: SignedDataItem['tags']): boolean =>
  a.length === b.length && a.every((t, i) => t.name === b[i].name && t.value === b[i].value);

/** True when every field of the item is what its raw bytes say (a value object edited by hand is not). */
function matchesRaw(item: SignedDataItem): boolean {
  const fresh = parseDataItem(item.raw, { maxBytes: Infinity, maxTags: Infinity, maxTagNameBytes: Infinity, maxTagValueBytes: Infinity, maxTagsBytes: Infinity });
  return (
    fresh.id === item.id &&
    fresh.signatureType === item.signatureType &&
    fresh.signature.equals(item.signature) &&
    fresh.owner.equals(item.owner) &&
    fresh.ownerAddress === item.ownerAddress &&
    fresh.target === item.target &&
    fresh.anchor === item.anchor &&
    fresh.data.equals(item.data) &&
    sameTags(fresh.tags, item.tags)
  );
}

/**
 * Verifies an item's signature over its ANS-104 signature data (see `signatureData`) and that its
 * id and fields match its raw bytes. Types 1 and 2 use node:crypto (RSA-PSS with any salt length,
 * Ed25519); type 3 recovers the Ethereum personal-message signer. False when anything disagrees.
 */
export async function verifyDataItem(item: SignedDataItem): Promise<boolean> {
  let consistent: boolean;
  try {
    consistent = matchesRaw(item);
  } catch {
    return false;
  }
  if (!consistent) return false;
  return verifySignature(item, signatureData(item));
}

/** Like `verifyDataItem`, but throws AoError BAD_SIGNATURE instead of answering false. */
export async function assertDataItemSignature(item: SignedDataItem): Promise<void> {
  if (!(await verifyDataItem(item))) {
    throw new AoError('BAD_SIGNATURE', 'The data item signature does not verify', { id: item.id });
  }
}

/** An item parsed from raw bytes whose signature verified, with its content key (see `dedupeKey`). */
export interface VerifiedDataItem extends SignedDataItem {
  readonly dedupeKey: string;
}

/**
 * Parses raw bytes and verifies the signature in one pass: the fields come straight from the bytes,
 * so the re-parse `verifyDataItem` does on a value object is skipped, and the dedupe key is hashed
 * together with the signature data. Throws the parse errors, or AoError BAD_SIGNATURE.
 */
export function verifyRawDataItem(raw: Uint8Array, limits?: Partial<ParseLimits>): VerifiedDataItem {
  const item = parseDataItem(raw, limits);
  const digests = itemDigests(item);
  if (!verifySignature(item, digests.signatureData)) {
    throw new AoError('BAD_SIGNATURE', 'The data item signature does not verify', { id: item.id });
  }
  return { ...item, dedupeKey: digests.dedupeKey };
}
