import { SIG_CONFIG, createData, type Signer } from 'arbundles';
import { AoError } from '../errors.js';
import type { Tag } from '../types.js';
import type { SignatureType } from './address.js';

/** An item's fields as a gateway describes them (GraphQL or /tx JSON), decoded to bytes. */
export interface DataItemFields {
  signature: Uint8Array;
  /** The raw public key; its length tells the signature type (512 RSA, 32 Ed25519, 65 secp256k1). */
  owner: Uint8Array;
  target?: Uint8Array;
  anchor?: Uint8Array;
  tags: Tag[];
  data: Uint8Array;
}

const TYPE_BY_OWNER_LENGTH: Record<number, SignatureType> = { 512: 1, 32: 2, 65: 3 };

function invalid(message: string): AoError {
  return new AoError('INVALID_ITEM', message, {});
}

/**
 * The ANS-104 bytes of an item rebuilt from its fields (arbundles' layout); the signature type
 * comes from the owner key's length. Nothing is verified: parse and verify the result.
 */
export function assembleDataItem(fields: DataItemFields): Buffer {
  const signatureType = TYPE_BY_OWNER_LENGTH[fields.owner.length];
  if (!signatureType) throw invalid(`An owner key of ${fields.owner.length} bytes matches no supported signature type`);
  const config = SIG_CONFIG[signatureType];
  if (fields.signature.length !== config.sigLength) {
    throw invalid(`A type ${signatureType} signature is ${config.sigLength} bytes, got ${fields.signature.length}`);
  }
  if (fields.target && fields.target.length !== 32) throw invalid(`A target is 32 bytes, got ${fields.target.length}`);
  if (fields.anchor && fields.anchor.length !== 32) throw invalid(`An anchor is 32 bytes, got ${fields.anchor.length}`);
  const shape: Signer = {
    signatureType,
    signatureLength: config.sigLength,
    ownerLength: config.pubLength,
    publicKey: Buffer.from(fields.owner),
    sign: () => {
      throw invalid('an assembled item is never signed');
    },
  };
  let raw: Buffer;
  try {
    raw = createData(Buffer.from(fields.data), shape, {
      tags: fields.tags,
      ...(fields.target ? { target: Buffer.from(fields.target).toString('base64url') } : {}),
      // arbundles copies the anchor with Buffer.from, so bytes go through unchanged.
      ...(fields.anchor ? { anchor: Buffer.from(fields.anchor) as unknown as string } : {}),
    }).getRaw();
  } catch (error) {
    throw invalid(`Cannot assemble the item: ${(error as Error).message}`);
  }
  raw.set(fields.signature, 2);
  return raw;
}
