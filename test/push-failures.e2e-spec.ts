import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { createPrismaClient, type PrismaClient } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

// "Mixed" puts a raw entry without the ao protocol tags in the outbox (the SU refuses it for good),
// then Sends a proper message to the same peer.
const CODE = `
Handlers.add("Mixed", "Mixed", function(msg)
  local outbox = ao.outbox.Messages
  outbox[#outbox + 1] = { Target = msg.Peer, Data = "raw", Tags = { { name = "Action", value = "Pong" } } }
  Send({ Target = msg.Peer, Action = "Pong", Data = "from " .. ao.id })
end)
Handlers.add("Pong", "Pong", function(msg) Pongs = (Pongs or 0) + 1 end)
`;
const ADMIN = 'test-admin-token';

describe('MU: an outbox entry refused for good', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let prisma: PrismaClient;
  let owner: ItemSigner;
  const http = () => platform.http();
  const mu = (raw: Uint8Array) => platform.mu(raw);

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000', ADMIN_TOKEN: ADMIN });
    platform = await startTestPlatform(t.env);
    prisma = createPrismaClient(t.env.DATABASE_URL);
    owner = newUser();
  });

  afterAll(async () => {
    await Promise.all([platform?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  it('is recorded as a failed push with its reason, the other entry is delivered, and the crank finishes failed with the reason', async () => {
    const info = (await http().get('/info').expect(200)).body;
    const spawn = async () => {
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], CODE, info.modules['lua-5.4-aos']);
      await mu(p.raw).expect(202);
      await http().get(`/cu/result/${p.id}`).query({ 'process-id': p.id }).expect(200);
      return p.id;
    };
    const a = await spawn();
    const b = await spawn();
    const m = await messageItem(owner, a, [{ name: 'Action', value: 'Mixed' }, { name: 'Peer', value: b }]);
    await mu(m.raw).expect(202);
    const result = (await http().get(`/cu/result/${m.id}`).query({ 'process-id': a }).expect(200)).body;
    expect(result.Messages).toHaveLength(2);

    const slot = await prisma.assignment.findFirstOrThrow({ where: { processId: a, messageId: m.id } });
    const deadline = Date.now() + 20_000;
    let row = await prisma.result.findUniqueOrThrow({ where: { processId_nonce: { processId: a, nonce: slot.nonce } } });
    while (row.crankStatus === 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      row = await prisma.result.findUniqueOrThrow({ where: { processId_nonce: { processId: a, nonce: slot.nonce } } });
    }
    expect(row.crankStatus).toBe('failed');
    expect(row.error).toMatch(/^crank finished with 1 outbox entry refused: message 0: INVALID_PROTOCOL: Data-Protocol must be "ao"/);

    const pushes = await prisma.push.findMany({ where: { fromProcess: a, fromNonce: slot.nonce }, orderBy: { idx: 'asc' } });
    expect(pushes.map((p) => [p.kind, p.idx, p.status, p.target])).toEqual([
      ['message', 0, 'failed', b],
      ['message', 1, 'done', b],
    ]);
    expect(pushes[0].error).toMatch(/^INVALID_PROTOCOL: /);

    // The proper message arrived (once); the refused one never did.
    const pongs = async () =>
      (await http().post('/cu/dry-run').query({ 'process-id': b }).send({ Target: b, Owner: owner.address, Tags: [{ name: 'Action', value: 'Eval' }], Data: 'return tostring(Pongs)' }).expect(200))
        .body.Output.data;
    let seen = await pongs();
    while (seen !== '1' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await pongs();
    }
    expect(seen).toBe('1');
    expect(await prisma.assignment.count({ where: { processId: b } })).toBe(2);

    // The push job itself completed: the dead-letter list holds only genuinely failed jobs.
    const failed = (await http().get('/mu/failed').set('authorization', `Bearer ${ADMIN}`).expect(200)).body as { queue: string; data: unknown }[];
    expect(failed.filter((j) => JSON.stringify(j.data).includes(a))).toEqual([]);
  }, 120_000);
});
