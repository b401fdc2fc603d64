import { constants, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import type { ItemSigner } from '@ao/core';
import { createItemSigner } from '../wallets/item-signer.js';
import type { LoadedKey } from '../wallets/wallets.js';

/**
 * The platform signer for cron ticks, made deterministic: the same tick content always gets the
 * same signature, hence the same item id, so a tick emitted twice (a retry after a crash between
 * the SU and our bookkeeping) is the same message and the SU keeps its first slot. Ed25519 is
 * deterministic already; for an Arweave RSA key this signs RSA-PSS with an empty salt, which every
 * verifier accepts (they detect the salt length).
 */
export function createTickSigner(key: LoadedKey): ItemSigner {
  const base = createItemSigner(key);
  if (key.kind === 'ed25519') return base;
  const privateKey = createPrivateKey({ key: key.jwk, format: 'jwk' });
  return {
    signatureType: base.signatureType,
    signatureLength: base.signatureLength,
    ownerLength: base.ownerLength,
    publicKey: base.publicKey,
    address: base.address,
    sign: (message) =>
      new Promise<Buffer>((resolve, reject) =>
        cryptoSign('sha256', message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 }, (error, signature) =>
          error ? reject(error) : resolve(signature),
        ),
      ),
  };
}
