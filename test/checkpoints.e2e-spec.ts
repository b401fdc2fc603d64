import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTag, type ItemSigner } from '@ao/core';
import { ArweaveGateway, PrismaSchedulerStore, createComputeUnit, createPrismaClient, loadWallets, type PrismaClient } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';

const INTERVAL = 50;
const MESSAGES = 130;

const COUNTER = `
Count = 0
Seen = {}
Handlers.add("Inc", "Inc", function(msg)
  Count = Count + 1
  Seen[#Seen + 1] = msg.Id
  msg.reply({ Data = tostring(Count) })
end)
`;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('CU checkpoints: saved every interval, published, listed, restored after a restart', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let prisma: PrismaClient;
  let owner: ItemSigner;
  let pid: string;
  const http = () => platform.http();
  const mu = (raw: Uint8Array) => platform.mu(raw).expect(202);
  const result = async (messageId: string) => (await http().get(`/cu/result/${messageId}`).query({ 'process-id': pid }).expect(200)).body;

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000', CU_CHECKPOINT_INTERVAL: String(INTERVAL), CU_CHECKPOINT_KEEP: '3' });
    platform = await startTestPlatform(t.env);
    prisma = createPrismaClient(t.env.DATABASE_URL, 2);
    const info = (await http().get('/info').expect(200)).body;
    owner = newUser();
    const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], COUNTER, info.modules['lua-5.4-aos']);
    pid = p.id;
    await mu(p.raw);
    expect((await result(p.id)).Error).toBeUndefined();
    // 130 messages in bursts of 26: slots 1..130, so checkpoints at nonces 50 and 100.
    for (let sent = 0; sent < MESSAGES; sent += 26) {
      const items = await Promise.all(Array.from({ length: 26 }, () => messageItem(owner, pid, [{ name: 'Action', value: 'Inc' }])));
      await Promise.all(items.map((m) => mu(m.raw)));
      for (const m of items) expect((await result(m.id)).Error).toBeUndefined();
    }
  });

  afterAll(async () => {
    await Promise.all([platform?.close()]);
    await prisma?.$disconnect();
    await t?.cleanup();
  });

  it('lists the checkpoints newest first, each with its Checkpoint item id once published', async () => {
    const list = await until('both checkpoints listed and published', async () => {
      const body = (await http().get(`/cu/checkpoints/${pid}`).expect(200)).body as { nonce: number; gatewayId: string | null; size: number }[];
      return body.length >= 2 && body.every((c) => c.gatewayId) ? body : undefined;
    }, 60_000);
    expect(list).toBeDefined();
    expect(list!.map((c) => c.nonce)).toEqual([100, 50]);
    for (const c of list!) {
      expect(c).toMatchObject({ stateHash: expect.stringMatching(/^[0-9a-f]{64}$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), gatewayId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      expect(c.size).toBeGreaterThan(0);
      expect(typeof (c as unknown as { timestamp: number }).timestamp).toBe('number');
    }
  });

  it('publishes each checkpoint as an ao Checkpoint item the gateway serves, with the right tags and image', async () => {
    const list = (await http().get(`/cu/checkpoints/${pid}`).expect(200)).body as { nonce: number; gatewayId: string; sha256: string; stateHash: string; timestamp: number }[];
    const gateway = new ArweaveGateway(t.env.ARWEAVE_URL);
    const moduleId = (await prisma.process.findUnique({ where: { id: pid }, select: { module: true } }))!.module;
    for (const c of list) {
      const node = await until(`Checkpoint item ${c.gatewayId} indexed`, async () => {
        const data = await gateway.graphql<{ transactions: { edges: { node: { id: string; tags: { name: string; value: string }[] } }[] } }>(
          'query($ids: [ID!]) { transactions(ids: $ids) { edges { node { id tags { name value } } } } }',
          { ids: [c.gatewayId] },
        );
        return data.transactions.edges[0]?.node;
      }, 60_000);
      expect(node, `Checkpoint item ${c.gatewayId} indexed by the gateway`).toBeDefined();
      const tag = (name: string) => getTag(node!.tags, name);
      expect([tag('Data-Protocol'), tag('Variant'), tag('Type')]).toEqual(['ao', 'ao.TN.1', 'Checkpoint']);
      expect([tag('Process'), tag('Module'), tag('Nonce'), tag('Timestamp')]).toEqual([pid, moduleId, String(c.nonce), String(c.timestamp)]);
      expect([tag('SHA-256'), tag('Content-Encoding')]).toEqual([c.sha256, 'gzip']);
      const data = await until(`Checkpoint item ${c.gatewayId} served`, () => gateway.data(c.gatewayId), 60_000);
      expect(sha256(gunzipSync(data!))).toBe(c.sha256);
    }
  });

  it('serves the newest checkpoint image on GET /cu/state with Accept: application/octet-stream, JSON as before otherwise', async () => {
    const json = (await http().get(`/cu/state/${pid}`).expect(200)).body;
    expect(json).toEqual({ processId: pid, nonce: MESSAGES, stateHash: expect.stringMatching(/^[0-9a-f]{64}$/), algorithm: expect.any(String) });
    const res = await http()
      .get(`/cu/state/${pid}`)
      .set('accept', 'application/octet-stream')
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['x-nonce']).toBe('100');
    // supertest undoes the gzip Content-Encoding: the body is the image itself.
    expect(sha256(res.body as Buffer)).toBe(res.headers['x-sha-256']);
    expect(res.headers['x-state-hash']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers 404 {error, code, details} for an unknown process', async () => {
    const unknown = randomBytes(32).toString('base64url');
    const body = (await http().get(`/cu/checkpoints/${unknown}`).expect(404)).body;
    expect(body).toMatchObject({ code: 'NOT_FOUND', error: expect.any(String), details: { processId: unknown } });
    await http().get(`/cu/state/${unknown}`).set('accept', 'application/octet-stream').expect(404);
  });

  it('a restarted Compute Unit resumes the newest checkpoint, replays at most the interval, and serves the same state hash', async () => {
    const served = (await http().get(`/cu/state/${pid}`).expect(200)).body;
    const wallets = await loadWallets(t.env);
    const gateway = new ArweaveGateway(t.env.ARWEAVE_URL);
    const fresh = createComputeUnit(t.env, prisma, new PrismaSchedulerStore(prisma), gateway, wallets, { saveCheckpoints: false });
    try {
      const state = await fresh.stateHash(pid);
      expect(state).toEqual({ nonce: MESSAGES, hash: served.stateHash });
      expect(fresh.checkpointStats).toMatchObject({ restored: 1, rejected: 0, coldStarts: 1 });
      expect(fresh.checkpointStats!.lastColdStartReplayed).toBe(MESSAGES - 100);
      expect(fresh.checkpointStats!.lastColdStartReplayed).toBeLessThanOrEqual(INTERVAL);
    } finally {
      fresh.close();
    }
  });

  it('skips a corrupt checkpoint on a cold start, falls back to the older one, and counts it in /metrics', async () => {
    await prisma.$executeRaw`UPDATE cu_checkpoints SET bytes = substring(bytes from 1 for 100) WHERE process_id = ${pid} AND nonce = 100`;
    const wallets = await loadWallets(t.env);
    const fresh = createComputeUnit(t.env, prisma, new PrismaSchedulerStore(prisma), new ArweaveGateway(t.env.ARWEAVE_URL), wallets, { saveCheckpoints: false });
    try {
      const served = (await http().get(`/cu/state/${pid}`).expect(200)).body;
      expect((await fresh.stateHash(pid)).hash).toBe(served.stateHash);
      expect(fresh.checkpointStats).toMatchObject({ restored: 1, rejected: 1, lastColdStartReplayed: MESSAGES - 50 });
    } finally {
      fresh.close();
    }
    const metrics = (await http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/ao_cu_checkpoints\{state="rejected"\} 1/);
    expect(((await http().get(`/cu/checkpoints/${pid}`).expect(200)).body as { nonce: number }[]).map((c) => c.nonce)).toEqual([50]);
  });
});
