import { Redis, type RedisOptions } from 'ioredis';
import { countRedisCommands } from '../metrics/count-redis-commands.js';

/**
 * An ioredis connection. Workers block on Redis and must never give up on a command
 * (`maxRetriesPerRequest: null`); producers fail fast so an HTTP request answers instead of hanging.
 */
export function createRedis(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  countRedisCommands();
  const redis = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...extra,
  });
  redis.on('error', () => undefined); // reported through health checks and failing commands, not as crashes
  return redis;
}

/** Deletes every key under `prefix:` (a test or bench namespace), in SCAN pages. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  // Queues its first command until connected (a producer connection would refuse it).
  const redis = createRedis(url, 'producer', { enableOfflineQueue: true });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
