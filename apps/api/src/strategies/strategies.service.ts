import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { findBlueprint } from '@ao/agents';
import type pg from 'pg';
import { PRISMA, SQL_POOL, sqlOn, type PrismaClient, type Sql } from '@ao/infra';
import type { Principal } from '../auth/principal.js';
import { AuditLog } from '../agents/audit-log.js';
import { conflict, notFound, PlatformError } from '../common/platform-error.js';
import type { CreateStrategyDto, StrategyDto } from './strategies.dto.js';

type Row = { id: string; agentId: string; title: string; description: string; topics: string[]; price: string | null; token: string | null; publishedAt: Date; agent: { processId: string; blueprint: string; status: string; uptimeMs: bigint; runningSince: Date | null } };

/** Published agents with live figures read from the event projection (one grouped query per list). */
@Injectable()
export class StrategiesService {
  private readonly sql: Sql;
  private cache?: { version: string; data: Loaded };

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly audit: AuditLog,
    @Inject(SQL_POOL) pool: pg.Pool,
  ) {
    this.sql = sqlOn(pool);
  }

  async publish(actor: Principal, input: CreateStrategyDto): Promise<StrategyDto> {
    const agent = await this.prisma.agent.findUnique({ where: { id: input.agentId } });
    if (!agent) throw notFound('agent', input.agentId);
    const topics = new Set(findBlueprint(agent.blueprint)?.topics.map((t) => t.name) ?? []);
    const unknown = input.topics.filter((t) => !topics.has(t));
    if (unknown.length) throw new PlatformError(400, 'VALIDATION_FAILED', `Unknown topics for ${agent.blueprint}: ${unknown.join(', ')}`, { fields: unknown.map((t) => ({ field: 'topics', rule: 'blueprint-topic', message: `${t} is not a topic of ${agent.blueprint} (${[...topics].join(', ')})` })) });
    if ((input.price === undefined) !== (input.token === undefined)) throw new PlatformError(400, 'VALIDATION_FAILED', 'price and token go together', { fields: [{ field: input.price ? 'token' : 'price', rule: 'together', message: 'price and token go together' }] });
    if (agent.status === 'killed') throw conflict('AGENT_KILLED', 'A killed agent cannot be published', { agentId: agent.id });
    const mismatch = pricingMismatch(agent.config as Record<string, unknown>, input);
    if (mismatch) throw new PlatformError(400, 'VALIDATION_FAILED', mismatch, { fields: [{ field: 'price', rule: 'agent-pricing', message: mismatch }] });
    try {
      const strategy = await this.prisma.strategy.create({ data: { id: randomUUID(), agentId: agent.id, title: input.title, description: input.description, topics: [...new Set(input.topics)], price: input.price ?? null, token: input.token ?? null, publishedBy: actor.userId ?? actor.label } });
      await this.audit.record(actor, 'publish', agent.id, null, { strategyId: strategy.id, topics: strategy.topics, price: strategy.price });
      return (await this.views([strategy.id]))[0];
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw conflict('ALREADY_PUBLISHED', `Agent ${agent.id} is already published`, { agentId: agent.id });
      throw error;
    }
  }

  async unpublish(actor: Principal, id: string): Promise<void> {
    const strategy = await this.prisma.strategy.findUnique({ where: { id } });
    if (!strategy) throw notFound('strategy', id);
    await this.prisma.strategy.delete({ where: { id } });
    await this.audit.record(actor, 'unpublish', strategy.agentId, null, { strategyId: id });
  }

  list(): Promise<StrategyDto[]> {
    return this.views();
  }

  async get(id: string): Promise<StrategyDto> {
    const [view] = /^[0-9a-f-]{36}$/.test(id) ? await this.views([id]) : [];
    if (!view) throw notFound('strategy', id);
    return view;
  }

  /**
   * The full list is kept per data version (the newest projected event, the latest agent change,
   * the set of strategies: one cheap query); its figures are recomputed only when one moved, so they
   * are always those of the current projection. Uptime is computed at every answer.
   */
  private async views(ids?: string[]): Promise<StrategyDto[]> {
    if (ids) return render(await this.load(ids), Date.now());
    const [v] = await this.sql.$queryRaw<{ e: string | null; a: Date | null; s: string }[]>`
      SELECT (SELECT max(id) FROM agent_events)::text AS e, (SELECT max(updated_at) FROM agents) AS a,
             (SELECT count(*)::text || ':' || coalesce(max(published_at)::text, '') FROM strategies) AS s`;
    const version = `${v.e}|${v.a?.getTime()}|${v.s}`;
    if (this.cache?.version !== version) this.cache = { version, data: await this.load(undefined) };
    return render(this.cache.data, Date.now());
  }

  private async load(ids: string[] | undefined): Promise<Loaded> {
    const rows = (await this.prisma.strategy.findMany({
      where: ids ? { id: { in: ids } } : {},
      orderBy: { publishedAt: 'desc' },
      take: 500,
      include: { agent: { select: { processId: true, blueprint: true, status: true, uptimeMs: true, runningSince: true } } },
    })) as Row[];
    if (rows.length === 0) return { rows, counts: [], verdicts: [], latest: [] };
    const pids = rows.map((r) => r.agent.processId);
    const [counts, verdicts, latest] = await Promise.all([
      this.prisma.$queryRaw<Loaded['counts']>`
        SELECT process_id, topic, count(*) AS n, max(created_at) AS last_at FROM agent_events WHERE process_id = ANY(${pids}) GROUP BY process_id, topic`,
      this.prisma.$queryRaw<Loaded['verdicts']>`
        SELECT process_id, payload->>'verdict' AS verdict, count(*) AS n FROM agent_events
        WHERE process_id = ANY(${pids}) AND topic = 'verifications' AND payload ? 'verdict' GROUP BY process_id, payload->>'verdict'`,
      this.prisma.$queryRaw<Loaded['latest']>`
        SELECT DISTINCT ON (process_id, topic) process_id, topic, payload FROM agent_events
        WHERE process_id = ANY(${pids}) AND topic NOT IN ('verifications', 'duplicate-alerts', 'config') ORDER BY process_id, topic, id DESC`,
    ]);
    return { rows, counts, verdicts, latest };
  }
}

