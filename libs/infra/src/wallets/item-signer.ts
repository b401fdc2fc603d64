import { createPrivateKey } from 'node:crypto';
import { ArweaveItemSigner, Ed25519ItemSigner, type ItemSigner } from '@ao/core';
import type { LoadedKey } from './wallets.js';

/** The ANS-104 signer for a loaded platform key (type 2 for Ed25519, type 1 for Arweave RSA). */
export function createItemSigner(key: LoadedKey): ItemSigner {
  const privateKey = createPrivateKey({ key: key.jwk, format: 'jwk' });
  return key.kind === 'ed25519' ? new Ed25519ItemSigner(privateKey) : new ArweaveItemSigner(privateKey);
}
