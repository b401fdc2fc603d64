import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { agentsBehind, createRedis, ENV, evaluationChannel, PRISMA, projectAgentEvents, type Env, type PrismaClient } from '@ao/infra';
import { eventView } from '../agents/agent-reads.service.js';
import { FeedHub } from './feed-hub.js';

/**
 * Keeps the agent_events read model up with the pipeline: woken by the evaluator's announcement
 * of each commit (and by a periodic sweep, in case one was lost), it projects the agent's new
 * results and publishes what it inserted to the live feed. One projection per agent at a time here;
 * across API processes the projection's lock orders the writes.
 */
@Injectable()
export class EventProjector implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('projection');
  private subscriber?: Redis;
  private timer?: NodeJS.Timeout;
  private readonly agents = new Map<string, string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private closed = false;

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly hub: FeedHub,
  ) {}

  async onModuleInit(): Promise<void> {
    const channel = evaluationChannel(this.env.REDIS_PREFIX);
    this.subscriber = createRedis(this.env.REDIS_URL, 'worker', { lazyConnect: false });
    this.subscriber.subscribe(channel).catch(() => undefined);
    this.subscriber.on('message', (from: string, text: string) => {
      if (from !== channel) return;
      const processId = text.slice(0, text.indexOf(' '));
      if (this.agents.has(processId)) this.kick(processId);
    });
    this.timer = setInterval(() => void this.sweep(), this.env.PROJECTION_SWEEP_MS);
    this.timer.unref();
    void this.sweep();
  }

  /** Starts projecting an agent's events (the agents service calls it at spawn). */
  track(processId: string, agentId: string): void {
    this.agents.set(processId, agentId);
    this.kick(processId);
  }

  /** Projects one agent now; resolves when its committed results are projected. */
  kick(processId: string): Promise<void> {
    const current = this.running.get(processId);
    if (current) {
      this.again.add(processId);
      return current;
    }
    const run = (async () => {
      do {
        this.again.delete(processId);
        await this.project(processId);
      } while (this.again.has(processId) && !this.closed);
    })().finally(() => this.running.delete(processId));
    this.running.set(processId, run);
    return run;
  }

  private async project(processId: string): Promise<void> {
    try {
      const rows = await projectAgentEvents(this.prisma, processId);
      await this.hub.publishEvents(rows.map((r) => eventView(r, this.agents.get(processId) ?? null)));
    } catch (error) {
      if (!this.closed) this.logger.warn(`projecting ${processId}: ${(error as Error).message}`);
    }
  }

  private async sweep(): Promise<void> {
    if (this.closed) return;
    try {
      const known = await this.prisma.agent.findMany({ select: { id: true, processId: true } });
      for (const a of known) this.agents.set(a.processId, a.id);
      await Promise.all((await agentsBehind(this.prisma)).map((pid) => this.kick(pid)));
    } catch (error) {
      if (!this.closed) this.logger.warn(`projection sweep: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.subscriber?.disconnect();
    await Promise.all(this.running.values());
  }
}
