import { SIG_CONFIG, createData, type DataItem, type Signer } from 'arbundles';
import { AoError } from '../errors.js';
import type { Tag } from '../types.js';
import { itemDigests } from './deep-hash.js';
import { decodeId } from './ids.js';
import { checkTags, resolveLimits, type ParseLimits } from './item-limits.js';
import { parseDataItem } from './parse-data-item.js';
import type { ItemSigner } from './signers.js';
import type { VerifiedDataItem } from './verify-data-item.js';

/** What an item is made of before it is signed. */
export interface DataItemInput {
  data: string | Uint8Array;
  tags?: Tag[];
  /** A 43-character base64url id (32 bytes); empty or absent for none. */
  target?: string;
  /** Exactly 32 bytes of UTF-8 text (ao clients use 32 characters); empty or absent for none. */
  anchor?: string;
}

function checkInput(input: DataItemInput, limits: ParseLimits): void {
  if (typeof input.data !== 'string' && !(input.data instanceof Uint8Array)) {
    throw new AoError('INVALID_ITEM', 'Item data must be a string or bytes', { field: 'data' });
  }
  checkTags(input.tags ?? [], limits);
  if (input.target && !decodeId(input.target)) {
    throw new AoError('INVALID_ITEM', 'A target must be a 43-character base64url id', { field: 'target', target: input.target });
  }
  if (input.anchor && Buffer.byteLength(input.anchor) !== 32) {
    throw new AoError('INVALID_ITEM', `An anchor must be 32 bytes, got ${Buffer.byteLength(input.anchor)}`, { field: 'anchor' });
  }
}

/** The signer seen by arbundles, checking the signature length (arbundles would copy a short one silently). */
function arbundlesSigner(signer: ItemSigner): Signer {
  if (![1, 2, 3].includes(signer.signatureType)) {
    throw new AoError('UNSUPPORTED_SIGNATURE', `Signature type ${String(signer.signatureType)} is not supported`);
  }
  const config = SIG_CONFIG[signer.signatureType];
  if (signer.publicKey.length !== config.pubLength) {
    throw new AoError('INVALID_REQUEST', `A type ${signer.signatureType} public key is ${config.pubLength} bytes, got ${signer.publicKey.length}`);
  }
  return {
    signatureType: signer.signatureType,
    signatureLength: config.sigLength,
    ownerLength: config.pubLength,
    publicKey: signer.publicKey,
    async sign(message: Uint8Array): Promise<Buffer> {
      const signature = Buffer.from(await signer.sign(message));
      if (signature.length !== config.sigLength) {
        throw new AoError('INTERNAL', `Signer returned ${signature.length} bytes, type ${signer.signatureType} needs ${config.sigLength}`);
      }
      return signature;
    },
  };
}

/**
 * Builds (arbundles' layout), signs and parses an ANS-104 item; `id` = base64url(SHA-256(signature)),
 * with its dedupe key (hashed with the signature data, which it shares most fields with).
 * Bad input throws AoError INVALID_ITEM / INVALID_TAGS / ITEM_TOO_LARGE before anything is signed;
 * a signer failure throws AoError INTERNAL (transient).
 */
export async function createDataItem(input: DataItemInput, signer: ItemSigner, limits?: Partial<ParseLimits>): Promise<VerifiedDataItem> {
  const lim = resolveLimits(limits);
  checkInput(input, lim);
  const adapted = arbundlesSigner(signer);
  let item: DataItem;
  try {
    item = createData(input.data, adapted, {
      tags: input.tags,
      target: input.target || undefined,
      anchor: input.anchor || undefined,
    });
  } catch (error) {
    // arbundles' serializer refuses tag blocks over 4096 bytes; nothing else is left unchecked here.
    throw new AoError('INVALID_TAGS', `Cannot build the item: ${(error as Error).message}`, {});
  }
  const size = item.getRaw().length;
  if (size > lim.maxBytes) throw new AoError('ITEM_TOO_LARGE', `Item would be ${size} bytes > ${lim.maxBytes}`, { size, max: lim.maxBytes });
  // Neither digest covers the signature, so both can be taken before signing.
  const digests = itemDigests({ raw: item.getRaw() });
  try {
    // Same bytes as arbundles' `item.sign(signer)`, with the faster synchronous signature data.
    await item.setSignature(Buffer.from(await adapted.sign(digests.signatureData)));
  } catch (error) {
    if (error instanceof AoError) throw error;
    throw new AoError('INTERNAL', `Signing failed: ${(error as Error).message}`, { signatureType: signer.signatureType }, 'transient');
  }
  return { ...parseDataItem(item.getRaw(), lim), dedupeKey: digests.dedupeKey };
}
