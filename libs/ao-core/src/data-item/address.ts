import { createHash } from 'node:crypto';
import { keccak256 } from 'arbundles';
import { AoError } from '../errors.js';

/** ANS-104 signature types this project signs and verifies: 1 Arweave RSA-PSS, 2 Ed25519, 3 Ethereum secp256k1. */
export type SignatureType = 1 | 2 | 3;

function keccak(bytes: Uint8Array): Buffer {
  // arbundles' keccak256 is typed `any`; it returns a Buffer from the native `keccak` package.
  return Buffer.from(keccak256(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as Uint8Array);
}

/** base64url(SHA-256(public key)): the owner address of Arweave (type 1) and Ed25519 (type 2) keys. */
export function sha256Address(owner: Uint8Array): string {
  return createHash('sha256').update(owner).digest('base64url');
}

/** EIP-55 checksummed form of a 20-byte hex address (with or without `0x`, any case). */
export function toChecksumAddress(address: string): string {
  const hex = address.startsWith('0x') || address.startsWith('0X') ? address.slice(2) : address;
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new AoError('INVALID_REQUEST', 'Not a 20-byte hex address', { address });
  const lower = hex.toLowerCase();
  const hash = keccak(Buffer.from(lower, 'ascii')).toString('hex');
  let out = '0x';
  for (let i = 0; i < 40; i++) out += Number.parseInt(hash[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

/** Ethereum address (EIP-55) of a secp256k1 public key: 65 bytes uncompressed (0x04‖X‖Y) or 64 bytes X‖Y. */
export function ethereumAddress(publicKey: Uint8Array): string {
  let xy: Uint8Array;
  if (publicKey.length === 65 && publicKey[0] === 4) xy = publicKey.subarray(1);
  else if (publicKey.length === 64) xy = publicKey;
  else throw new AoError('INVALID_ITEM', 'An Ethereum owner must be an uncompressed secp256k1 public key', { length: publicKey.length });
  return toChecksumAddress(keccak(xy).subarray(12).toString('hex'));
}

/** The ao owner address of a public key of the given signature type. */
export function ownerAddress(signatureType: SignatureType, owner: Uint8Array): string {
  return signatureType === 3 ? ethereumAddress(owner) : sha256Address(owner);
}
