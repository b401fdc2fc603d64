import { randomBytes } from 'node:crypto';
import { DataItem } from 'arbundles';
import { describe, expect, it } from 'vitest';
import { createDataItem } from '../data-item/create-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { encodeSuData, suEdge, suItemJson, suNode } from './su-json.js';
import type { LogEntry } from './ports.js';

const signer = new Ed25519ItemSigner(Buffer.alloc(32, 7));

describe("the reference SU's item JSON", () => {
  it('has the fields arbundles reads from the same bytes', async () => {
    const target = randomBytes(32).toString('base64url');
    const item = await createDataItem({ data: 'héllo', target, anchor: 'a'.repeat(32), tags: [{ name: 'Action', value: 'Ping' }] }, signer);
    const oracle = new DataItem(Buffer.from(item.raw));
    expect(suItemJson(item.raw)).toEqual({
      id: oracle.id,
      owner: { address: signer.address, key: oracle.owner },
      tags: [{ name: 'Action', value: 'Ping' }],
      signature: oracle.signature,
      anchor: 'a'.repeat(32),
      target,
      data: 'héllo',
      data_encoding: 'utf-8',
    });
  });

  it('answers null for an absent target or anchor, and base64url for bytes that are not UTF-8', async () => {
    const bytes = Uint8Array.from([0xff, 0xfe, 0x00, 0x41]);
    const item = await createDataItem({ data: bytes, tags: [] }, signer);
    const json = suItemJson(item.raw);
    expect(json).toMatchObject({ anchor: null, target: null, data: Buffer.from(bytes).toString('base64url'), data_encoding: 'base64url' });
    expect(encodeSuData(new Uint8Array())).toEqual({ data: '', data_encoding: 'utf-8' });
    expect(encodeSuData(Buffer.from('a\u0000b'))).toEqual({ data: 'a\u0000b', data_encoding: 'utf-8' });
    expect(encodeSuData(Uint8Array.from([0xc3]))).toEqual({ data: 'ww', data_encoding: 'base64url' });
  });

  it('makes nodes and edges of log entries, the cursor being the nonce or the timestamp as paged', async () => {
    const message = await createDataItem({ data: 'm', tags: [{ name: 'N', value: '1' }] }, signer);
    const assignment = await createDataItem({ data: '', tags: [{ name: 'Nonce', value: '3' }] }, signer);
    const entry = {
      processId: 'P'.repeat(43),
      nonce: 3,
      timestamp: 1_700_000_000_007,
      blockHeight: 9,
      hashChain: 'H'.repeat(43),
      assignmentId: assignment.id,
      messageId: message.id,
      message: Buffer.from(message.raw),
      assignment: Buffer.from(assignment.raw),
    } satisfies LogEntry;
    const node = suNode(entry);
    expect(node.message.id).toBe(message.id);
    expect(node.assignment.id).toBe(assignment.id);
    expect(node.assignment.tags).toEqual([{ name: 'Nonce', value: '3' }]);
    expect(suEdge(entry, 'nonce')).toEqual({ node, cursor: '3' });
    expect(suEdge(entry, 'timestamp')).toEqual({ node, cursor: '1700000000007' });
  });
});
