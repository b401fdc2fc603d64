import { cp, mkdtemp, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationError, defaultMigrationsDir, dropSchema, migrate, parseDatabaseUrl } from '@ao/infra';
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
