import type { Redis } from 'ioredis';
import type { Heartbeats } from '../redis/heartbeats.js';
import { ownEvaluateQueue } from './evaluation-owners.js';
import { QUEUE_NAMES } from './queues.js';
import type { PipelineQueues } from './pipeline-queues.js';

/** How long one reaper may hold a dead queue before another may take it over (it died mid-drain). */
const REAP_LOCK_MS = 30_000;

/**
 * Clears the own evaluate queues (`cu-evaluate.<instance>`) of workers whose heartbeat has lapsed:
 * a SIGKILLed worker leaves its queue in Redis, with the jobs that waited there and the one it was
 * running. A queue seen without a live heartbeat on two reaps in a row (so a worker that has just
 * created its queue and not yet beaten is left alone) is drained by exactly one reaper (an NX key):
 * each of its processes is kicked again, to its new owner or the shared queue, and the queue is
 * obliterated. Kicks coalesce per process and evaluation is idempotent, so a kick too many costs
 * nothing; the sweeper's scan of processes behind their log remains the backstop.
 */
export class DeadQueueReaper {
  private suspects = new Set<string>();
  private readonly pattern: RegExp;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly heartbeats: Heartbeats,
    private readonly pipeline: PipelineQueues,
    /** Who holds a reap lock (this worker's instance id). */
    private readonly instance: string,
  ) {
    const escaped = `${prefix}:${QUEUE_NAMES.evaluate}.`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.pattern = new RegExp(`^${escaped}([A-Za-z0-9_-]+):`);
  }

  /** One pass; returns the queues it drained and how many processes each held. */
  async reap(): Promise<{ queue: string; processes: number }[]> {
    const queues = await this.ownQueues();
    const live = new Set((await this.heartbeats.list('worker')).map((b) => ownEvaluateQueue(b.instance)));
    const dead = queues.filter((q) => !live.has(q));
    const confirmed = dead.filter((q) => this.suspects.has(q));
    this.suspects = new Set(dead);
    const reaped: { queue: string; processes: number }[] = [];
    for (const queue of confirmed) {
      const lock = `${this.prefix}:reap:${queue}`;
      if ((await this.redis.set(lock, this.instance, 'PX', REAP_LOCK_MS, 'NX')) !== 'OK') continue;
      try {
        reaped.push({ queue, processes: (await this.pipeline.reclaimOwnQueue(queue)).length });
        this.suspects.delete(queue);
      } finally {
        if ((await this.redis.get(lock)) === this.instance) await this.redis.del(lock);
      }
    }
    return reaped;
  }

  /** The names of the own evaluate queues that have keys in Redis. */
  private async ownQueues(): Promise<string[]> {
    const names = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:${QUEUE_NAMES.evaluate}.*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const m = this.pattern.exec(key);
        if (m) names.add(`${QUEUE_NAMES.evaluate}.${m[1]}`);
      }
    } while (cursor !== '0');
    return [...names];
  }
}
