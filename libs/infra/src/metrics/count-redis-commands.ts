import { Redis } from 'ioredis';
import { pipelineCounters } from './pipeline-counters.js';

let redisCounted = false;

/**
 * Counts every command this process sends to Redis (`redis_commands_total`), on all ioredis
 * connections, including those BullMQ duplicates for its blocking reads: the count sits on the
 * class's `sendCommand`, which every command and pipelined command passes through. (Apart from
 * the pg client's counter: evaluation threads load pg, never ioredis.)
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
