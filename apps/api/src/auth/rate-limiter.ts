import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ENV, REDIS, type Env } from '@ao/infra';

/**
 * Fixed-window request counters in Redis (shared by every API process): one per client IP and one
 * per credential (API key or session). A window's count is INCR'd, its expiry set on first use.
 */
@Injectable()
export class RateLimiter {
  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Counts one request for `subject`; the seconds to wait when over `limit`, else 0. */
  async hit(subject: string, limit: number): Promise<number> {
    const windowMs = this.env.RATE_LIMIT_WINDOW_S * 1000;
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const key = `${this.env.REDIS_PREFIX}:rate:${subject}:${window}`;
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, windowMs, 'NX').exec()) as [[unknown, number], unknown];
    if (count <= limit) return 0;
    return Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
  }
}
