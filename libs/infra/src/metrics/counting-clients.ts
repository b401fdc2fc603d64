import { Redis } from 'ioredis';
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

let redisCounted = false;

/**
 * Counts every command this process sends to Redis (`redis_commands_total`), on all ioredis
 * connections, including those BullMQ duplicates for its blocking reads: the count sits on the
 * class's `sendCommand`, which every command and pipelined command passes through.
 */
export function countRedisCommands(): void {
  if (redisCounted) return;
  redisCounted = true;
  const proto = Redis.prototype as unknown as { sendCommand(...args: unknown[]): unknown };
  const send = proto.sendCommand;
  proto.sendCommand = function countedSendCommand(this: unknown, ...args: unknown[]) {
    pipelineCounters.add('redis_commands_total');
    return send.apply(this, args);
  };
}
