import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { ArweaveGateway, MigrationError, OutboxDrainer, createPrismaClient, defaultMigrationsDir, dropSchema, loadOrCreateWallet, migrate, parseDatabaseUrl } from '@ao/infra';
import { messageItem, newUser } from './support/items.js';
import { BASE_DATABASE_URL } from './support/test-env.js';

const schemaUrl = () => `${BASE_DATABASE_URL}?schema=m_${Math.random().toString(36).slice(2, 10)}`;

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const target = parseDatabaseUrl(url);
  const client = new pg.Client({ connectionString: target.connectionString, options: `-c search_path=${target.schema}` });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('migration runner', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('applies every migration to a fresh schema once, recording Prisma-compatible history', async () => {
    const url = schemaUrl();
    cleanups.push(() => dropSchema(url));
    const names = (await readdir(defaultMigrationsDir())).sort();
    const first = await migrate(url, defaultMigrationsDir());
    expect(first).toEqual({ applied: names, alreadyApplied: 0 });
    const history = await query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      url,
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(history.map((h) => h.migration_name)).toEqual(names);
    for (const row of history) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
    }
    const tables = await query<{ table_name: string }>(
      url,
      'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1',
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['_prisma_migrations', 'assignments', 'data_items', 'processes', 'upload_outbox']),
    );
    expect(await migrate(url, defaultMigrationsDir())).toEqual({ applied: [], alreadyApplied: names.length });
  });

  it('lets concurrent starts race: each migration is applied exactly once', async () => {
    const url = schemaUrl();
    cleanups.push(() => dropSchema(url));
    const reports = await Promise.all([1, 2, 3, 4].map(() => migrate(url, defaultMigrationsDir())));
    const applied = reports.flatMap((r) => r.applied);
    expect(applied).toEqual((await readdir(defaultMigrationsDir())).sort());
    const [{ count }] = await query<{ count: string }>(url, 'SELECT count(*) FROM "_prisma_migrations"');
    expect(Number(count)).toBe(applied.length);
  });

  it('rolls back a failing migration whole and refuses edited or unknown history', async () => {
    const url = schemaUrl();
    cleanups.push(() => dropSchema(url));
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await cp(defaultMigrationsDir(), dir, { recursive: true });
    await migrate(url, dir);

    // A failing migration leaves nothing behind: neither its first statement nor a history row.
    await mkdir(join(dir, '29990101000000_broken'));
    await writeFile(join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;');
    await expect(migrate(url, dir)).rejects.toThrow(/29990101000000_broken failed/);
    expect(await query(url, "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'half_done'")).toEqual([]);
    expect(await query(url, `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`)).toEqual([]);
    await rm(join(dir, '29990101000000_broken'), { recursive: true });

    // An applied migration edited afterwards is refused.
    const first = (await readdir(dir)).sort()[0];
    await writeFile(join(dir, first, 'migration.sql'), '-- edited\n', { flag: 'a' });
    await expect(migrate(url, dir)).rejects.toThrow(MigrationError);
    await expect(migrate(url, dir)).rejects.toThrow(/modified after it was applied/);

    // A database migrated by newer code is refused, not silently used.
    await expect(migrate(url, join(dir, 'does-not-exist'))).rejects.toThrow();
    const empty = await mkdtemp(join(tmpdir(), 'migrations-empty-'));
    cleanups.push(() => rm(empty, { recursive: true, force: true }));
    await expect(migrate(url, empty)).rejects.toThrow(/does not know/);
  });

  it('keeps a populated upload outbox from before its partial indexes: pending items are still drained', async () => {
    const url = schemaUrl();
    cleanups.push(() => dropSchema(url));
    const OUTBOX = '20261209020000_upload_outbox_partial_indexes';
    const older = await mkdtemp(join(tmpdir(), 'migrations-older-'));
    cleanups.push(() => rm(older, { recursive: true, force: true }));
    await cp(defaultMigrationsDir(), older, { recursive: true });
    for (const name of await readdir(older)) if (name >= OUTBOX) await rm(join(older, name), { recursive: true });
    await migrate(url, older);

    // The outbox as the older version left it: an item waiting (its bytes stored), one posted, one
    // confirmed, one dead letter.
    const item = await messageItem(newUser(), randomBytes(32).toString('base64url'));
    await query(url, `INSERT INTO data_items (id, owner_address, signature_type, dedupe_key, tags, raw) VALUES ($1, $2, $3, $1, '[]'::jsonb, $4)`, [
      item.id, item.ownerAddress, item.signatureType, Buffer.from(item.raw),
    ]);
    await query(url, `INSERT INTO upload_outbox (item_id, process_id, nonce, status, bundle_id, attempts, last_error) VALUES
      ($1, NULL, NULL, 'pending', NULL, 1, 'gateway down'), ('u'||repeat('x', 42), 'p', 1, 'uploaded', 'b'||repeat('x', 42), 1, NULL),
      ('c'||repeat('x', 42), 'p', 0, 'confirmed', 'b'||repeat('y', 42), 1, NULL), ('f'||repeat('x', 42), 'p', 2, 'failed', NULL, 10, 'refused')`, [item.id]);

    await migrate(url, defaultMigrationsDir());
    const rows = await query<{ item_id: string; status: string; attempts: number; last_error: string | null }>(url, 'SELECT item_id, status, attempts, last_error FROM upload_outbox ORDER BY id');
    expect(rows.map((r) => [r.item_id[0], r.status, r.attempts])).toEqual([[item.id[0], 'pending', 1], ['u', 'uploaded', 1], ['c', 'confirmed', 1], ['f', 'failed', 10]]);
    const indexes = await query<{ indexname: string }>(url, `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'upload_outbox' ORDER BY 1`);
    expect(indexes.map((i) => i.indexname)).toEqual(['upload_outbox_failed_idx', 'upload_outbox_pending_idx', 'upload_outbox_pkey', 'upload_outbox_uploaded_bundle_idx']);

    // The pending item is claimed and posted by today's drainer (the dead letter stays one).
    const prisma = createPrismaClient(url);
    try {
      const upload = await loadOrCreateWallet(join(inject('walletDir'), 'arweave-wallet.json'), 'arweave');
      const drainer = new OutboxDrainer(prisma, new ArweaveGateway(inject('arweaveUrl'), upload.jwk as unknown as JWKInterface));
      const report = await drainer.drain(5);
      expect(report).toMatchObject({ uploaded: 1, failed: 0, deadLetters: [] });
      const after = await query<{ status: string; bundle_id: string | null }>(url, 'SELECT status, bundle_id FROM upload_outbox WHERE item_id = $1', [item.id]);
      expect(after[0].status).toMatch(/^(uploaded|confirmed)$/);
      expect(after[0].bundle_id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await query(url, `SELECT status FROM upload_outbox WHERE status = 'failed'`)).toHaveLength(1);
      expect(await query(url, 'SELECT id FROM upload_leases')).toEqual([]);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('creates the database when it does not exist', async () => {
    const database = `ao_mig_${Math.random().toString(36).slice(2, 10)}`;
    const url = BASE_DATABASE_URL.replace(/\/[^/]*$/, `/${database}`);
    cleanups.push(async () => {
      await query(BASE_DATABASE_URL.replace(/\/[^/]*$/, '/postgres'), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    });
    const report = await migrate(url, defaultMigrationsDir());
    expect(report.applied.length).toBeGreaterThan(0);
    expect(await query(url, 'SELECT 1 AS one FROM processes LIMIT 1')).toEqual([]);
  });
});
