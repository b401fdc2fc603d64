import { SIG_CONFIG, createData, type Signer } from 'arbundles';
import { AoError } from '../errors.js';
import type { DataItemJson } from '../types.js';
import type { SignatureType } from './address.js';
import type { ParseLimits } from './item-limits.js';
import { parseDataItem, type SignedDataItem } from './parse-data-item.js';

/** The JSON shape of an item (`DataItemJson`): binary fields base64url, absent target/anchor null. */
export function toDataItemJson(item: SignedDataItem): DataItemJson {
  return {
    id: item.id,
    owner: { address: item.ownerAddress, key: item.owner.toString('base64url') },
    tags: item.tags.map((t) => ({ name: t.name, value: t.value })),
    signature: item.signature.toString('base64url'),
    anchor: item.anchor ?? null,
    target: item.target ?? null,
    data: item.data.toString('base64url'),
  };
}

const BY_LENGTHS: Record<string, SignatureType> = { '512:512': 1, '64:32': 2, '65:65': 3 };

function bad(message: string, details: Record<string, unknown> = {}): AoError {
  return new AoError('INVALID_ITEM', message, details);
}

/**
 * Rebuilds the signed binary item from its JSON (the inverse of `toDataItemJson`) and checks that the
 * JSON's id and owner address are the ones the bytes give. Does not verify the signature: call
 * `verifyDataItem`. Anchors must be 32 bytes of UTF-8 text (as ao writes them).
 */
export function dataItemFromJson(json: DataItemJson, limits?: Partial<ParseLimits>): SignedDataItem {
  const owner = Buffer.from(json.owner?.key ?? '', 'base64url');
  const signature = Buffer.from(json.signature ?? '', 'base64url');
  const signatureType = BY_LENGTHS[`${signature.length}:${owner.length}`];
  if (!signatureType) {
    throw new AoError('UNSUPPORTED_SIGNATURE', 'Owner key and signature lengths match no supported signature type', {
      ownerBytes: owner.length,
      signatureBytes: signature.length,
    });
  }
  const config = SIG_CONFIG[signatureType];
  const placeholder: Signer = {
    signatureType,
    signatureLength: config.sigLength,
    ownerLength: config.pubLength,
    publicKey: owner,
    sign: () => {
      throw bad('Not signing');
    },
  };
  let raw: Buffer;
  try {
    const item = createData(Buffer.from(json.data ?? '', 'base64url'), placeholder, {
      tags: json.tags,
      target: json.target ?? undefined,
      anchor: json.anchor ?? undefined,
    });
    raw = item.getRaw();
  } catch (error) {
    throw bad(`Cannot rebuild the item from JSON: ${(error as Error).message}`);
  }
  raw.set(signature, 2);
  const item = parseDataItem(raw, limits);
  if (item.id !== json.id) throw bad('JSON id does not match its signature', { id: json.id, computed: item.id });
  if (item.ownerAddress !== json.owner.address) {
    throw bad('JSON owner address does not match its key', { address: json.owner.address, computed: item.ownerAddress });
  }
  return item;
}
