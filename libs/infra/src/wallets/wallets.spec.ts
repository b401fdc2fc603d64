import { createHash, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WalletFileError, loadOrCreateWallet } from './wallet-file.js';
import { loadWallets, walletAddress } from './wallets.js';

const dir = () => mkdtemp(join(tmpdir(), 'wallets-'));

describe('wallet files', () => {
  it('generates a key once, stores it private, and reads the same key afterwards', async () => {
    const path = join(await dir(), 'nested', 'wallet.json');
    const first = await loadOrCreateWallet(path, 'ed25519');
    expect(first.created).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateWallet(path, 'ed25519');
    expect(second.created).toBe(false);
    expect(second.jwk).toEqual(first.jwk);
  });

  it('lets processes starting together agree on one key', async () => {
    const path = join(await dir(), 'wallet.json');
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => loadOrCreateWallet(path, 'ed25519')));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    for (const r of results) expect(r.jwk).toEqual(JSON.parse(await readFile(path, 'utf8')));
  });

  it('refuses a file holding another kind of key or no key at all', async () => {
    const d = await dir();
    await loadOrCreateWallet(join(d, 'ed.json'), 'ed25519');
    await expect(loadOrCreateWallet(join(d, 'ed.json'), 'arweave')).rejects.toThrow(WalletFileError);
    await writeFile(join(d, 'junk.json'), '{"kty":');
    await expect(loadOrCreateWallet(join(d, 'junk.json'), 'ed25519')).rejects.toThrow(/not valid JSON/);
  });

  it('derives the ao address as base64url(sha256(public key))', async () => {
    const { jwk } = await loadOrCreateWallet(join(await dir(), 'w.json'), 'ed25519');
    const raw = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'spki' }).subarray(-32);
    expect(walletAddress(jwk)).toBe(createHash('sha256').update(raw).digest('base64url'));
  });

  it('uses one RSA file for both roles when WALLET_TYPE=arweave points at the upload wallet', async () => {
    const path = join(await dir(), 'both.json');
    const wallets = await loadWallets({ WALLET_PATH: path, ARWEAVE_WALLET_PATH: path, WALLET_TYPE: 'arweave' });
    expect(wallets.signing).toBe(wallets.upload);
    expect(wallets.signing.kind).toBe('arweave');
    expect(wallets.signing.address).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
