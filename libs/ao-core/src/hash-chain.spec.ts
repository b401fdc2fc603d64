import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isAoError } from './errors.js';
import { nextHashChain, seedHashChain, verifyHashChain, type HashChainLink } from './hash-chain.js';

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('base64url');
};
const b = (id: string) => Buffer.from(id, 'base64url');
const newId = () => randomBytes(32).toString('base64url');

/** A log of `n` slots built independently of the module under test. */
function log(processId: string, n: number): HashChainLink[] {
  const out: HashChainLink[] = [{ processId, nonce: 0, assignmentId: newId(), hashChain: sha256(b(processId)) }];
  for (let nonce = 1; nonce < n; nonce++) {
    const prev = out[nonce - 1];
    out.push({ processId, nonce, assignmentId: newId(), hashChain: sha256(b(prev.assignmentId), b(prev.hashChain)) });
  }
  return out;
}

describe('hash chain links (known answers)', () => {
  it('seeds with SHA-256 of the decoded process id bytes', () => {
    // 43 'A's decode to 32 zero bytes; SHA-256 of 32 zero bytes is 66687aad…0d5f2925.
    expect(seedHashChain('A'.repeat(43))).toBe(Buffer.from('66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925', 'hex').toString('base64url'));
    const pid = newId();
    expect(seedHashChain(pid)).toBe(sha256(b(pid)));
    expect(seedHashChain(pid)).not.toBe(sha256(Buffer.from(pid, 'utf8'))); // not the UTF-8 text
  });

  it('links SHA-256(decoded previous assignment id ‖ decoded previous hash chain)', () => {
    const assignment = newId();
    const prev = newId();
    expect(nextHashChain(assignment, prev)).toBe(sha256(b(assignment), b(prev)));
    expect(nextHashChain(assignment, prev)).not.toBe(sha256(b(prev), b(assignment)));
    expect(nextHashChain('A'.repeat(43), 'A'.repeat(43))).toBe(sha256(Buffer.alloc(64)));
  });

  it('refuses inputs that are not 32-byte base64url ids', () => {
    for (const bad of ['', 'short', `${'A'.repeat(42)}!`, 'A'.repeat(44), 'A'.repeat(42) + 'B']) {
      let caught: unknown;
      try {
        seedHashChain(bad);
      } catch (error) {
        caught = error;
      }
      expect(isAoError(caught, 'INVALID_REQUEST'), bad).toBe(true);
    }
    expect(() => nextHashChain(newId(), 'nope')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('hash chain input errors', () => {
  it('name the argument that is not an id, with its value', () => {
    const id = newId();
    const cases: [() => string, string, string][] = [
      [() => seedHashChain('short'), 'processId', 'short'],
      [() => nextHashChain('bad-assignment', id), 'prevAssignmentId', 'bad-assignment'],
      [() => nextHashChain(id, 'bad-chain'), 'prevHashChain', 'bad-chain'],
    ];
    for (const [call, name, value] of cases) {
      expect(call).toThrow(
        expect.objectContaining({ code: 'INVALID_REQUEST', message: `${name} must be a 43-character base64url id (32 bytes)`, details: { [name]: value } }),
      );
    }
  });
});

describe('verifyHashChain', () => {
  it('accepts an intact log, from slot 0 or from a trusted previous slot', () => {
    const entries = log(newId(), 6);
    expect(verifyHashChain(entries)).toBeNull();
    expect(verifyHashChain(entries.slice(3), entries[2])).toBeNull();
    expect(verifyHashChain(entries.slice(3))).toBeNull();
    expect(verifyHashChain([])).toBeNull();
  });

  it('catches a swapped pair of slots', () => {
    const entries = log(newId(), 6);
    const swapped = [entries[0], entries[1], entries[3], entries[2], entries[4], entries[5]];
    expect(verifyHashChain(swapped)).toBe(3);
    // Same, with the nonces relabelled so they still count up: the links give it away.
    const relabelled = swapped.map((e, nonce) => ({ ...e, nonce }));
    expect(verifyHashChain(relabelled)).toBe(2);
  });

  it('catches a wrong link, a wrong seed, a gap and a wrong previous slot', () => {
    const entries = log(newId(), 6);
    expect(verifyHashChain(entries.map((e) => (e.nonce === 4 ? { ...e, hashChain: newId() } : e)))).toBe(4);
    expect(verifyHashChain(entries.map((e) => (e.nonce === 2 ? { ...e, assignmentId: newId() } : e)))).toBe(3);
    expect(verifyHashChain([{ ...entries[0], processId: newId() }, ...entries.slice(1)])).toBe(0);
    expect(verifyHashChain([...entries.slice(0, 2), ...entries.slice(3)])).toBe(3);
    expect(verifyHashChain(entries.slice(3), entries[1])).toBe(3);
    expect(verifyHashChain(entries.map((e) => (e.nonce === 1 ? { ...e, hashChain: 'garbage' } : e)))).toBe(1);
  });

  it('catches a slot of another process that links on, an undecodable id and an unusable previous slot', () => {
    const pid = newId();
    const entries = log(pid, 4);
    // Nonce and link are right, but the slot says it belongs to another process.
    expect(verifyHashChain(entries.map((e) => (e.nonce === 2 ? { ...e, processId: newId() } : e)))).toBe(2);
    // Without a process id on either side, only the chain is judged.
    expect(verifyHashChain(entries.map((e) => (e.nonce === 2 ? { ...e, processId: undefined } : e)))).toBeNull();
    expect(verifyHashChain(entries.map((e) => (e.nonce === 3 ? { ...e, assignmentId: 'not-an-id' } : e)))).toBe(3);
    // A trusted previous slot whose link cannot be decoded chains onto nothing.
    expect(verifyHashChain(entries.slice(2), { ...entries[1], hashChain: 'garbage' })).toBe(2);
    expect(verifyHashChain(entries.slice(2), { ...entries[1], assignmentId: 'garbage' })).toBe(2);
    // A nonce-0 slot of a process id that is no id has no seed to match.
    expect(verifyHashChain([{ ...entries[0], processId: 'short' }])).toBe(0);
    // Nonce 0 without a process id is taken as trusted, like any first slot.
    expect(verifyHashChain([{ ...entries[0], processId: undefined, hashChain: newId() }])).toBeNull();
    // The nonce must step by exactly one, not merely go up.
    expect(verifyHashChain([entries[0], { ...entries[1], nonce: 2 }])).toBe(2);
  });
});
