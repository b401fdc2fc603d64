const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Decodes a 43-character base64url id to its 32 bytes, or undefined when it is not a canonical id. */
export function decodeId(value: string): Buffer | undefined {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  // Node's decoder ignores the unused low bits of the last character; a canonical id has them zero.
  return bytes.length === 32 && bytes.toString('base64url') === value ? bytes : undefined;
}

/** True when the value is a canonical 43-character base64url encoding of 32 bytes (an Arweave/ao id). */
export function isId(value: string): boolean {
  return decodeId(value) !== undefined;
}
