import type { Redis } from 'ioredis';

export type HeartbeatRole = 'worker' | 'cron';

export interface HeartbeatStatus {
  up: boolean;
  instances: number;
  lastSeenMs?: number;
}

/** Liveness of the worker and cron processes, as expiring Redis keys each instance refreshes. */
export class Heartbeats {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {}

  private key(role: HeartbeatRole, instance: string): string {
    return `${this.prefix}:heartbeat:${role}:${instance}`;
  }

  /** Records that `instance` of `role` is alive now, with what it runs. */
  async beat(role: HeartbeatRole, instance: string, info: Record<string, unknown> = {}): Promise<void> {
    await this.redis.set(this.key(role, instance), JSON.stringify({ at: Date.now(), ...info }), 'PX', this.timeoutMs);
  }

  /** Removes the instance's key (on clean shutdown). */
  async clear(role: HeartbeatRole, instance: string): Promise<void> {
    await this.redis.del(this.key(role, instance));
  }

  /** Whether at least one instance of `role` has beaten within the timeout. */
  async status(role: HeartbeatRole): Promise<HeartbeatStatus> {
    const times = (await this.list(role)).map((b) => b.at);
    if (times.length === 0) return { up: false, instances: 0 };
    return { up: true, instances: times.length, lastSeenMs: Math.max(...times) };
  }

  /** The live instances of `role` with what each said in its last beat (`at`: when, in ms since the epoch). */
  async list(role: HeartbeatRole): Promise<({ instance: string; at: number } & Record<string, unknown>)[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:heartbeat:${role}:*`, 'COUNT', 100);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const values = await this.redis.mget(keys);
    const start = this.key(role, '').length;
    return keys.flatMap((key, i) => {
      const value = values[i];
      return value === null ? [] : [{ ...(JSON.parse(value) as { at: number } & Record<string, unknown>), instance: key.slice(start) }];
    });
  }
}
