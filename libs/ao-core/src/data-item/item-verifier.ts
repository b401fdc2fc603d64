import type { ParseLimits } from './item-limits.js';
import { verifyRawDataItem, type VerifiedDataItem } from './verify-data-item.js';

/**
 * Parses and verifies raw signed items (the CPU-heavy part of ingress), possibly off the calling
 * thread: adapters may run it on a pool of worker threads. Rejects with the same AoErrors as
 * `verifyRawDataItem` (INVALID_ITEM, ITEM_TOO_LARGE, INVALID_TAGS, UNSUPPORTED_SIGNATURE, BAD_SIGNATURE).
 */
export interface ItemVerifier {
  verify(raw: Uint8Array, limits?: Partial<ParseLimits>): Promise<VerifiedDataItem>;
}

/** The verifier that runs on the calling thread. */
export const inlineItemVerifier: ItemVerifier = {
  verify: async (raw, limits) => verifyRawDataItem(raw, limits),
};
