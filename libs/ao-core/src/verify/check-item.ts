import { parseDataItem, type SignedDataItem } from '../data-item/parse-data-item.js';
import { verifyDataItem } from '../data-item/verify-data-item.js';

/** An item that checked out, or why it did not. */
export type CheckedItem = { item: SignedDataItem } | { code: 'parse' | 'id' | 'signature'; reason: string };

/** Parses an item, and checks it is the item `id` names and that its signature verifies. */
export async function checkItem(raw: Uint8Array, id: string, what: string): Promise<CheckedItem> {
  let item: SignedDataItem;
  try {
    item = parseDataItem(raw);
  } catch (error) {
    return { code: 'parse', reason: `${what} ${id} is not a valid ANS-104 item: ${(error as Error).message}` };
  }
  if (item.id !== id) return { code: 'id', reason: `the gateway served another item as ${what} ${id}: its signature hashes to ${item.id}` };
  if (!(await verifyDataItem(item))) return { code: 'signature', reason: `${what} ${id}: signature does not verify` };
  return { item };
}
