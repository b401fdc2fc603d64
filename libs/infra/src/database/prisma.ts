import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';
import { CountingPgClient } from '../metrics/counting-pg-client.js';
import { parseDatabaseUrl } from './database-url.js';

export { Prisma, PrismaClient };
export type { User, Agent, Strategy, Subscription, ApiKey } from '../generated/prisma/client.js';

/** At most this many distinct statements are prepared (per process, so per connection too); others run unnamed. */
const MAX_PREPARED = 512;
/** Statements with more parameters than this run unnamed: their texts vary with list lengths (bulk inserts, IN lists). */
const MAX_PREPARED_PARAMS = 64;
const preparedNames = new Map<string, string>();

/**
 * The name a statement is prepared under on each connection, or '' to run it unnamed. A
 * named statement is parsed and planned once per connection instead of on every call: the pipeline
 * runs a dozen statements per message, and Postgres spent as much CPU parsing and planning them as
 * executing them. Names come from the SQL text, so one text always maps to one name.
 */
export function preparedStatementName(query: { sql: string; args: readonly unknown[] }): string {
  if (query.args.length > MAX_PREPARED_PARAMS) return '';
  let name = preparedNames.get(query.sql);
  if (name === undefined) {
    if (preparedNames.size >= MAX_PREPARED) return '';
    name = `prisma_${createHash('sha256').update(query.sql).digest('base64url').slice(0, 32)}`;
    preparedNames.set(query.sql, name);
  }
  return name;
}

/** A Prisma client on the pg driver adapter, bound to DATABASE_URL's schema, its statements prepared per connection. */
export function createPrismaClient(databaseUrl: string, poolSize = 10): PrismaClient {
  const target = parseDatabaseUrl(databaseUrl);
  const adapter = new PrismaPg(
    {
      connectionString: target.connectionString,
      max: poolSize,
      options: `-c search_path="${target.schema}"`,
      Client: CountingPgClient,
    },
    { schema: target.schema, statementNameGenerator: preparedStatementName },
  );
  return new PrismaClient({ adapter });
}
