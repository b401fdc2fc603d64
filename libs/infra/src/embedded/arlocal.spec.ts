import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Arweave from 'arweave';
import { createDataItem, Ed25519ItemSigner } from '@ao/core';
import { ArweaveGateway } from '../arweave/gateway.js';
import { createRequire } from 'node:module';
import { Server, createServer } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { startArlocal, useNativeEd25519 } from './arlocal.js';
import { startGatewayProcess } from './gateway-process.js';

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
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const dir = await mkdtemp(join(tmpdir(), 'arlocal-wal-'));
    const before = listeningServers();
    const gateway = await startArlocal({ port, dataDir: dir, mineIntervalMs: 0 });
    try {
      expect((await fetch(`${gateway.url}/info`)).ok).toBe(true);
      // The proxy and arlocal's own server, both on loopback only (none on every interface).
      const servers = listeningServers().filter((s) => !before.includes(s));
      expect(servers.length).toBe(2);
      for (const s of servers) expect((s.address() as { address: string }).address).toBe('127.0.0.1');
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

/** The net servers of this process that are listening now. */
function listeningServers(): Server[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h): h is Server => h instanceof Server && h.listening);
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });

describe('arlocal, as patched (patches/arlocal+1.1.66.patch)', () => {
  it.each([
    ['verifies each item: the valid ones are indexed, one whose data was altered after signing is skipped', true],
    ['with verifyItems false (ARLOCAL_VERIFY_ITEMS=0), indexes every item unverified: a lying gateway for tests', false],
  ])('%s', async (_name, verifyItems) => {
    const servesAltered = !verifyItems;
    const dir = await mkdtemp(join(tmpdir(), 'arlocal-verify-'));
    // In a child process, as the platform and the e2e tests run it (the built entry: `npm run build`).
    const arlocal = await startGatewayProcess({ port: await freePort(), dataDir: dir, mineIntervalMs: 0, verifyItems });
    try {
      const jwk = await Arweave.init({}).wallets.generate();
      const gateway = new ArweaveGateway(arlocal.url, jwk);
      await gateway.mint(await gateway.uploadAddress(), String(10n ** 18n));
      const signer = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
      const items = await Promise.all(Array.from({ length: 3 }, (_, i) => createDataItem({ data: `item-${i}`, tags: [{ name: 'N', value: String(i) }] }, signer)));
      // The middle item's data changed after signing: its id (the signature's hash) is unchanged,
      // its signature no longer verifies. arbundles, an independent implementation, agrees.
      const altered = Uint8Array.from(items[1].raw);
      altered[altered.length - 1] ^= 0x01;
      const { DataItem } = createRequire(import.meta.url)('arbundles') as { DataItem: { verify(raw: Buffer): Promise<boolean> } };
      expect(await DataItem.verify(Buffer.from(altered))).toBe(false);
      await gateway.postBundle([items[0].raw, altered, items[2].raw]);
      await gateway.mine();
      const found = await gateway.existingIds(items.map((item) => item.id));
      expect(found.has(items[0].id) && found.has(items[2].id)).toBe(true);
      expect(found.has(items[1].id)).toBe(servesAltered);
      // The bundle itself is mined either way: a later block does not verify it again.
      const bundles = await gateway.graphql<{ transactions: { edges: unknown[] } }>('query { transactions(tags: [{ name: "Bundle-Format", values: ["binary"] }]) { edges { cursor } } }', {});
      expect(bundles.transactions.edges).toHaveLength(1);
    } finally {
      await arlocal.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("indexes a mined bundle's items and their tags in one SQLite transaction, a few multi-row inserts, not a statement per row", async () => {
    const { default: loaded } = (await import('arlocal')) as { default: unknown };
    type Knex = { on(event: 'query', listener: (q: { sql: string }) => void): void };
    const Ctor = ((loaded as { default?: unknown }).default ?? loaded) as new (port: number, showLogs: boolean, dbPath: string, persist: boolean) => {
      start(): Promise<void>;
      stop(): Promise<void>;
      connection: Knex;
    };
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const dir = await mkdtemp(join(tmpdir(), 'arlocal-bundle-'));
    const arlocal = new Ctor(port, false, dir, false);
    await arlocal.start();
    try {
      const jwk = await Arweave.init({}).wallets.generate();
      const gateway = new ArweaveGateway(`http://127.0.0.1:${port}`, jwk);
      await gateway.mint(await gateway.uploadAddress(), String(10n ** 18n));
      const signer = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
      const items = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          createDataItem({ data: `item ${i}`, tags: Array.from({ length: 10 }, (__, t) => ({ name: `Tag-${t}`, value: `value ${i}.${t}` })) }, signer),
        ),
      );
      const statements: string[] = [];
      arlocal.connection.on('query', (q) => statements.push(q.sql));
      await gateway.postBundle(items.map((item) => item.raw));
      // POST /tx stores the bundle's own transaction row (and its chunk); its items wait for the mine.
      expect(statements.filter((sql) => /^insert into `transactions`/i.test(sql))).toHaveLength(1);
      expect((await gateway.existingIds(items.map((item) => item.id))).size).toBe(0);
      statements.length = 0;
      await gateway.mine();

      // 20 items and 200 tags: one statement per row would be 220 inserts, each its own transaction.
      const inserts = statements.filter((sql) => /^insert into `(transactions|tags)`/i.test(sql));
      expect(inserts.map((sql) => /^insert into `(\w+)`/i.exec(sql)![1])).toEqual(['transactions', 'tags']);
      expect(statements.filter((sql) => /^begin/i.test(sql))).toHaveLength(1);
      // Every item is found, with its tags in order.
      expect((await gateway.existingIds(items.map((item) => item.id))).size).toBe(20);
      const found = await gateway.graphql<{ transactions: { edges: { node: { tags: { name: string; value: string }[] } }[] } }>(
        'query($ids: [ID!]) { transactions(ids: $ids) { edges { node { tags { name value } } } } }',
        { ids: [items[7].id] },
      );
      expect(found.transactions.edges[0].node.tags).toEqual(Array.from({ length: 10 }, (_, t) => ({ name: `Tag-${t}`, value: `value 7.${t}` })));
    } finally {
      await arlocal.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ArweaveGateway look-ups against arlocal', () => {
  it('tells which bundles are mined and which items are indexed, many GraphQL pages to a request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arlocal-lookups-'));
    // Mined only when the test asks (0 would mine back to back).
    const arlocal = await startGatewayProcess({ port: await freePort(), dataDir: dir, mineIntervalMs: 3_600_000 });
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    try {
      const jwk = await Arweave.init({}).wallets.generate();
      const gateway = new ArweaveGateway(arlocal.url, jwk);
      await gateway.mint(await gateway.uploadAddress(), String(10n ** 18n));
      const signer = new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
      const items = await Promise.all(Array.from({ length: 230 }, (_, i) => createDataItem({ data: `item ${i}`, tags: [{ name: 'N', value: String(i) }] }, signer)));
      const ids = items.map((item) => item.id);
      const bundleId = await gateway.postBundle(items.map((item) => item.raw));
      const unknown = 'u'.repeat(43);
      // Posted, not mined: neither the bundle nor its items are answered.
      expect(await gateway.minedIds([bundleId, unknown])).toEqual(new Set());
      expect((await gateway.existingIds(ids)).size).toBe(0);
      await gateway.mine();
      expect(await gateway.minedIds([bundleId, unknown])).toEqual(new Set([bundleId]));
      // 231 ids are 3 pages of 100; 2 pages to a request: 2 requests.
      fetchSpy.mockClear();
      const found = await gateway.existingIds([...ids, unknown], 2);
      expect(found).toEqual(new Set(ids));
      expect(fetchSpy.mock.calls.filter(([url]) => String(url).endsWith('/graphql'))).toHaveLength(2);
      // The default, 10 pages to a request: one.
      fetchSpy.mockClear();
      expect((await gateway.existingIds([...ids, unknown])).size).toBe(230);
      expect(fetchSpy).toHaveBeenCalledTimes(1);
    } finally {
      fetchSpy.mockRestore();
      await arlocal.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
