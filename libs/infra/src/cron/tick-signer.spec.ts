import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataItem } from 'arbundles';
import { describe, expect, it } from 'vitest';
import { createDataItem, verifyDataItem } from '@ao/core';
import { loadOrCreateWallet } from '../wallets/wallet-file.js';
import { walletAddress, type LoadedKey } from '../wallets/wallets.js';
import { createTickSigner } from './tick-signer.js';

async function key(kind: 'ed25519' | 'arweave'): Promise<LoadedKey> {
  const { jwk, created } = await loadOrCreateWallet(join(await mkdtemp(join(tmpdir(), 'tick-signer-')), 'w.json'), kind);
  return { kind, jwk, address: walletAddress(jwk), created };
}

describe('createTickSigner', () => {
  it.each(['ed25519', 'arweave'] as const)('signs the same tick into the same, valid item with a %s key', async (kind) => {
    const signer = createTickSigner(await key(kind));
    const tick = { data: '', target: 'A'.repeat(43), anchor: 'a'.repeat(32), tags: [{ name: 'Cron', value: 'true' }] };
    const [a, b] = [await createDataItem(tick, signer), await createDataItem(tick, signer)];
    expect(a.id).toBe(b.id);
    expect(await verifyDataItem(a)).toBe(true);
    // Gateways verify bundled items with arbundles.
    expect(await DataItem.verify(Buffer.from(a.raw))).toBe(true);
    expect(a.ownerAddress).toBe(signer.address);
    const other = await createDataItem({ ...tick, anchor: 'b'.repeat(32) }, signer);
    expect(other.id).not.toBe(a.id);
  });
});
