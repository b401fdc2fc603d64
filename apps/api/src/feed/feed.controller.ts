import { Controller, Get, Headers, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ENV, PRISMA, type Env, type PrismaClient } from '@ao/infra';
import { PlatformGuard } from '../auth/platform.guard.js';
import { Allow, Caller, type Principal } from '../auth/principal.js';
import { ApiErrors } from '../common/api-docs.js';
import { PlatformError } from '../common/platform-error.js';
import { FeedHub, feedFrame, type FeedEvent } from './feed-hub.js';

const CATCH_UP_PAGE = 1000;

/** The live feed: Server-Sent Events of the topics the caller subscribed to. */
@ApiTags('feed')
@ApiBearerAuth()
@ApiCookieAuth('ao_session')
@UseGuards(PlatformGuard)
@Controller('api/feed')
export class FeedController {
  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly hub: FeedHub,
  ) {}

  @Get()
  @Allow('user')
  @ApiOperation({
    summary: "Server-Sent Events of my subscriptions' topic events, each once, in order; resumable",
    description:
      'Each event: `id: <feed id>`, `event: <topic>`, `data: <JSON AgentEvent>`. Reconnect with `Last-Event-ID` (or `?lastEventId=`) to get every event after it; ' +
      'without one the stream starts at the newest event. A `: heartbeat` comment comes every FEED_HEARTBEAT_MS. Subscribing or unsubscribing takes effect on open streams.',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id of the last event received' })
  @ApiQuery({ name: 'lastEventId', required: false, description: 'Same as the header (for clients that cannot set it)' })
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, description: 'text/event-stream of `AgentEvent`s', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiErrors(400, 401, 429)
  async stream(@Caller() caller: Principal, @Headers('last-event-id') header: string | undefined, @Query('lastEventId') query: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const given = header ?? query;
    if (given !== undefined && !/^\d{1,19}$/.test(given)) throw new PlatformError(400, 'VALIDATION_FAILED', 'Last-Event-ID must be a feed event id', { fields: [{ field: 'Last-Event-ID', rule: 'integer', message: 'Last-Event-ID must be an integer' }] });
    const userId = caller.userId;
    let subscriptions = await this.subscriptionsOf(userId);
    // Listen before reading, so nothing committed meanwhile falls between the catch-up and live.
    let buffer: FeedEvent[] | undefined = [];
    let reloading: Promise<void> = Promise.resolve();
    let reloads = 0;
    let last = given !== undefined ? BigInt(given) : ((await this.prisma.agentEvent.aggregate({ _max: { id: true } }))._max.id ?? 0n);
    const wanted = (e: FeedEvent) => subscriptions.get(e.processId)?.has(e.topic) === true;
    const send = (e: FeedEvent) => {
      if (BigInt(e.id) <= last || !wanted(e)) return;
      last = BigInt(e.id);
      res.write(feedFrame(e));
    };
    const stop = this.hub.listen((notice) => {
      if (notice.kind === 'subscriptions') {
        if (notice.userId !== userId) return;
        reloads += 1;
        reloading = reloading.then(async () => void (subscriptions = await this.subscriptionsOf(userId))).finally(() => void (reloads -= 1));
        return;
      }
      if (buffer) buffer.push(...notice.events);
      // in order behind a reload of the subscriptions; at once (no promise per stream) otherwise
      else if (reloads > 0) void reloading.then(() => notice.events.forEach(send));
      else notice.events.forEach(send);
    });
    await this.hub.whenReady();
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: 2000\n: connected\n\n`);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), this.env.FEED_HEARTBEAT_MS);
    req.on('close', () => {
      clearInterval(heartbeat);
      stop();
    });
    try {
      for (let after = last; ; ) {
        const page = await this.catchUp(subscriptions, after);
        page.forEach(send);
        if (page.length < CATCH_UP_PAGE) break;
        after = BigInt(page[page.length - 1].id);
      }
      const pending = buffer.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      buffer = undefined;
      pending.forEach(send);
    } catch (error) {
      clearInterval(heartbeat);
      stop();
      res.end();
      throw error;
    }
  }

  private async catchUp(subscriptions: Map<string, Set<string>>, after: bigint): Promise<FeedEvent[]> {
    if (subscriptions.size === 0) return [];
    const processIds = [...subscriptions.keys()];
    const rows = await this.prisma.agentEvent.findMany({ where: { id: { gt: after }, processId: { in: processIds } }, orderBy: { id: 'asc' }, take: CATCH_UP_PAGE });
    const agents = new Map((await this.prisma.agent.findMany({ where: { processId: { in: processIds } }, select: { id: true, processId: true } })).map((a) => [a.processId, a.id]));
    return rows.map((r) => ({ id: String(r.id), agentId: agents.get(r.processId) ?? null, processId: r.processId, topic: r.topic, eventSeq: Number(r.eventSeq), messageId: r.messageId, nonce: Number(r.nonce), payload: r.payload, at: r.createdAt.toISOString() }));
  }

  /** processId → topics of the user's active subscriptions. */
  private async subscriptionsOf(userId: string | null): Promise<Map<string, Set<string>>> {
    if (!userId) return new Map();
    const rows = await this.prisma.subscription.findMany({ where: { userId, status: 'active' }, select: { processId: true, topics: true } });
    return new Map(rows.map((r) => [r.processId, new Set(r.topics)]));
  }
}
