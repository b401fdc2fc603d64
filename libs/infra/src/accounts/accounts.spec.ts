import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdentityVault } from './identity-vault.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.js';

describe('user ao identities sealed under IDENTITY_KEY', () => {
  const vault = new IdentityVault(Buffer.alloc(32, 1).toString('base64'));

  it('opens to a signer whose address is the identity created', () => {
    const { address, sealed } = vault.create();
    expect(vault.signer(sealed).address).toBe(address);
    expect(address).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses another key and any tampered byte (AES-GCM authenticates)', () => {
    const { sealed } = vault.create();
    expect(() => new IdentityVault('ff'.repeat(32)).signer(sealed)).toThrow();
    for (const at of [0, 12, 28, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 1;
      expect(() => vault.signer(bad)).toThrow();
    }
  });

  it('never stores the key in the clear', () => {
    const { sealed } = vault.create();
    const der = vault.signer(sealed);
    expect(sealed.includes(Buffer.from(der.publicKey))).toBe(false);
    expect(createHash('sha256').update(sealed).digest('hex')).not.toBe(createHash('sha256').update(vault.create().sealed).digest('hex'));
  });
});

describe('password hashes', () => {
  it('are salted scrypt strings that verify only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterz', a)).toBe(false);
    expect(await verifyPassword('anything', DUMMY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword('anything', 'md5$abc')).toBe(false);
  });
});
