import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDataItem } from '../data-item/create-data-item.js';
import { parseDataItem } from '../data-item/parse-data-item.js';
import { ArweaveItemSigner, Ed25519ItemSigner } from '../data-item/signers.js';
import { verifyDataItem } from '../data-item/verify-data-item.js';
import { AssignmentSigner } from './assignment-signer.js';
import { assignmentTags } from './assignment-tags.js';

const ed25519 = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
const slot = (nonce: number) => ({
  processId: 'P'.repeat(43),
  nonce,
  hashChain: 'H'.repeat(43),
  blockHeight: 1_234_567,
  timestamp: 1_700_000_000_000 + nonce,
  messageId: 'M'.repeat(43),
  ...(nonce % 2 ? { exclude: ['a', 'b'] } : {}),
});

describe('AssignmentSigner', () => {
  it('signs the same bytes as createDataItem (Ed25519 is deterministic), with its id', async () => {
    const signer = new AssignmentSigner(ed25519);
    for (const nonce of [0, 1, 2, 99_999]) {
      const tags = assignmentTags(slot(nonce));
      const expected = await createDataItem({ data: '', tags }, ed25519);
      const assignment = await signer.sign(tags);
      expect(Buffer.compare(assignment.raw, expected.raw)).toBe(0);
      expect(assignment.id).toBe(expected.id);
    }
  });

  it('signs items that verify, for an Arweave (RSA-PSS) key too', async () => {
    const rsa = new ArweaveItemSigner(generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 65537 }).privateKey);
    for (const key of [ed25519, rsa]) {
      const assignment = await new AssignmentSigner(key).sign(assignmentTags(slot(7)));
      const item = parseDataItem(assignment.raw);
      expect(item.id).toBe(assignment.id);
      expect(item.ownerAddress).toBe(key.address);
      expect(item.tags).toEqual(assignmentTags(slot(7)));
      expect(await verifyDataItem(item)).toBe(true);
    }
  });
});

describe('AssignmentSigner refuses what it cannot sign with', () => {
  const base = { signatureType: 2 as const, signatureLength: 64, ownerLength: 32, publicKey: ed25519.publicKey, address: ed25519.address, sign: (m: Uint8Array) => ed25519.sign(m) };

  it('a signer of an unknown type or with a public key of the wrong length', () => {
    const refusal = { code: 'INVALID_REQUEST', message: 'Not a usable signer for assignments (type 2)' };
    expect(() => new AssignmentSigner({ ...base, publicKey: Buffer.alloc(31) })).toThrow(expect.objectContaining(refusal));
    expect(() => new AssignmentSigner({ ...base, signatureType: 9 as never })).toThrow(expect.objectContaining({ message: 'Not a usable signer for assignments (type 9)' }));
    expect(() => new AssignmentSigner(base)).not.toThrow();
  });

  it('a signing failure (transient) or a signature of the wrong length (internal)', async () => {
    const tags = assignmentTags(slot(0));
    const failing = new AssignmentSigner({ ...base, sign: () => Promise.reject(new Error('HSM offline')) });
    await expect(failing.sign(tags)).rejects.toMatchObject({ code: 'INTERNAL', kind: 'transient', message: 'Signing failed: HSM offline', details: { signatureType: 2 } });
    const short = new AssignmentSigner({ ...base, sign: async () => Buffer.alloc(63) });
    await expect(short.sign(tags)).rejects.toMatchObject({ code: 'INTERNAL', message: 'Signer returned 63 bytes, type 2 needs 64' });
  });
});
