import { Inject, Injectable } from '@nestjs/common';
import { ENV, PRISMA, type Agent, type Env, type PrismaClient } from '@ao/infra';
import { AgentMessenger } from './agent-messenger.js';
import { parseData } from './agents.service.js';

type TagList = { name: string; value: string }[];
const tagOf = (tags: unknown, name: string) => (tags as TagList | null)?.find((t) => t.name === name)?.value ?? null;

/** What an agent did, read from the units' own tables (results, log, pushes) and the event projection. */
@Injectable()
export class AgentReadsService {
  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly messenger: AgentMessenger,
  ) {}

  /** Results newest first: Output, Error, gas, the message and its action; cursor = nonce. */
  async logs(agent: Agent, before: number | undefined, limit: number) {
    const rows = await this.prisma.result.findMany({
      where: { processId: agent.processId, ...(before !== undefined ? { nonce: { lt: BigInt(before) } } : {}) },
      orderBy: { nonce: 'desc' },
      take: limit + 1,
      select: { nonce: true, messageId: true, result: true, gasUsed: true, error: true, createdAt: true },
    });
    const items = await this.withActions(agent.processId, rows.slice(0, limit));
    return { items, nextCursor: rows.length > limit ? String(rows[limit - 1].nonce) : null };
  }

  private async withActions(processId: string, rows: { nonce: bigint; messageId: string; result: unknown; gasUsed: bigint; error: string | null; createdAt: Date }[]) {
    const items = await this.prisma.dataItem.findMany({ where: { id: { in: rows.map((r) => r.messageId) } }, select: { id: true, tags: true, ownerAddress: true } });
    const byId = new Map(items.map((i) => [i.id, i]));
    return rows.map((r) => {
      const result = r.result as { Output?: unknown; Messages?: unknown[]; Spawns?: unknown[] };
      const item = byId.get(r.messageId);
      return {
        nonce: Number(r.nonce),
        messageId: r.messageId,
        action: tagOf(item?.tags, 'Action') ?? tagOf(item?.tags, 'Type'),
        from: tagOf(item?.tags, 'From-Process') ?? item?.ownerAddress ?? null,
        output: outputText(result.Output),
        error: r.error,
        gasUsed: Number(r.gasUsed),
        messages: result.Messages?.length ?? 0,
        spawns: result.Spawns?.length ?? 0,
        at: r.createdAt.toISOString(),
        link: `/cu/result/${r.messageId}?process-id=${processId}`,
      };
    });
  }

  /** The blueprint's queries through dry-runs: Info (live figures), Get-Config, Get-Subscriptions. */
  async state(agent: Agent) {
    const ask = async (action: string) => {
      try {
        const reply = await this.messenger.query(agent.processId, action);
        return { ok: true, action: reply?.tags.Action ?? null, data: parseData(reply) };
      } catch (error) {
        return { ok: false, action: null, data: null, error: (error as Error).message };
      }
    };
    const [info, config, subscriptions] = await Promise.all([ask('Info'), ask('Get-Config'), ask('Get-Subscriptions')]);
    return { processId: agent.processId, info, config, subscriptions };
  }

  /** Incoming (the log), outgoing and spawned (the MU's pushes), newest first; cursor = nonce. */
  async messages(agent: Agent, before: number | undefined, limit: number) {
    const base = this.env.PUBLIC_URL.replace(/\/$/, '');
    const assignments = await this.prisma.assignment.findMany({
      where: { processId: agent.processId, ...(before !== undefined ? { nonce: { lt: BigInt(before) } } : {}) },
      orderBy: { nonce: 'desc' },
      take: limit + 1,
      select: { nonce: true, messageId: true, timestamp: true, id: true },
    });
    const page = assignments.slice(0, limit);
    const items = await this.prisma.dataItem.findMany({ where: { id: { in: page.map((a) => a.messageId ?? agent.processId) } }, select: { id: true, tags: true, ownerAddress: true } });
    const byId = new Map(items.map((i) => [i.id, i]));
    const nonces = page.map((a) => a.nonce);
    const pushes = nonces.length
      ? await this.prisma.push.findMany({ where: { fromProcess: agent.processId, fromNonce: { in: nonces } }, orderBy: [{ fromNonce: 'desc' }, { kind: 'asc' }, { idx: 'asc' }] })
      : [];
    const link = (id: string) => ({ result: `${base}/cu/result/${id}?process-id=${agent.processId}`, item: `${base}/su/${id}?process-id=${agent.processId}` });
    return {
      incoming: page.map((a) => {
        const id = a.messageId ?? agent.processId;
        const item = byId.get(id);
        return { nonce: Number(a.nonce), id, assignmentId: a.id, action: tagOf(item?.tags, 'Action') ?? tagOf(item?.tags, 'Type'), from: tagOf(item?.tags, 'From-Process') ?? item?.ownerAddress ?? null, actingUser: tagOf(item?.tags, 'Acting-User'), timestamp: Number(a.timestamp), links: link(id) };
      }),
      outgoing: pushes.filter((p) => p.kind !== 'spawn').map((p) => pushView(p, base)),
      spawned: pushes.filter((p) => p.kind === 'spawn').map((p) => pushView(p, base)),
      nextCursor: assignments.length > limit ? String(page[page.length - 1].nonce) : null,
    };
  }

  /** The topic events the agent published (the projection), newest first; cursor = event id. */
  async events(agent: Agent, topic: string | undefined, before: string | undefined, limit: number) {
    const rows = await this.prisma.agentEvent.findMany({
      where: { processId: agent.processId, ...(topic ? { topic } : {}), ...(before ? { id: { lt: BigInt(before) } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
    return { items: rows.slice(0, limit).map((r) => eventView(r, agent.id)), nextCursor: rows.length > limit ? String(rows[limit - 1].id) : null };
  }
}

/** An event as the API and the feed show it. */
export function eventView(r: { id: bigint; processId: string; eventSeq: bigint; topic: string; messageId: string; nonce: bigint; payload: unknown; createdAt: Date }, agentId: string | null) {
  return { id: String(r.id), agentId, processId: r.processId, topic: r.topic, eventSeq: Number(r.eventSeq), messageId: r.messageId, nonce: Number(r.nonce), payload: r.payload, at: r.createdAt.toISOString() };
}

function pushView(p: { id: string; fromNonce: bigint; kind: string; itemId: string | null; target: string | null; status: string; error: string | null }, base: string) {
  return { fromNonce: Number(p.fromNonce), kind: p.kind, id: p.itemId, target: p.target, status: p.status, error: p.error, link: p.itemId && p.target ? `${base}/cu/result/${p.itemId}?process-id=${p.target}` : null };
}

function outputText(output: unknown): string | null {
  if (output === undefined || output === null || output === '') return null;
  if (typeof output === 'string') return output;
  const data = (output as { data?: unknown }).data;
  return typeof data === 'string' ? data : JSON.stringify(output);
}
