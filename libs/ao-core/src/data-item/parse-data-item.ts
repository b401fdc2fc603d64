import { createHash } from 'node:crypto';
import { DataItem, byteArrayToLong } from 'arbundles';
import { AoError } from '../errors.js';
import type { Tag } from '../types.js';
import { ownerAddress, type SignatureType } from './address.js';
import { checkTags, resolveLimits, type ParseLimits } from './item-limits.js';
import { decodeTags } from './tag-codec.js';

export type { ParseLimits } from './item-limits.js';

/**
 * A well-formed ANS-104 data item, split into its fields. Parsing does not verify the signature:
 * call `verifyDataItem` before trusting it. The Buffers are views of `raw` (not copies): do not mutate.
 */
export interface SignedDataItem {
  /** base64url(SHA-256(signature)). */
  readonly id: string;
  readonly signatureType: SignatureType;
  readonly signature: Buffer;
  /** The raw public key: RSA modulus (512 bytes), Ed25519 key (32) or uncompressed secp256k1 key (65). */
  readonly owner: Buffer;
  /** base64url(SHA-256(owner)) for types 1 and 2; EIP-55 `0x…` for type 3. */
  readonly ownerAddress: string;
  /** base64url of the 32 target bytes, when present. */
  readonly target?: string;
  /**
   * The 32 anchor bytes as UTF-8 text (ao clients write 32-character anchors, and the reference SU
   * reads them as text); base64url of the bytes when they are not valid UTF-8. Absent when unset.
   */
  readonly anchor?: string;
  readonly tags: Tag[];
  readonly data: Buffer;
  /** The whole signed binary item. */
  readonly raw: Buffer;
}

/**
 * arbundles' offset helpers: public at run time, `private` only in its typings. Going through them
 * keeps arbundles the one place that knows the ANS-104 layout.
 */
interface ItemOffsets {
  getTargetStart(): number;
  getAnchorStart(): number;
  getTagsStart(): number;
}

const SIGNATURE_TYPES: ReadonlySet<number> = new Set([1, 2, 3]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string, details: Record<string, unknown> = {}): AoError {
  return new AoError('INVALID_ITEM', message, details);
}

function readSignatureType(item: DataItem): SignatureType {
  let type: number;
  try {
    type = item.signatureType;
  } catch {
    type = NaN;
  }
  if (!SIGNATURE_TYPES.has(type)) {
    const raw = item.getRaw();
    throw new AoError('UNSUPPORTED_SIGNATURE', 'Only signature types 1 (Arweave), 2 (Ed25519) and 3 (Ethereum) are supported', {
      signatureType: raw[0] + raw[1] * 256,
    });
  }
  return type as SignatureType;
}

function presence(bytes: Buffer, at: number, field: string): boolean {
  if (at >= bytes.length) throw invalid(`Item truncated before its ${field}`, { length: bytes.length });
  const flag = bytes[at];
  if (flag !== 0 && flag !== 1) throw invalid(`Bad ${field} presence byte ${flag}`, { field });
  return flag === 1;
}

/** Text of the anchor bytes, as ao reads them (see `SignedDataItem.anchor`). */
function anchorText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('base64url');
  }
}

/**
 * Parses a binary ANS-104 data item (layout read by arbundles) and checks its structure and tags
 * against the limits; throws AoError INVALID_ITEM, ITEM_TOO_LARGE, INVALID_TAGS or UNSUPPORTED_SIGNATURE.
 */
export function parseDataItem(raw: Uint8Array, limits?: Partial<ParseLimits>): SignedDataItem {
  if (!(raw instanceof Uint8Array)) throw invalid('A data item must be bytes');
  const lim = resolveLimits(limits);
  if (raw.byteLength > lim.maxBytes) {
    throw new AoError('ITEM_TOO_LARGE', `Item is ${raw.byteLength} bytes > ${lim.maxBytes}`, { size: raw.byteLength, max: lim.maxBytes });
  }
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes.length < 2) throw invalid('Item truncated before its signature type', { length: bytes.length });
  const item = new DataItem(bytes);
  const signatureType = readSignatureType(item);

  // arbundles computes the offsets but reads past the end silently: check every boundary first.
  const offsets = item as unknown as ItemOffsets;
  const hasTarget = presence(bytes, offsets.getTargetStart(), 'target');
  const hasAnchor = presence(bytes, offsets.getAnchorStart(), 'anchor');
  const tagsStart = offsets.getTagsStart();
  if (tagsStart + 16 > bytes.length) throw invalid('Item truncated before its tags', { length: bytes.length });
  const tagCount = byteArrayToLong(bytes.subarray(tagsStart, tagsStart + 8));
  const tagBytes = byteArrayToLong(bytes.subarray(tagsStart + 8, tagsStart + 16));
  if (tagCount > lim.maxTags) {
    throw new AoError('INVALID_TAGS', `Too many tags: ${tagCount} > ${lim.maxTags}`, { count: tagCount, max: lim.maxTags });
  }
  if (tagBytes > lim.maxTagsBytes) {
    throw new AoError('INVALID_TAGS', `Tag block is ${tagBytes} bytes > ${lim.maxTagsBytes}`, { size: tagBytes, max: lim.maxTagsBytes });
  }
  if (tagsStart + 16 + tagBytes > bytes.length) throw invalid('Item truncated inside its tags', { length: bytes.length });
  if ((tagCount === 0) !== (tagBytes === 0)) {
    throw new AoError('INVALID_TAGS', `Tag count ${tagCount} does not match a ${tagBytes}-byte tag block`, { count: tagCount });
  }
  const tags = tagCount === 0 ? [] : decodeTags(item.rawTags);
  if (tags.length !== tagCount) {
    throw new AoError('INVALID_TAGS', `Tag header says ${tagCount} tags, block holds ${tags.length}`, { count: tagCount });
  }
  checkTags(tags, lim);

  const signature = item.rawSignature;
  const owner = item.rawOwner;
  if (signatureType === 3 && owner[0] !== 4) throw invalid('An Ethereum owner must be an uncompressed public key (0x04…)');
  return {
    id: createHash('sha256').update(signature).digest('base64url'),
    signatureType,
    signature,
    owner,
    ownerAddress: ownerAddress(signatureType, owner),
    ...(hasTarget ? { target: item.rawTarget.toString('base64url') } : {}),
    ...(hasAnchor ? { anchor: anchorText(item.rawAnchor) } : {}),
    tags,
    data: item.rawData,
    raw: bytes,
  };
}
