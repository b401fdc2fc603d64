import type { Redis } from 'ioredis';
import { setBounded } from '../bounded-map.js';
import { createRedis } from './redis.js';

/** The channel evaluators announce progress on: `<processId> <nonce>` lines after each commit. */
export function evaluationChannel(prefix: string): string {
  return `${prefix}:evaluated`;
}

/** Announces that a process is evaluated up to a nonce (a hint: listeners still read Postgres). */
export async function announceEvaluated(redis: Redis, prefix: string, processId: string, nonce: number): Promise<void> {
  await redis.publish(evaluationChannel(prefix), `${processId} ${nonce}`);
}

/** Announces many processes at once: one PUBLISH, a `<processId> <nonce>` line each. */
export async function announceEvaluatedMany(redis: Redis, prefix: string, heads: { processId: string; nonce: number }[]): Promise<void> {
  if (heads.length === 0) return;
  await redis.publish(evaluationChannel(prefix), heads.map((h) => `${h.processId} ${h.nonce}`).join('\n'));
}

/** Processes whose last announced nonce is remembered (about 100 bytes each). */
const HEADS_REMEMBERED = 100_000;

interface Waiter {
  nonce: number;
  wake(): void;
}

/**
 * A standing interest in one process reaching a nonce. Taken before the caller reads the database,
 * so an announcement that lands between that read and the wait is not lost: `next` then returns at
 * once.
 */
export interface EvaluationWatch {
  /** Resolves when an announcement reached the nonce (since the watch began or the last `next`), or after `ms`. */
  next(ms: number): Promise<void>;
  /**
   * Sets the nonce to wait for, once the caller knows it: a watch can start at 0 (any announcement
   * for the process) before the read that finds the nonce. An announcement it already took stays taken.
   */
  until(nonce: number): void;
  close(): void;
}

/**
 * Lets request handlers sleep until a process is evaluated far enough, instead of polling
 * Postgres: one Redis subscription for the whole API process, fanned out to waiters by process.
 * Announcements are hints; callers re-check the database when woken and also wake on their own
 * after a fallback delay, so a lost message or a Redis outage only slows an answer down.
 */
export class EvaluationEvents {
  private readonly subscriber: Redis;
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** The highest nonce announced per process since this subscription began (bounded, oldest out first). */
  private readonly heads = new Map<string, number>();
  private readonly ready: Promise<unknown>;

  constructor(url: string, prefix: string) {
    this.subscriber = createRedis(url, 'worker', { lazyConnect: false });
    const channel = evaluationChannel(prefix);
    this.ready = this.subscriber.subscribe(channel).catch(() => undefined);
    this.subscriber.on('message', (from: string, text: string) => {
      if (from !== channel) return;
      // One line per process (a batch's announcement carries many).
      for (const line of text.split('\n')) this.heard(line);
    });
  }

  private heard(line: string): void {
    const space = line.indexOf(' ');
    const processId = line.slice(0, space);
    const nonce = Number(line.slice(space + 1));
    const known = this.heads.get(processId);
    if (known === undefined || nonce > known) setBounded(this.heads, processId, nonce, HEADS_REMEMBERED);
    const set = this.waiters.get(processId);
    if (!set) return;
    for (const w of set) if (nonce >= w.nonce) w.wake();
  }

  /**
   * The highest nonce announced for `processId` since this process subscribed, if any (a hint, like
   * the announcements: absent or behind when one was lost).
   */
  announced(processId: string): number | undefined {
    return this.heads.get(processId);
  }

  /** Starts watching `processId` for an announcement at or past `nonce`; close it when done. */
  watch(processId: string, nonce: number): EvaluationWatch {
    let set = this.waiters.get(processId);
    if (!set) this.waiters.set(processId, (set = new Set()));
    let fired = false;
    let pending: (() => void) | undefined;
    const waiter: Waiter = {
      nonce,
      wake: () => {
        fired = true;
        pending?.();
      },
    };
    set.add(waiter);
    return {
      next: async (ms) => {
        await this.ready;
        if (!fired) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => pending?.(), ms);
            pending = () => {
              clearTimeout(timer);
              pending = undefined;
              resolve();
            };
          });
        }
        fired = false;
      },
      until: (nonce) => {
        waiter.nonce = nonce;
      },
      close: () => {
        waiter.wake();
        set.delete(waiter);
        if (set.size === 0 && this.waiters.get(processId) === set) this.waiters.delete(processId);
      },
    };
  }

  /** Resolves when `processId` is announced evaluated up to `nonce`, or after `ms`, whichever is first. */
  async wait(processId: string, nonce: number, ms: number): Promise<void> {
    const watch = this.watch(processId, nonce);
    try {
      await watch.next(ms);
    } finally {
      watch.close();
    }
  }

  close(): void {
    for (const set of this.waiters.values()) for (const w of [...set]) w.wake();
    this.subscriber.disconnect();
  }
}
