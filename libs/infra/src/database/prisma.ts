import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { parseDatabaseUrl } from './database-url.js';

export { PrismaClient };
export type { Prisma } from '../generated/prisma/client.js';

/** A Prisma client on the pg driver adapter, bound to DATABASE_URL's schema. */
export function createPrismaClient(databaseUrl: string, poolSize = 10): PrismaClient {
  const target = parseDatabaseUrl(databaseUrl);
  const adapter = new PrismaPg(
    {
      connectionString: target.connectionString,
      max: poolSize,
      options: `-c search_path="${target.schema}"`,
    },
    { schema: target.schema },
  );
  return new PrismaClient({ adapter });
}
