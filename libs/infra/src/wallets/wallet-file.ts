import { generateKeyPairSync, createPrivateKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { mkdir, readFile, writeFile, link, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export type KeyKind = 'ed25519' | 'arweave';

/** A private key as stored on disk: a JWK (Arweave wallets are RSA JWKs; Ed25519 keys are OKP JWKs). */
export type WalletJwk = JsonWebKey & { kty: string };

/** A wallet file that exists but does not hold the expected key. */
export class WalletFileError extends Error {
  constructor(path: string, reason: string) {
    super(`Wallet file ${path}: ${reason}`);
    this.name = 'WalletFileError';
  }
}

/** Generates a new private key of the given kind as a JWK. RSA-4096 takes about a second. */
export function generateWalletJwk(kind: KeyKind): WalletJwk {
  if (kind === 'ed25519') {
    return generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as WalletJwk;
  }
  const jwk = generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 65537 }).privateKey.export({
    format: 'jwk',
  }) as WalletJwk;
  return jwk;
}

/** Checks that a JWK is a usable private key of the kind asked for. */
export function assertWalletJwk(jwk: unknown, kind: KeyKind, path: string): WalletJwk {
  if (typeof jwk !== 'object' || jwk === null) throw new WalletFileError(path, 'not a JSON object');
  const key = jwk as WalletJwk;
  const wanted = kind === 'ed25519' ? { kty: 'OKP', crv: 'Ed25519' } : { kty: 'RSA' };
  if (key.kty !== wanted.kty || ('crv' in wanted && key.crv !== wanted.crv)) {
    throw new WalletFileError(path, `expected a ${kind} private key JWK (kty ${wanted.kty}), found kty ${key.kty}`);
  }
  try {
    createPrivateKey({ key, format: 'jwk' });
  } catch (error) {
    throw new WalletFileError(path, `not a valid private key (${(error as Error).message})`);
  }
  if (kind === 'arweave' && Buffer.from(key.n ?? '', 'base64url').length !== 512) {
    throw new WalletFileError(path, 'Arweave wallets are 4096-bit RSA keys');
  }
  return key;
}

/**
 * Reads the key at `path`, or generates one and stores it there (mode 0600) when the file is missing.
 * Creation is atomic (write to a temp file, then hard-link), so processes starting together agree on one key.
 */
export async function loadOrCreateWallet(path: string, kind: KeyKind): Promise<{ jwk: WalletJwk; created: boolean }> {
  try {
    return { jwk: assertWalletJwk(JSON.parse(await readFile(path, 'utf8')), kind, path), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof SyntaxError) throw new WalletFileError(path, 'not valid JSON');
      throw error;
    }
  }
  await mkdir(dirname(path), { recursive: true });
  const jwk = generateWalletJwk(kind);
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(jwk), { mode: 0o600 });
  try {
    await link(temp, path);
    return { jwk, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { jwk: assertWalletJwk(JSON.parse(await readFile(path, 'utf8')), kind, path), created: false };
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
