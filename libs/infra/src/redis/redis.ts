import { Redis, type RedisOptions } from 'ioredis';

/**
 * An ioredis connection. Workers block on Redis and must never give up on a command
 * (`maxRetriesPerRequest: null`); producers fail fast so an HTTP request answers instead of hanging.
 */
export function createRedis(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
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
