import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canCheckLinks, checkLinks, nextLink, seedLink } from './hash-chain';

// The oracle: the protocol's definition computed with Node's crypto (not the browser code under test).
const id = () => randomBytes(32).toString('base64url');
const sha = (...ids: string[]) => createHash('sha256').update(Buffer.concat(ids.map((s) => Buffer.from(s, 'base64url')))).digest('base64url');

describe('hash-chain links recomputed with WebCrypto', () => {
  it('seeds with SHA-256 of the process id and chains SHA-256(previous assignment id ‖ previous link)', async () => {
    expect(canCheckLinks()).toBe(true);
    const pid = id();
    expect(await seedLink(pid)).toBe(sha(pid));
    const [assignment, link] = [id(), id()];
    expect(await nextLink(assignment, link)).toBe(sha(assignment, link));
  });

  it('marks each entry of a page: linked, broken, or unknown when the previous entry is not loaded', async () => {
    const pid = id();
    const entries = [{ nonce: 0, assignmentId: id(), hashChain: sha(pid) }];
    for (let nonce = 1; nonce < 5; nonce += 1) {
      const prev = entries[nonce - 1];
      entries.push({ nonce, assignmentId: id(), hashChain: sha(prev.assignmentId, prev.hashChain) });
    }
    expect(await checkLinks(pid, entries)).toEqual([true, true, true, true, true]);
    const tampered = entries.map((e) => (e.nonce === 3 ? { ...e, hashChain: id() } : e));
    // Nonce 3 no longer follows from 2, and 4 (honest about the tampered 3) does not follow from 3 either.
    expect(await checkLinks(pid, tampered)).toEqual([true, true, true, false, false]);
    expect(await checkLinks(pid, entries.slice(2))).toEqual([null, true, true]);
    expect(await checkLinks(id(), entries.slice(0, 1))).toEqual([false]);
  });
});
