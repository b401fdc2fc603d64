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

  /**
   * Counts one request for each subject and reads `alsoGet` (the credentials' revocation epoch) in
   * the same Redis round trip; the seconds to wait when one is over its limit, else 0.
   */
  async hit(counters: { subject: string; limit: number }[], alsoGet?: string): Promise<{ wait: number; limit: number; value: string | null }> {
    const windowMs = this.env.RATE_LIMIT_WINDOW_S * 1000;
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const multi = this.redis.multi();
    for (const c of counters) {
      const key = `${this.env.REDIS_PREFIX}:rate:${c.subject}:${window}`;
      multi.incr(key).pexpire(key, windowMs, 'NX');
    }
    if (alsoGet) multi.get(alsoGet);
    const replies = (await multi.exec()) ?? [];
    const value = alsoGet ? ((replies[2 * counters.length]?.[1] as string | null | undefined) ?? null) : null;
    const over = counters.find((c, i) => Number(replies[2 * i]?.[1]) > c.limit);
    if (!over) return { wait: 0, limit: 0, value };
    return { wait: Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000)), limit: over.limit, value };
  }
}
