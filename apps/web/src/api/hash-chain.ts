/**
 * The SU's hash chain, recomputed in the browser from what /su/{pid} serves:
 * `Hash-Chain(n) = base64url(SHA-256(bytes(assignment id of n-1) ‖ bytes(Hash-Chain of n-1)))`,
 * the first link SHA-256(bytes(process id)); bytes = base64url-decoded.
 */

function fromBase64url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function sha256(...parts: Uint8Array[]): Promise<string> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return toBase64url(new Uint8Array(await crypto.subtle.digest('SHA-256', joined)));
}

/** Whether this browser can check links (WebCrypto exists only on https and localhost). */
export function canCheckLinks(): boolean {
  return typeof crypto !== 'undefined' && typeof crypto.subtle?.digest === 'function';
}

/** The first link of a process's chain. */
export function seedLink(processId: string): Promise<string> {
  return sha256(fromBase64url(processId));
}

/** The link that must follow an entry with this assignment id and hash chain. */
export function nextLink(prevAssignmentId: string, prevHashChain: string): Promise<string> {
  return sha256(fromBase64url(prevAssignmentId), fromBase64url(prevHashChain));
}

export interface ChainEntry {
  nonce: number;
  assignmentId: string;
  hashChain: string;
}

/** For each entry: true when its link follows from the entry before (or the seed at nonce 0), null when the previous entry is not loaded. */
export async function checkLinks(processId: string, entries: ChainEntry[]): Promise<(boolean | null)[]> {
  return Promise.all(
    entries.map(async (entry, i) => {
      const prev = entries[i - 1];
      if (entry.nonce === 0) return entry.hashChain === (await seedLink(processId));
      if (!prev || prev.nonce !== entry.nonce - 1) return null;
      return entry.hashChain === (await nextLink(prev.assignmentId, prev.hashChain));
    }),
  );
}
