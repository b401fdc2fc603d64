import { AoError } from '@ao/core';

/** An Arweave/ao id: 32 bytes in base64url. */
export const ID = /^[A-Za-z0-9_-]{43}$/;

/** The value when it is an id, else a 400 naming the parameter (nothing else reaches a store or the gateway). */
export function requireId(value: string, what: string): string {
  if (!ID.test(value)) throw new AoError('INVALID_REQUEST', `${what} must be a 43-character base64url id`, { [what]: value.slice(0, 64) });
  return value;
}
