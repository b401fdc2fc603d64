import { createHash } from 'node:crypto';
import type { Env } from '../env/env.schema.js';
import { loadOrCreateWallet, type KeyKind, type WalletJwk } from './wallet-file.js';

export interface LoadedKey {
  kind: KeyKind;
  jwk: WalletJwk;
  /** base64url(SHA-256(public key)): the owner address ao and Arweave use for both key types. */
  address: string;
  created: boolean;
}

export interface PlatformWallets {
  /** Signs assignments (SU), pushed messages (MU) and cron ticks. */
  signing: LoadedKey;
  /** Pays for bundles posted to the gateway (always an Arweave RSA key). */
  upload: LoadedKey;
}

/** The ao/Arweave address of a key: base64url(SHA-256(raw public key bytes)). */
export function walletAddress(jwk: WalletJwk): string {
  const raw = jwk.kty === 'RSA' ? jwk.n : jwk.x;
  if (!raw) throw new Error('JWK without a public key');
  return createHash('sha256').update(Buffer.from(raw, 'base64url')).digest('base64url');
}

async function load(path: string, kind: KeyKind): Promise<LoadedKey> {
  const { jwk, created } = await loadOrCreateWallet(path, kind);
  return { kind, jwk, address: walletAddress(jwk), created };
}

/** Loads both keys from their files, generating what is missing. Keys are never logged. */
export async function loadWallets(env: Pick<Env, 'WALLET_PATH' | 'WALLET_TYPE' | 'ARWEAVE_WALLET_PATH'>): Promise<PlatformWallets> {
  const upload = await load(env.ARWEAVE_WALLET_PATH, 'arweave');
  const signing =
    env.WALLET_TYPE === 'arweave' && env.WALLET_PATH === env.ARWEAVE_WALLET_PATH
      ? upload
      : await load(env.WALLET_PATH, env.WALLET_TYPE);
  return { signing, upload };
}
