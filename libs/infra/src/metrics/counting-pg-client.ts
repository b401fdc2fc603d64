import pg from 'pg';
import { pipelineCounters } from './pipeline-counters.js';

/**
 * A pg client that counts the statements it sends (`db_statements_total`). Every pool of the
 * platform (the shared SQL pool, Prisma's adapter, the evaluation threads' pools) is made of these,
 * so the count is the process's whole traffic to Postgres, statement by statement.
 */
export class CountingPgClient extends pg.Client {
  // pg's overloads (config or text, values, callback; Submittable) all go through here unchanged.
  override query(...args: unknown[]): never {
    pipelineCounters.add('db_statements_total');
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}
