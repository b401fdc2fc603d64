import { createHash, randomBytes } from 'node:crypto';
import { createData, type Signer } from 'arbundles';
import { describe, expect, it } from 'vitest';
import { decodeId } from '../data-item/ids.js';
import { parseDataItem } from '../data-item/parse-data-item.js';
import { nextHashChain } from '../hash-chain.js';
import { nextLink } from './chain-link.js';
import { readMessageFields, type MessageFields } from './message-fields.js';
import { excludedFields, toAoMessage } from './to-ao-message.js';
import type { LogEntry } from '../su/ports.js';

type Tags = { name: string; value: string }[];

/** An item laid out by arbundles for a type-1 or type-2 owner (random signature: structure only). */
function item(type: 1 | 2, tags: Tags, data: string | Uint8Array, opts: { target?: string; anchor?: string } = {}): Buffer {
  const sizes = type === 1 ? { signatureLength: 512, ownerLength: 512 } : { signatureLength: 64, ownerLength: 32 };
  const signature = randomBytes(sizes.signatureLength);
  const signer: Signer = { signatureType: type, ...sizes, publicKey: randomBytes(sizes.ownerLength), sign: () => signature };
  const raw = createData(data, signer, { tags, ...opts }).getRaw();
  signature.copy(raw, 2);
  return raw;
}

/** What parseDataItem makes of the bytes, as the fields the CU reads (or its error). */
function reference(raw: Buffer): MessageFields | { error: string } {
  try {
    const p = parseDataItem(raw);
    return {
      id: p.id,
      ownerAddress: p.ownerAddress,
      ...(p.target !== undefined ? { target: p.target } : {}),
      ...(p.anchor !== undefined ? { anchor: p.anchor } : {}),
      tags: p.tags,
      signature: p.signature,
      data: p.data,
    };
  } catch (error) {
    return { error: String(error) };
  }
}

function fast(raw: Buffer): MessageFields | { error: string } {
  try {
    return readMessageFields(raw);
  } catch (error) {
    return { error: String(error) };
  }
}

const TARGET = createHash('sha256').update('p').digest('base64url');
const AO_TAGS: Tags = [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Type', value: 'Message' },
  { name: 'Action', value: 'Transfer' },
  { name: 'Quantity', value: '1' },
];
const SAMPLES: Buffer[] = [
  item(2, AO_TAGS, '', { target: TARGET, anchor: 'a'.repeat(32) }),
  item(2, AO_TAGS, 'payload'),
  item(2, [], 'no tags', { anchor: 'b'.repeat(32) }),
  item(1, AO_TAGS, 'arweave owner', { target: TARGET }),
  item(2, [{ name: 'Grüße', value: 'héllo ✓' }, { name: 'Empty', value: '' }], new Uint8Array([0xff, 0xfe, 0x00])),
  item(2, [{ name: 'Long', value: 'x'.repeat(3000) }, ...AO_TAGS], 'long value'),
  item(2, [{ name: 'TooLong', value: 'x'.repeat(3073) }], 'over the value limit'),
  item(2, Array.from({ length: 129 }, (_, i) => ({ name: `T${i}`, value: '' })), 'too many tags'),
  item(2, [{ name: '\ufeffBOM', value: '\ufeff' }], 'byte order marks'),
];

