import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '@ao/infra';
import { messageItem, newUser } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';

const ADMIN = 'test-admin-token';
const LEASE_S = 3;

describe('uploads: dead letters and leases', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let prisma: PrismaClient;
  const http = () => platform.http();

  beforeAll(async () => {
    t = await createTestEnv({ UPLOAD_MAX_ATTEMPTS: '2', UPLOAD_LEASE_SECONDS: String(LEASE_S), ADMIN_TOKEN: ADMIN });
    platform = await startTestPlatform(t.env);
    prisma = createPrismaClient(t.env.DATABASE_URL);
  });

  afterAll(async () => {
    await Promise.all([platform?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  const row = async (id: string) =>
    (await prisma.$queryRaw<{ status: string; last_error: string | null; attempts: number }[]>`SELECT status, last_error, attempts FROM upload_outbox WHERE item_id = ${id}`)[0];

  it('an upload that keeps failing becomes a dead letter with its reason, in /mu/failed and /metrics, and can be retried', async () => {
    // Bytes that are no data item: no gateway can take them, however often they are posted.
    const id = randomBytes(32).toString('base64url');
    await prisma.$executeRaw`INSERT INTO data_items (id, owner_address, signature_type, dedupe_key, tags, raw) VALUES (${id}, 'x', 1, ${id}, '[]'::jsonb, ${randomBytes(100)})`;
    await prisma.$executeRaw`INSERT INTO upload_outbox (item_id) VALUES (${id})`;
    await until('the upload dead-lettered', async () => (await row(id))?.status === 'failed', 60_000, 200);
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 2, last_error: expect.any(String) });

    const failed = (await http().get('/mu/failed').set('authorization', `Bearer ${ADMIN}`).expect(200)).body;
    expect(failed).toContainEqual(expect.objectContaining({ queue: 'upload-outbox', id, reason: (await row(id)).last_error, attempts: 2 }));
    const metrics = (await http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/ao_upload_outbox\{status="failed"\} 1\b/);

    // A retry puts it back in line (and it fails for good again: its bytes are still not an item).
    await http().post(`/mu/failed/upload-outbox/${id}/retry`).set('authorization', `Bearer ${ADMIN}`).expect(202);
    await until('the retried upload attempted again', async () => (await row(id))?.attempts >= 1 && (await row(id))?.status === 'failed', 60_000, 200);
    await http().post(`/mu/failed/upload-outbox/${'A'.repeat(43)}/retry`).set('authorization', `Bearer ${ADMIN}`).expect(404);
  });

  it("a killed worker's claim is taken over once its lease runs out", async () => {
    const item = await messageItem(newUser(), randomBytes(32).toString('base64url'));
    await prisma.$executeRaw`INSERT INTO data_items (id, owner_address, signature_type, dedupe_key, tags, raw)
      VALUES (${item.id}, ${item.ownerAddress}, ${item.signatureType}, ${item.id}, '[]'::jsonb, ${Buffer.from(item.raw)})`;
    // Claimed as a drainer claims rows (a lease row holding it), by a drainer that then died: nothing
    // renews the lease, and nothing else may take the item until it lapses.
    const [{ id: outboxId }] = await prisma.$queryRaw<{ id: bigint }[]>`
      WITH o AS (INSERT INTO upload_outbox (item_id) VALUES (${item.id}) RETURNING id),
           l AS (INSERT INTO upload_leases (item_ids, lease_until) SELECT ARRAY[id], now() + make_interval(secs => ${LEASE_S}) FROM o)
      SELECT id FROM o`;
    // While the lease is live the item stays pending (the live worker drains every second meanwhile).
    const held = async () =>
      (await prisma.$queryRaw<{ status: string; live: boolean }[]>`
        SELECT o.status, EXISTS (SELECT 1 FROM upload_leases l WHERE o.id = ANY(l.item_ids) AND l.lease_until > now()) AS live
        FROM upload_outbox o WHERE o.id = ${outboxId}`)[0];
    for (let seen = await held(); seen.live; seen = await held()) {
      expect(seen.status).toBe('pending');
      await new Promise((r) => setTimeout(r, 200));
    }
    await until('the abandoned upload posted by the live worker', async () => ['uploaded', 'confirmed'].includes((await row(item.id))?.status), 60_000, 200);
    // The dead drainer's lease was deleted by the claim that took over, the live drainer's once done.
    await until('no lease holds the item', async () => (await prisma.$queryRaw<unknown[]>`SELECT 1 FROM upload_leases WHERE ${outboxId} = ANY(item_ids)`).length === 0, 30_000, 200);
  });

  it('the admin guard wants the Bearer scheme', async () => {
    await http().get('/mu/failed').set('authorization', ADMIN).expect(401);
    await http().get('/mu/failed').set('authorization', `Basic ${ADMIN}`).expect(401);
    await http().get('/mu/failed').set('authorization', `bearer ${ADMIN}`).expect(200);
  });
});
