/** The parts of DATABASE_URL the adapters need: a plain connection string and the Postgres schema. */
export interface DatabaseTarget {
  /** Connection string without Prisma's `schema` parameter (pg does not know it). */
  connectionString: string;
  /** The Postgres schema (Prisma's `?schema=`), `public` by default. */
  schema: string;
  database: string;
}

/** Splits a Prisma-style DATABASE_URL into what `pg` and the migration runner need. */
export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`DATABASE_URL: schema "${schema}" must be a plain identifier`);
  }
  return { connectionString: url.toString(), schema, database: decodeURIComponent(url.pathname.slice(1)) || 'postgres' };
}

/** The same server with another database (used to create the target database when it is missing). */
export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
