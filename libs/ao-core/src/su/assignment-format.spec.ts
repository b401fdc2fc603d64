import { createHash } from 'node:crypto';
import { DataItem } from 'arbundles';
import { describe, expect, it } from 'vitest';
import { createDataItem } from '../data-item/create-data-item.js';
import { Ed25519ItemSigner } from '../data-item/signers.js';
import { aoTags } from '../tags.js';
import type { Tag } from '../types.js';
import { assignmentTags } from './assignment-tags.js';
import { InMemorySchedulerStore } from './in-memory-scheduler.store.js';
import { Scheduler } from './scheduler.js';

// Fixed vectors for the SU's assignments, written out by hand from the reference SU (permaweb/ao
// servers/su: `Builder::gen_assignment` for the tag list and its order, the gateway client's
// `format!("{:0>12}", height)` for Block-Height, `gen_hash_chain` for Hash-Chain, epoch 0, the
// system time in ms for Timestamp, `Message` only for a message's slot, one `Exclude` tag per
// excluded field). Nothing expected here is built with the code under test: Hash-Chain values
// were recomputed outside this repository (Python hashlib over the base64url-decoded ids), and
// the items are read back with arbundles, an independent ANS-104 reader.

/** Ed25519 signs deterministically, so fixed seeds and inputs give fixed ids. */
const SU = new Ed25519ItemSigner(Buffer.alloc(32, 1));
const USER = new Ed25519ItemSigner(Buffer.alloc(32, 2));
const HEIGHT = 1_331_218;
const T0 = 1_700_000_000_123;

const PROCESS_ID = 'BMvVzmY_QNVdRjGBE4spfO_QMXPNUVKM2O-ykP8xdv4';
const MESSAGE_ID = 'Ijm_owZzWnXHHuheEHamNcB84iMHw7dr4_6vv_4juCM';
const SLOT0_ASSIGNMENT = '3g2DrlX8AJkWAME0XvXQyOPsLHVvnBRoKZgZVTrkeN8';
/** base64url(SHA-256(decoded PROCESS_ID)). */
const SLOT0_CHAIN = '5eo-oqhfG8Ed98y9gk2o1DeABEvKVQ4Lp56lVDHdIQg';
/** base64url(SHA-256(decoded SLOT0_ASSIGNMENT ‖ decoded SLOT0_CHAIN)). */
const SLOT1_CHAIN = 'xbeaUunUxfb6W1Q8iOL0snBwN5v0acKzywHjlUfgm6o';

const SLOT0_TAGS: Tag[] = [
  { name: 'Process', value: PROCESS_ID },
  { name: 'Epoch', value: '0' },
  { name: 'Nonce', value: '0' },
  { name: 'Hash-Chain', value: SLOT0_CHAIN },
  { name: 'Block-Height', value: '000001331218' },
  { name: 'Timestamp', value: '1700000000123' },
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Type', value: 'Assignment' },
  { name: 'Variant', value: 'ao.TN.1' },
];
const SLOT1_TAGS: Tag[] = [
  { name: 'Process', value: PROCESS_ID },
  { name: 'Epoch', value: '0' },
  { name: 'Nonce', value: '1' },
  { name: 'Hash-Chain', value: SLOT1_CHAIN },
  { name: 'Block-Height', value: '000001331218' },
  { name: 'Timestamp', value: '1700000000124' },
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Type', value: 'Assignment' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Message', value: MESSAGE_ID },
];

/**
 * What the reference CU takes from an assignment (servers/cu/src/effects/ao-su.js `mapNode`): tags
 * by name, a repeated name accumulated into a list, Epoch/Nonce/Timestamp/Block-Height through parseInt.
 */
function readLikeReferenceCu(tags: Tag[]) {
  const byName: Record<string, string | string[]> = {};
  for (const t of tags) {
    const seen = byName[t.name];
    byName[t.name] = seen === undefined ? t.value : [...(Array.isArray(seen) ? seen : [seen]), t.value];
  }
  const int = (name: string) => parseInt(byName[name] as string, 10);
  return {
    Target: byName.Process,
    Message: byName.Message,
    Epoch: int('Epoch'),
    Nonce: int('Nonce'),
    Timestamp: int('Timestamp'),
    'Block-Height': int('Block-Height'),
    'Hash-Chain': byName['Hash-Chain'],
    Exclude: byName.Exclude,
  };
}

