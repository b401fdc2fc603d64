import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { createPrismaClient, type PrismaClient } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';
import { lastLine, runVerifyCli } from './support/verify-helpers.js';

const CODE = `Handlers.add("Size", "Size", function(msg) msg.reply({ Data = tostring(#msg.Data) }) end)`;

describe('uploads: large items reach the gateway', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let prisma: PrismaClient;
  let owner: ItemSigner;
  const http = () => platform.http();

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000' });
    platform = await startTestPlatform(t.env);
    prisma = createPrismaClient(t.env.DATABASE_URL);
    owner = newUser();
  });

  afterAll(async () => {
    await Promise.all([platform?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  const outbox = (ids: string[]) =>
    prisma.$queryRaw<{ item_id: string; status: string; last_error: string | null; attempts: number }[]>`
      SELECT item_id, status, last_error, attempts FROM upload_outbox WHERE item_id = ANY(${ids}::text[])`;

  it('a 5 MB message is uploaded (in chunks), confirmed, and its process verifies', async () => {
    const info = (await http().get('/info').expect(200)).body;
    const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], CODE, info.modules['lua-5.4-aos']);
    await platform.mu(p.raw).expect(202);
    await platform.result(p.id, p.id);
    // Repetitive data: most of its 256 KiB chunks are byte-for-byte equal, which unpatched arlocal
    // (1.1.66) took for duplicates and dropped, so the item was never indexed (patches/README.md).
    // A random prefix keeps the item's id fresh from run to run.
    const data = Buffer.concat([Buffer.from(randomBytes(24).toString('base64')), Buffer.alloc(5 * 1024 * 1024, 'a')]);
    const big = await messageItem(owner, p.id, [{ name: 'Action', value: 'Size' }], data);
    expect(big.raw.byteLength).toBeGreaterThan(5 * 1024 * 1024);
    await platform.mu(big.raw).expect(202);
    expect((await platform.result(p.id, big.id)).Messages[0].Data).toBe(String(data.length));


    await until(
      'the 5 MB item confirmed on the gateway',
      async () => {
        const rows = await outbox([big.id]);
        if (rows[0]?.status === 'failed') throw new Error(`upload failed: ${rows[0].last_error}`);
        return rows[0]?.status === 'confirmed';
      },
      300_000,
      500,
    );
    const assignments = await prisma.$queryRaw<{ id: string }[]>`SELECT id FROM assignments WHERE process_id = ${p.id}`;
    await until('every item of the log confirmed', async () => (await outbox([p.id, big.id, ...assignments.map((a) => a.id)])).every((r) => r.status === 'confirmed'), 300_000, 500);
    const cli = await runVerifyCli([p.id, '--gateway', inject('arweaveUrl')], 300_000);
    expect(lastLine(cli.stdout), cli.stderr).toMatch(new RegExp(`^verified ${p.id}: 2 messages`));
  }, 900_000);
});
