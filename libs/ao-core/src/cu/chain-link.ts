import { hash } from 'node:crypto';
import { nextHashChain } from '../hash-chain.js';

const ID_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
// Reused for every link: the CU checks one chain at a time and the call is synchronous.
const input = Buffer.alloc(64);

/**
 * `nextHashChain(prevAssignmentId, prevHashChain)`, computed with one SHA-256 of a reused 64-byte
 * buffer. An id is canonical when it is 43 base64url characters whose last one leaves the two
 * unused low bits zero (what `decodeId` checks by re-encoding); a non-canonical input goes to
 * `nextHashChain` itself, which throws its own error.
 */
export function nextLink(prevAssignmentId: string, prevHashChain: string): string {
  if (!ID_PATTERN.test(prevAssignmentId) || !ID_PATTERN.test(prevHashChain)) return nextHashChain(prevAssignmentId, prevHashChain);
  input.write(prevAssignmentId, 0, 'base64url');
  input.write(prevHashChain, 32, 'base64url');
  return hash('sha256', input, 'base64url');
}
