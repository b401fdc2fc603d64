import { generateKeyPairSync, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { useNativeEd25519 } from './arlocal.js';

type Verify = (pk: string | Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>;

describe('useNativeEd25519', () => {
  it("replaces the Ed25519 check of arlocal's arbundles with one that accepts exactly the valid signatures", async () => {
    const curve = (createRequire(createRequire(import.meta.url).resolve('arlocal'))('arbundles/src/signing/keys/curve25519') as { default: { verify: Verify } }).default;
    const before = curve.verify;
    useNativeEd25519();
    expect(curve.verify).not.toBe(before);

    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pk = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const message = Buffer.from('an ANS-104 signature payload');
    const signature = sign(null, message, privateKey);
    // the pure-JavaScript check throws on some malformed signatures instead of answering false
    for (const check of [before, curve.verify]) {
      const verify: Verify = (...args) => check(...args).catch(() => false);
      expect(await verify(pk, message, signature)).toBe(true);
      expect(await verify(pk.toString('base64url'), message, signature)).toBe(true);
      expect(await verify(pk, Buffer.from('an ANS-104 signature payloaD'), signature)).toBe(false);
      const flipped = Buffer.from(signature);
      flipped[10] ^= 1;
      expect(await verify(pk, message, flipped)).toBe(false);
    }
    expect(await curve.verify(Buffer.alloc(5), message, signature)).toBe(false);
  });
});

describe('startArlocal', () => {
  it('keeps its SQLite index in write-ahead-log mode (not a disk sync per indexed tag)', async () => {
    const { mkdtemp, open, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startArlocal } = await import('./arlocal.js');
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const dir = await mkdtemp(join(tmpdir(), 'arlocal-wal-'));
    const gateway = await startArlocal({ port, dataDir: dir, mineIntervalMs: 0 });
    try {
      expect((await fetch(`${gateway.url}/info`)).ok).toBe(true);
      // SQLite's header: bytes 18 and 19 (file format write/read versions) are 2 in WAL mode, 1 with a rollback journal.
      const file = await open(join(dir, 'db.sqlite'), 'r');
      const header = Buffer.alloc(20);
      await file.read(header, 0, 20, 0);
      await file.close();
      expect([header[18], header[19]]).toEqual([2, 2]);
    } finally {
      await gateway.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