/**
 * A strategy's price must be the agent's own (its subscriptionToken / subscriptionPrice config),
 * since the agent decides what a payment buys and refunds any other: a priced strategy of a free
 * agent, or a free strategy offering the agent's paid topics, would sell what cannot be delivered.
 */
function pricingMismatch(config: Record<string, unknown>, input: { price?: string; token?: string; topics: string[] }): string | null {
  const token = typeof config.subscriptionToken === 'string' ? config.subscriptionToken : '';
  const price = typeof config.subscriptionPrice === 'string' ? config.subscriptionPrice : '0';
  const agentPriced = token !== '' && price !== '0';
  if (input.price !== undefined) {
    if (!agentPriced) return 'The agent sells no subscriptions (its subscriptionToken/subscriptionPrice config): publish it without a price';
    if (input.price !== price || input.token !== token) return `The price must be the agent's own: ${price} of token ${token}`;
    return null;
  }
  const paid = Array.isArray(config.paidTopics) ? (config.paidTopics as string[]) : [];
  const offered = input.topics.filter((t) => paid.includes(t));
  if (agentPriced && offered.length) return `The agent charges ${price} of token ${token} for ${offered.join(', ')}: publish it with that price`;
  return null;
}

interface Loaded {
  rows: Row[];
  counts: { process_id: string; topic: string; n: bigint; last_at: Date }[];
  verdicts: { process_id: string; verdict: string; n: bigint }[];
  latest: { process_id: string; topic: string; payload: unknown }[];
}

function render({ rows, counts, verdicts, latest }: Loaded, now: number): StrategyDto[] {
  return rows.map((r) => {
    const pid = r.agent.processId;
    const events: Record<string, number> = {};
    let lastEventAt: Date | null = null;
    for (const c of counts.filter((c) => c.process_id === pid)) {
      events[c.topic] = Number(c.n);
      if (!lastEventAt || c.last_at > lastEventAt) lastEventAt = c.last_at;
    }
    return {
      id: r.id,
      agentId: r.agentId,
      processId: pid,
      blueprint: r.agent.blueprint,
      status: r.agent.status,
      title: r.title,
      description: r.description,
      topics: r.topics,
      price: r.price,
      token: r.token,
      publishedAt: r.publishedAt.toISOString(),
      figures: {
        events,
        lastEventAt: lastEventAt?.toISOString() ?? null,
        uptimeMs: Number(r.agent.uptimeMs) + (r.agent.runningSince ? now - r.agent.runningSince.getTime() : 0),
        fills: events.fills ?? 0,
        verdicts: Object.fromEntries(verdicts.filter((v) => v.process_id === pid).map((v) => [v.verdict, Number(v.n)])),
        latest: Object.fromEntries(latest.filter((l) => l.process_id === pid).map((l) => [l.topic, l.payload])),
      },
    };
  });
}
