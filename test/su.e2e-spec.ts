import { createHash, randomBytes } from 'node:crypto';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EthereumSigner, createData } from 'arbundles';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArweaveItemSigner, createDataItem, parseDataItem, verifyDataItem, type ItemSigner } from '@ao/core';
import { ArweaveGateway, createPrismaClient, loadOrCreateWallet, type PrismaClient } from '@ao/infra';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { messageItem, newUser, processItem } from './support/items.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const b64 = (s: string) => Buffer.from(s, 'base64url');

/** An item with more tags than ANS-104 allows, signed with arbundles directly (our own builder refuses to make one). */
async function rawWithTags(signer: ItemSigner, target: string, count: number): Promise<Buffer> {
  const tags = [{ name: 'Data-Protocol', value: 'ao' }, { name: 'Type', value: 'Message' }, ...Array.from({ length: count }, (_, i) => ({ name: `T${i}`, value: 'v' }))];
  const item = createData('x', signer as never, { target, tags });
  await item.sign(signer as never);
  return item.getRaw();
}
const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const tag = (tags: { name: string; value: string }[], name: string) => tags.find((t) => t.name === name)?.value;

describe('Scheduler Unit', () => {
  let t: TestEnv;
  let api: INestApplication;
  let worker: INestApplicationContext;
  let prisma: PrismaClient;
  let su: string;
  let user: ItemSigner;
  const http = () => request(api.getHttpServer());
  const post = (raw: Uint8Array) => http().post('/su/').set('content-type', 'application/octet-stream').send(Buffer.from(raw));

  beforeAll(async () => {
    t = await createTestEnv({ MAX_ITEM_BYTES: String(256 * 1024) });
    api = await createApiApp(t.env, { logger: false });
    await api.init();
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.env), { logger: false });
    await worker.init();
    prisma = createPrismaClient(t.env.DATABASE_URL);
    su = (await http().get('/su/').expect(200)).body.address;
    user = newUser();
  });

  afterAll(async () => {
    await Promise.all([api?.close(), worker?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  const spawn = async (signer = user) => {
    const item = await processItem(signer, su);
    const res = await post(item.raw).expect(200);
    return { item, res };
  };

  it('answers its identity and the gateway height', async () => {
    const id = await http().get('/su/').expect(200);
    expect(id.body).toEqual({ timestamp: expect.any(Number), address: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const ts = await http().get('/su/timestamp').expect(200);
    expect(ts.body).toEqual({ timestamp: expect.any(Number), block_height: expect.any(Number) });
  });

  it('creates a process at slot 0 and answers it in the reference shapes', async () => {
    const { item, res } = await spawn();
    expect(res.body).toMatchObject({ id: item.id, nonce: 0, timestamp: expect.any(Number) });
    const p = await http().get(`/su/processes/${item.id}`).expect(200);
    expect(p.body).toMatchObject({ process_id: item.id, owner: { address: user.address }, data: 'process', latest: { nonce: 0 } });
    expect(tag(p.body.assignment.tags, 'Nonce')).toBe('0');
    expect(tag(p.body.assignment.tags, 'Hash-Chain')).toBe(sha(b64(item.id)).toString('base64url'));
    // Posting the same Process again answers the same slot.
    expect((await post(item.raw).expect(200)).body).toMatchObject({ id: item.id, nonce: 0, timestamp: res.body.timestamp });
  });

  // Before the bulk tests, so its uploads do not queue behind thousands of others on the shared gateway.
  it('puts every message and assignment on the gateway, then marks them confirmed', async () => {
    const { item: proc } = await spawn();
    const msgs = await Promise.all(Array.from({ length: 20 }, (_, i) => messageItem(user, proc.id, [{ name: 'N', value: String(i) }], `m${i}`)));
    for (const m of msgs) await post(m.raw).expect(200);
    const deadline = Date.now() + 150_000;
    let status: any;
    while (Date.now() < deadline) {
      status = (await http().get(`/su/processes/${proc.id}`).expect(200)).body.uploads;
      if (status.confirmed === 42) break; // 21 slots × (message + assignment)
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(status).toMatchObject({ pending: 0, confirmed: 42, last_confirmed_nonce: 20 });
    const gateway = new ArweaveGateway(t.env.ARWEAVE_URL);
    expect((await gateway.existingIds(msgs.map((m) => m.id))).size).toBe(msgs.length);
    for (const m of msgs.slice(0, 5)) {
      expect((await gateway.data(m.id))?.toString()).toBe(m.data.toString());
    }
    const assignment = await prisma.assignment.findFirstOrThrow({ where: { processId: proc.id, nonce: 20 } });
    expect(await gateway.hasItem(assignment.id)).toBe(true);
    // The Scheduler-Location this SU published is on the gateway, owned by the SU wallet (the
    // e2e files share one gateway and wallet, so another file's item may be the newest one).
    const location = (await prisma.platformState.findUniqueOrThrow({ where: { key: 'scheduler-location' } })).value as { id: string };
    const found = await gateway.graphql<{ transactions: { edges: { node: { owner: { address: string }; tags: { name: string; value: string }[] } }[] } }>(
      `query($ids: [ID!], $owners: [String!]) { transactions(ids: $ids, owners: $owners, tags: [{name: "Type", values: ["Scheduler-Location"]}]) { edges { node { owner { address } tags { name value } } } } }`,
      { ids: [location.id], owners: [su] },
    );
    expect(found.transactions.edges).toHaveLength(1);
    expect(tag(found.transactions.edges[0].node.tags, 'Url')).toBe('http://127.0.0.1:3999/su');
    // The backlog is in the metrics too.
    const metrics = await http().get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(Number(/^ao_upload_outbox\{status="confirmed"\} (\d+)$/m.exec(metrics.text)?.[1])).toBeGreaterThanOrEqual(42);
    expect(metrics.text).toMatch(/^ao_queue_jobs\{queue="su-upload",state="waiting"\} \d+$/m);
    expect(Number(/^ao_processes (\d+)$/m.exec(metrics.text)?.[1])).toBe(await prisma.process.count());
  });

  it('orders 1,000 messages from 20 concurrent clients into nonces 1..1000 with a valid hash chain', async () => {
    const { item: proc } = await spawn();
    const clients = Array.from({ length: 20 }, () => newUser());
    const answers = await Promise.all(
      clients.map(async (client, c) => {
        const got: number[] = [];
        for (let i = 0; i < 50; i += 1) {
          const m = await messageItem(client, proc.id, [{ name: 'Action', value: 'Ping' }], `c${c}-m${i}`);
          got.push((await post(m.raw).expect(200)).body.nonce);
        }
        return got;
      }),
    );
    expect(answers.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));

    // Read the whole log back through the paged API and recompute the chain independently.
    const edges: { node: { message: any; assignment: any }; cursor: string }[] = [];
    let from: string | undefined;
    for (;;) {
      const page = await http().get(`/su/${proc.id}`).query({ limit: 100, ...(from ? { from } : {}) }).expect(200);
      edges.push(...page.body.edges);
      if (!page.body.page_info.has_next_page) break;
      from = page.body.edges.at(-1).cursor;
    }
    expect(edges).toHaveLength(1001);
    let prev: { id: string; chain: string } | undefined;
    edges.forEach(({ node }, nonce) => {
      const a = node.assignment;
      expect(tag(a.tags, 'Nonce')).toBe(String(nonce));
      expect(tag(a.tags, 'Process')).toBe(proc.id);
      expect(a.owner.address).toBe(su);
      const expected = prev ? sha(b64(prev.id), b64(prev.chain)) : sha(b64(proc.id));
      expect(tag(a.tags, 'Hash-Chain')).toBe(expected.toString('base64url'));
      expect(b64(a.id)).toEqual(sha(b64(a.signature)));
      if (nonce > 0) expect(tag(a.tags, 'Message')).toBe(node.message.id);
      prev = { id: a.id, chain: tag(a.tags, 'Hash-Chain')! };
    });
    const stamps = edges.map((e) => Number(tag(e.node.assignment.tags, 'Timestamp')));
    expect(stamps.every((s, i) => i === 0 || s > stamps[i - 1])).toBe(true);
    // Every stored assignment's signature verifies.
    const rows = await prisma.assignment.findMany({ where: { processId: proc.id }, orderBy: { nonce: 'asc' } });
    for (const row of rows.slice(0, 50)) expect(await verifyDataItem(parseDataItem(row.raw))).toBe(true);
  });

  it('gives one assignment to the same item posted 100 times at once', async () => {
    const { item: proc } = await spawn();
    const m = await messageItem(user, proc.id, [{ name: 'Action', value: 'Once' }]);
    const answers = await Promise.all(Array.from({ length: 100 }, () => post(m.raw)));
    for (const a of answers) expect(a.status).toBe(200);
    const bodies = answers.map((a) => a.body);
    expect(new Set(bodies.map((b) => `${b.id}:${b.nonce}:${b.timestamp}`)).size).toBe(1);
    expect(bodies[0]).toMatchObject({ id: m.id, nonce: 1 });
    expect(await prisma.assignment.count({ where: { processId: proc.id } })).toBe(2);
  });

  it('dedupes pushed messages by deep hash even when signed by another key', async () => {
    const { item: proc } = await spawn();
    const tags = [{ name: 'From-Process', value: 'P'.repeat(43) }, { name: 'Action', value: 'Credit-Notice' }];
    const first = await messageItem(newUser(), proc.id, tags, 'same', 'anchor-1'.padEnd(32, '-'));
    const second = await messageItem(newUser(), proc.id, tags, 'same', 'anchor-1'.padEnd(32, '-'));
    expect(second.id).not.toBe(first.id);
    const a = (await post(first.raw).expect(200)).body;
    const b = (await post(second.raw).expect(200)).body;
    expect(b).toMatchObject({ id: first.id, nonce: a.nonce });
    // A different anchor is a different push.
    const third = await messageItem(newUser(), proc.id, tags, 'same', 'anchor-2'.padEnd(32, '-'));
    expect((await post(third.raw).expect(200)).body.nonce).toBe(a.nonce + 1);
  });

  it('assigns an existing message to another process', async () => {
    const { item: p1 } = await spawn();
    const { item: p2 } = await spawn();
    const m = await messageItem(user, p1.id, [{ name: 'Action', value: 'Shared' }]);
    await post(m.raw).expect(200);
    const res = await http().post('/su/').query({ 'process-id': p2.id, assign: m.id, exclude: 'Data' }).expect(200);
    expect(res.body).toMatchObject({ message: m.id, nonce: 1 });
    const node = (await http().get(`/su/${m.id}`).query({ 'process-id': p2.id }).expect(200)).body;
    expect(node.message.id).toBe(m.id);
    expect(tag(node.assignment.tags, 'Exclude')).toBe('Data');
    expect(tag(node.assignment.tags, 'Process')).toBe(p2.id);
    expect((await http().get(`/su/${p2.id}/latest`).expect(200)).body.message.id).toBe(m.id);
    // Unknown message (not here, not on the gateway) → 404-class error, nothing stored.
    await http().post('/su/').query({ 'process-id': p2.id, assign: 'x'.repeat(43) }).expect(404);
    // Exclude names only fields the CU can leave out (docs/limits.md): anything else is refused, nothing stored.
    const refused = await http().post('/su/').query({ 'process-id': p2.id, assign: m.id, exclude: 'Data,Owner' }).expect(400);
    expect(refused.body).toMatchObject({ code: 'INVALID_REQUEST', error: 'exclude may name Data, Anchor, Tags, Signature only, not Owner' });
    expect((await http().get(`/su/${p2.id}/latest`).expect(200)).body.message.id).toBe(m.id);
  });

  it('accepts Arweave (type 1) and Ethereum (type 3) signed messages', async () => {
    const { item: proc } = await spawn();
    const { jwk } = await loadOrCreateWallet(t.env.ARWEAVE_WALLET_PATH, 'arweave');
    const rsa = await messageItem(new ArweaveItemSigner(jwk as any), proc.id);
    expect((await post(rsa.raw).expect(200)).body.nonce).toBe(1);
    const eth = await createDataItem(
      { data: 'eth', target: proc.id, tags: [{ name: 'Data-Protocol', value: 'ao' }, { name: 'Variant', value: 'ao.TN.1' }, { name: 'Type', value: 'Message' }] },
      new EthereumSigner(randomBytes(32).toString('hex')) as unknown as ItemSigner,
    );
    expect((await post(eth.raw).expect(200)).body.nonce).toBe(2);
    const node = (await http().get(`/su/${eth.id}`).query({ 'process-id': proc.id }).expect(200)).body;
    expect(node.message.owner.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });

  it('round-trips binary data', async () => {
    const { item: proc } = await spawn();
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, ...randomBytes(64)]);
    const m = await messageItem(user, proc.id, [], bytes);
    await post(m.raw).expect(200);
    const node = (await http().get(`/su/${m.id}`).query({ 'process-id': proc.id }).expect(200)).body;
    expect(node.message.data_encoding).toBe('base64url');
    expect(Buffer.from(node.message.data, 'base64url')).toEqual(bytes);
  });

  // POST /su/ and /mu/ with a plain raw item are answered in front of express (IngressFastPath); a
  // query string the DTO allows sends the same request through express and Nest instead.
  it('answers raw items on the ingress fast path exactly as through Nest', async () => {
    const proc = (await spawn()).item;
    const viaNest = (path: string, raw: Uint8Array) => http().post(path).query({ exclude: '' }).set('content-type', 'application/octet-stream').send(Buffer.from(raw));
    const viaFastPath = (path: string, raw: Uint8Array) => http().post(path).set('content-type', 'application/octet-stream').send(Buffer.from(raw));
    const shape = (res: request.Response) => ({ status: res.status, type: res.headers['content-type'], keys: Object.keys(res.body).sort() });

    const [fast, nest] = [await viaFastPath('/su/', (await messageItem(user, proc.id)).raw), await viaNest('/su/', (await messageItem(user, proc.id)).raw)];
    expect(shape(fast)).toEqual(shape(nest));
    expect(fast.body.nonce).toBe(nest.body.nonce - 1);

    const badSignature = Buffer.from((await messageItem(user, proc.id)).raw);
    badSignature[badSignature.length - 1] ^= 1;
    const refused = [randomBytes(300), badSignature, Buffer.alloc(0), (await messageItem(user, randomBytes(32).toString('base64url'))).raw];
    for (const path of ['/su/', '/su', '/mu/']) {
      for (const raw of refused) {
        const [a, b] = [await viaFastPath(path, raw), await viaNest(path, raw)];
        expect({ status: a.status, type: a.headers['content-type'], body: a.body }).toEqual({ status: b.status, type: b.headers['content-type'], body: b.body });
        expect(a.status).toBe(400);
      }
    }
  });

  describe('bad input is refused before anything is stored', () => {
    let proc: { id: string; raw: Buffer };
    beforeAll(async () => {
      proc = (await spawn()).item;
    });
    const cases: [string, () => Promise<Buffer>, number, string][] = [
      ['garbage', async () => Buffer.concat([Buffer.from([2, 0]), randomBytes(300)]), 400, 'INVALID_ITEM'],
      ['an unknown signature type', async () => Buffer.concat([Buffer.from([99, 0]), randomBytes(300)]), 400, 'UNSUPPORTED_SIGNATURE'],
      ['a truncated item', async () => (await messageItem(user, proc.id)).raw.subarray(0, 200), 400, 'INVALID_ITEM'],
      ['a bad signature', async () => { const raw = Buffer.from((await messageItem(user, proc.id)).raw); raw[raw.length - 1] ^= 1; return raw; }, 400, 'BAD_SIGNATURE'],
      ['a wrong Data-Protocol', async () => (await createDataItem({ data: 'x', target: proc.id, tags: [{ name: 'Data-Protocol', value: 'nope' }, { name: 'Type', value: 'Message' }] }, user)).raw, 400, 'INVALID_PROTOCOL'],
      ['a wrong Type', async () => (await createDataItem({ data: 'x', target: proc.id, tags: [{ name: 'Data-Protocol', value: 'ao' }, { name: 'Type', value: 'Checkpoint' }] }, user)).raw, 400, 'INVALID_PROTOCOL'],
      ['a message to an unknown process', async () => (await messageItem(user, randomBytes(32).toString('base64url'))).raw, 400, 'UNKNOWN_PROCESS'],
      ['a process without Module', async () => (await createDataItem({ data: 'x', tags: [{ name: 'Data-Protocol', value: 'ao' }, { name: 'Type', value: 'Process' }, { name: 'Scheduler', value: su }] }, user)).raw, 400, 'INVALID_PROTOCOL'],
      ['a process for another scheduler', async () => (await processItem(user, 'o'.repeat(43))).raw, 400, 'INVALID_PROTOCOL'],
      ['more than 128 tags', async () => rawWithTags(user, proc.id, 130), 400, 'INVALID_TAGS'],
      ['an empty body', async () => Buffer.alloc(0), 400, 'INVALID_ITEM'],
    ];
    it.each(cases)('%s', async (_name, make, status, code) => {
      const before = await Promise.all([prisma.dataItem.count(), prisma.assignment.count(), prisma.uploadOutbox.count()]);
      const res = await post(await make());
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ code, error: expect.any(String) });
      expect(await Promise.all([prisma.dataItem.count(), prisma.assignment.count(), prisma.uploadOutbox.count()])).toEqual(before);
    });
    it('an item over MAX_ITEM_BYTES', async () => {
      const res = await post((await messageItem(user, proc.id, [], randomBytes(300 * 1024))).raw);
      expect(res.status).toBe(413);
      expect(res.body.code).toMatch(/TOO_LARGE/);
    });
  });

});
