import { randomBytes } from 'node:crypto';
import { AoError } from '@ao/core';

/** An Arweave/ao id: 32 bytes in base64url. */
export const ID = /^[A-Za-z0-9_-]{43}$/;

/** The value when it is an id, else a 400 naming the parameter (nothing else reaches a store or the gateway). */
export function requireId(value: string, what: string): string {
  if (!ID.test(value)) throw new AoError('INVALID_REQUEST', `${what} must be a 43-character base64url id`, { [what]: value.slice(0, 64) });
  return value;
}

/** A UUIDv7: time-ordered (48-bit ms timestamp first), so ids sort by creation and serve as cursors. */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
