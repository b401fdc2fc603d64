import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createRedis, ENV, REDIS, type Env } from '@ao/infra';

/** An event as the feed sends it (agent_events row, ids as strings). */
export interface FeedEvent {
  id: string;
  agentId: string | null;
  processId: string;
  topic: string;
  eventSeq: number;
  messageId: string;
  nonce: number;
  payload: unknown;
  at: string;
}

type Notice = { kind: 'events'; events: FeedEvent[] } | { kind: 'subscriptions'; userId: string };

const frames = new WeakMap<FeedEvent, Buffer>();

/**
 * An event's SSE frame (`id`, `event`, `data`), built once per event object: a live event is
 * written to every open stream that wants it, and serialising it per stream was most of the
 * fan-out's work.
 */
export function feedFrame(e: FeedEvent): Buffer {
  let frame = frames.get(e);
  if (!frame) {
    frame = Buffer.from(`id: ${e.id}\nevent: ${e.topic}\ndata: ${JSON.stringify(e)}\n\n`);
    frames.set(e, frame);
  }
  return frame;
}

/**
 * Fans projected events out to the live feed connections of every API process: the projector
 * publishes each committed batch once on Redis, each API process receives it on one subscription
 * and hands it to its connections in memory (which filter by their subscriptions). Also carries
 * "a user's subscriptions changed", so open feeds pick up new topics.
 */
@Injectable()
export class FeedHub implements OnModuleInit, OnApplicationShutdown {
  private subscriber?: Redis;
  private readonly listeners = new Set<(notice: Notice) => void>();
  private ready: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  private get channel(): string {
    return `${this.env.REDIS_PREFIX}:feed`;
  }

  onModuleInit(): void {
    this.subscriber = createRedis(this.env.REDIS_URL, 'worker', { lazyConnect: false });
    this.ready = this.subscriber.subscribe(this.channel).catch(() => undefined);
    this.subscriber.on('message', (from: string, text: string) => {
      if (from !== this.channel) return;
      const notice = JSON.parse(text) as Notice;
      for (const listener of this.listeners) listener(notice);
    });
  }

  /** Resolves once the Redis subscription is in place (live notices are then received). */
  whenReady(): Promise<unknown> {
    return this.ready;
  }

  listen(listener: (notice: Notice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publishEvents(events: FeedEvent[]): Promise<void> {
    if (events.length) await this.redis.publish(this.channel, JSON.stringify({ kind: 'events', events } satisfies Notice));
  }

  async subscriptionsChanged(userId: string): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify({ kind: 'subscriptions', userId } satisfies Notice)).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.listeners.clear();
    this.subscriber?.disconnect();
  }
}
