import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const ACQUIRE = `if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then if KEYS[2] then redis.call('del', KEYS[2]) end return 1 else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** A held lock; `lost` turns true if the lock expired under us (then stop writing). */
export interface HeldLock {
  readonly lost: boolean;
  release(): Promise<void>;
}

/**
 * One evaluator per process across every worker process: a Redis lock with a token, renewed while
 * held, released only by its holder. Results are deterministic and committed idempotently, so even
 * a lock lost to a long GC pause cannot produce a different or duplicate result.
 */
export class ProcessLocks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = 10_000,
  ) {}

  /** Takes the lock if it is free; `clear`: a key deleted in the same step, only if the lock was taken. */
  async tryAcquire(name: string, clear?: string): Promise<HeldLock | undefined> {
    const key = `${this.prefix}:lock:${name}`;
    const token = randomUUID();
    const ok = await this.redis.eval(ACQUIRE, clear ? 2 : 1, key, ...(clear ? [clear] : []), token, String(this.ttlMs));
    if (ok !== 1) return undefined;
    let lost = false;
    const timer = setInterval(() => {
      this.redis
        .eval(EXTEND, 1, key, token, String(this.ttlMs))
        .then((r) => {
          if (r === 0) lost = true;
        })
        .catch(() => undefined);
    }, this.ttlMs / 3);
    timer.unref();
    return {
      get lost() {
        return lost;
      },
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
      },
    };
  }
}