async function scheduledLog() {
  const store = new InMemorySchedulerStore();
  let now = T0;
  const scheduler = new Scheduler({ store, signer: SU, clock: { now: () => now++ }, heights: { blockHeight: async () => HEIGHT } });
  const processItem = await createDataItem(
    { data: 'Count = 0', anchor: 'a'.repeat(32), tags: [...aoTags('Process'), { name: 'Module', value: 'M'.repeat(43) }, { name: 'Scheduler', value: SU.address }] },
    USER,
  );
  const p = await scheduler.schedule(processItem.raw);
  const message = await createDataItem({ data: 'hi', target: p.processId, anchor: 'b'.repeat(32), tags: [...aoTags('Message'), { name: 'Action', value: 'Ping' }] }, USER);
  await scheduler.schedule(message.raw);
  return { store, scheduler, processId: p.processId, messageId: message.id };
}

describe('assignments match the reference SU format (fixed vectors)', () => {
  it('slot 0 and slot 1: tag names, order and values as the reference writes them', async () => {
    const { store, processId, messageId } = await scheduledLog();
    expect(processId).toBe(PROCESS_ID);
    expect(messageId).toBe(MESSAGE_ID);
    const { entries } = await store.readLog(processId, { limit: 10 });
    expect(entries).toHaveLength(2);

    const items = entries.map((e) => new DataItem(Buffer.from(e.assignment)));
    expect(await Promise.all(items.map((i) => i.isValid()))).toEqual([true, true]);
    expect(items.map((i) => i.id)).toEqual([SLOT0_ASSIGNMENT, entries[1].assignmentId]);
    expect(entries[0].assignmentId).toBe(SLOT0_ASSIGNMENT);
    expect(items[0].tags).toEqual(SLOT0_TAGS);
    expect(items[1].tags).toEqual(SLOT1_TAGS);
    // Signed by the SU, with no target, anchor or data (the reference builds `DataItem::new(vec![], vec![], tags, key)`).
    for (const item of items) {
      expect(createHash('sha256').update(item.rawOwner).digest('base64url')).toBe(SU.address);
      expect(item.target).toBe('');
      expect(item.anchor).toBe('');
      expect(item.rawData.length).toBe(0);
    }
  });

  it('reads, as the reference CU reads them, to the slot the SU answered', async () => {
    const { store, processId } = await scheduledLog();
    const { entries } = await store.readLog(processId, { limit: 10 });
    const [slot0, slot1] = entries.map((e) => readLikeReferenceCu(new DataItem(Buffer.from(e.assignment)).tags));
    expect(slot0).toEqual({ Target: PROCESS_ID, Message: undefined, Epoch: 0, Nonce: 0, Timestamp: T0, 'Block-Height': HEIGHT, 'Hash-Chain': SLOT0_CHAIN, Exclude: undefined });
    expect(slot1).toEqual({ Target: PROCESS_ID, Message: MESSAGE_ID, Epoch: 0, Nonce: 1, Timestamp: T0 + 1, 'Block-Height': HEIGHT, 'Hash-Chain': SLOT1_CHAIN, Exclude: undefined });
  });

  it('an assignment with exclude carries one Exclude tag per field, after Message', async () => {
    const { scheduler, store, processId, messageId } = await scheduledLog();
    const other = await createDataItem(
      { data: '', anchor: 'c'.repeat(32), tags: [...aoTags('Process'), { name: 'Module', value: 'M'.repeat(43) }, { name: 'Scheduler', value: SU.address }] },
      USER,
    );
    const target = (await scheduler.schedule(other.raw)).processId;
    await scheduler.assign(target, messageId, ['Data', 'Anchor']);
    const { entries } = await store.readLog(target, { limit: 10 });
    const tags = new DataItem(Buffer.from(entries[1].assignment)).tags;
    expect(tags.slice(-3)).toEqual([
      { name: 'Message', value: MESSAGE_ID },
      { name: 'Exclude', value: 'Data' },
      { name: 'Exclude', value: 'Anchor' },
    ]);
    expect(readLikeReferenceCu(tags)).toMatchObject({ Target: target, Message: MESSAGE_ID, Nonce: 1, Exclude: ['Data', 'Anchor'] });
    expect(processId).not.toBe(target);
  });

  it('pads Block-Height to 12 digits and never cuts a longer one', () => {
    const slot = { processId: PROCESS_ID, nonce: 3, hashChain: SLOT1_CHAIN, timestamp: 5 };
    const height = (blockHeight: number) => assignmentTags({ ...slot, blockHeight }).find((t) => t.name === 'Block-Height')?.value;
    expect(height(0)).toBe('000000000000');
    expect(height(7)).toBe('000000000007');
    expect(height(999_999_999_999)).toBe('999999999999');
    expect(height(1_234_567_890_123)).toBe('1234567890123');
  });
});
