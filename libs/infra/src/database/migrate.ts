import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { parseDatabaseUrl, withDatabase } from './database-url.js';

/** One migration folder in Prisma's layout: `prisma/migrations/<name>/migration.sql`. */
export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

/** A migration history that this code cannot safely continue from. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** Reads the migration folders in name order, with the sha256 checksums Prisma records. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

const HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/**
 * Applies pending migrations the way `prisma migrate deploy` does (same history table, same
 * checksums), without Prisma's schema-engine binary, which this platform cannot download.
 * Creates the database and schema when missing; an advisory lock lets several processes start at once.
 */
export async function migrate(databaseUrl: string, migrationsDir: string): Promise<MigrationReport> {
  const target = parseDatabaseUrl(databaseUrl);
  await ensureDatabase(target.connectionString, target.database);
  const migrations = await readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`ao-migrations:${target.schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${q(target.schema)}`);
      await client.query(`SET search_path TO ${q(target.schema)}`);
      await client.query(HISTORY_TABLE);
      const { rows } = await client.query<{
        migration_name: string;
        checksum: string;
        finished_at: Date | null;
        rolled_back_at: Date | null;
      }>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at');
      const history = new Map(rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
      const known = new Set(migrations.map((m) => m.name));
      for (const row of history.values()) {
        if (!known.has(row.migration_name)) {
          throw new MigrationError(
            `The database has migration ${row.migration_name}, which this code does not know: it was migrated by a newer version.`,
          );
        }
        if (row.finished_at === null) {
          throw new MigrationError(
            `Migration ${row.migration_name} failed earlier and was left half-applied; fix the database, then mark it rolled back.`,
          );
        }
      }
      const applied: string[] = [];
      for (const migration of migrations) {
        const done = history.get(migration.name);
        if (done) {
          if (done.checksum !== migration.checksum) {
            throw new MigrationError(`Migration ${migration.name} was modified after it was applied (checksum differs).`);
          }
          continue;
        }
        await client.query('BEGIN');
        try {
          const id = randomUUID();
          await client.query(
            'INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)',
            [id, migration.checksum, migration.name],
          );
          await client.query(migration.sql);
          await client.query(
            'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
            [id],
          );
          await client.query('COMMIT');
          applied.push(migration.name);
        } catch (error) {
          await client.query('ROLLBACK');
          throw new MigrationError(`Migration ${migration.name} failed: ${(error as Error).message}`);
        }
      }
      return { applied, alreadyApplied: migrations.length - applied.length };
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`ao-migrations:${target.schema}`]);
    }
  } finally {
    await client.end();
  }
}

async function ensureDatabase(connectionString: string, database: string): Promise<void> {
  const probe = new pg.Client({ connectionString });
  try {
    await probe.connect();
    await probe.end();
    return;
  } catch (error) {
    await probe.end().catch(() => undefined);
    if ((error as { code?: string }).code !== '3D000') throw error; // invalid_catalog_name: database is missing
  }
  const admin = new pg.Client({ connectionString: withDatabase(connectionString, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // duplicate_database: a concurrent start made it
  } finally {
    await admin.end();
  }
}

/** Drops a schema and everything in it (tests use a schema each). */
export async function dropSchema(databaseUrl: string): Promise<void> {
  const target = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${target.schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** `prisma/migrations` of this checkout, found from this file (same depth in src/ and dist/). */
export function defaultMigrationsDir(): string {
  return new URL('../../../../prisma/migrations', import.meta.url).pathname;
}