describe('readMessageFields', () => {
  it('reads what parseDataItem reads, for every shape of item', () => {
    for (const raw of SAMPLES) expect(fast(raw)).toEqual(reference(raw));
    const anchored = item(2, AO_TAGS, 'x', { anchor: 'c'.repeat(32) });
    anchored.fill(0xc3, anchored.indexOf('c'.repeat(32)), anchored.indexOf('c'.repeat(32)) + 32); // not UTF-8
    expect(fast(anchored)).toEqual(reference(anchored));
    expect((fast(anchored) as MessageFields).anchor).toBe(Buffer.alloc(32, 0xc3).toString('base64url'));
  });

  it('reads repeated and colliding short tag strings exactly (they are reused from a table of 4,096 slots)', () => {
    // 20,000 distinct values of every short length share the slots many times over; each is read
    // again after others took its slot, and the same bytes read twice give the same text
    const values = Array.from({ length: 20_000 }, (_, i) => `v${i}`.padEnd(1 + (i % 64), String.fromCharCode(33 + (i % 90))));
    const items = Array.from({ length: 500 }, (_, k) =>
      item(2, values.slice(k * 40, k * 40 + 40).map((value, j) => ({ name: `N${j % 7}`, value })), ''),
    );
    for (const pass of [1, 2]) {
      for (const raw of items) expect(fast(raw), `pass ${pass}`).toEqual(reference(raw));
    }
  });

  it('agrees with parseDataItem on damaged bytes: the same fields or the same error', () => {
    for (const raw of SAMPLES.slice(0, 5)) {
      for (let cut = 0; cut < raw.length; cut += 7) {
        const truncated = raw.subarray(0, cut);
        expect(fast(truncated), `cut at ${cut}`).toEqual(reference(truncated));
      }
      for (let at = 0; at < raw.length; at += 5) {
        for (const value of [0, 1, 0x7f, 0x80, 0xff, raw[at] ^ 0x01]) {
          const damaged = Buffer.from(raw);
          damaged[at] = value;
          expect(fast(damaged), `byte ${at} = ${value}`).toEqual(reference(damaged));
        }
      }
    }
  });

  it('takes the id the log records for the item instead of hashing its signature again', () => {
    const raw = SAMPLES[0];
    const id = (reference(raw) as MessageFields).id;
    expect((fast(raw) as MessageFields).id).toBe(id);
    expect(readMessageFields(raw, id)).toEqual(fast(raw));
    expect(readMessageFields(raw, 'recorded-id').id).toBe('recorded-id');
  });

  it('answers parseDataItem errors for what is not bytes', () => {
    expect(() => readMessageFields('x' as unknown as Uint8Array)).toThrow(/must be bytes/);
  });
});

describe('nextLink', () => {
  it('is nextHashChain', () => {
    for (let i = 0; i < 200; i++) {
      const a = randomBytes(32).toString('base64url');
      const h = randomBytes(32).toString('base64url');
      expect(nextLink(a, h)).toBe(nextHashChain(a, h));
    }
  });

  it('leaves non-canonical ids to nextHashChain, which refuses them', () => {
    const good = randomBytes(32).toString('base64url');
    for (const bad of [good.slice(0, 42), `${good}A`, `${good.slice(0, 42)}B`, `${good.slice(0, 42)}+`, '']) {
      expect(() => nextLink(bad, good)).toThrow(/43-character base64url id/);
      expect(() => nextLink(good, bad)).toThrow(/43-character base64url id/);
    }
    // the canonical test agrees with decodeId for every last character
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const c of chars) {
      const id = `${good.slice(0, 42)}${c}`;
      const canonical = decodeId(id) !== undefined;
      expect(() => nextLink(id, good), id).toSatisfy((call: () => string) => {
        try {
          return call() === nextHashChain(id, good) && canonical;
        } catch {
          return !canonical;
        }
      });
    }
  });
});

describe('toAoMessage: Exclude on the assignment', () => {
  const message = item(2, [{ name: 'Action', value: 'Hi' }], 'payload', { anchor: 'n'.repeat(32) });
  const entry = (assignmentTags: Tags): LogEntry => ({
    processId: 'P'.repeat(43),
    nonce: 1,
    timestamp: 1_700_000_000_000,
    blockHeight: 7,
    hashChain: 'H'.repeat(43),
    assignmentId: 'A'.repeat(43),
    messageId: undefined as unknown as string,
    assignment: item(2, assignmentTags, ''),
    message,
  }) as LogEntry;
  const ctx = { processId: 'P'.repeat(43), moduleId: 'M'.repeat(43), trustedPushers: new Set<string>() };

  it('leaves out the fields the assignment excludes, and only those', () => {
    const full = toAoMessage(entry([{ name: 'Process', value: 'P'.repeat(43) }]), ctx);
    expect([full.Data, full.Tags, full.Anchor !== undefined, full.Signature !== undefined]).toEqual(['payload', [{ name: 'Action', value: 'Hi' }], true, true]);
    const cut = toAoMessage(entry([{ name: 'Exclude', value: 'Data,Tags' }, { name: 'Exclude', value: 'Anchor' }]), ctx);
    const { Anchor: _anchor, ...withoutAnchor } = full;
    expect(cut).toStrictEqual({ ...withoutAnchor, Data: '', Tags: [] });
    expect('Anchor' in cut).toBe(false);
    // names outside EXCLUDABLE_FIELDS are not honoured (the SU refuses them)
    expect(toAoMessage(entry([{ name: 'Exclude', value: 'Owner,From' }]), ctx)).toEqual(full);
    expect(excludedFields(entry([{ name: 'Exclude', value: 'Signature' }]).assignment)).toEqual(new Set(['Signature']));
  });
});
