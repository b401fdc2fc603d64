import { topicEvents } from '@ao/agents';
import type { Prisma, PrismaClient } from '../database/prisma.js';

/** Results read per projection round. */
const BATCH = 500;
/**
 * One lock for every projection write: feed ids (agent_events.id) then commit in the order they
 * were drawn, so a client resuming after id N can never miss a row committed later with a smaller id.
 */
const PROJECTION_LOCK = 0x61_67_65_76; // "agev"

/** A projected event row, as inserted. */
export interface AgentEventRow {
  id: bigint;
  processId: string;
  eventSeq: bigint;
  topic: string;
  messageId: string;
  nonce: bigint;
  payload: unknown;
  createdAt: Date;
}

/**
 * Projects an agent's committed results past its cursor into agent_events (Notify-On-Topic
 * messages, one row per Event-Seq) and advances the cursor, in one transaction per batch. Returns
 * the rows inserted, in id order. Idempotent: a row already there is skipped, the cursor only moves on.
 */
export async function projectAgentEvents(prisma: PrismaClient, processId: string): Promise<AgentEventRow[]> {
  const inserted: AgentEventRow[] = [];
  for (;;) {
    const round = await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${PROJECTION_LOCK})`;
      const agent = await tx.agent.findUnique({ where: { processId }, select: { projectedNonce: true } });
      if (!agent) return { rows: [] as AgentEventRow[], more: false };
      const results = await tx.result.findMany({
        where: { processId, nonce: { gt: agent.projectedNonce } },
        orderBy: { nonce: 'asc' },
        take: BATCH,
        select: { nonce: true, messageId: true, result: true },
      });
      if (results.length === 0) return { rows: [], more: false };
      const data: Prisma.AgentEventCreateManyInput[] = results.flatMap((r) =>
        topicEvents(r.result as never).map((e) => ({ processId, eventSeq: BigInt(e.eventSeq), topic: e.topic, messageId: r.messageId, nonce: r.nonce, payload: (e.payload ?? null) as Prisma.InputJsonValue })),
      );
      const rows = data.length ? ((await tx.agentEvent.createManyAndReturn({ data, skipDuplicates: true })) as AgentEventRow[]) : [];
      await tx.agent.update({ where: { processId }, data: { projectedNonce: results[results.length - 1].nonce } });
      return { rows: rows.sort((a, b) => (a.id < b.id ? -1 : 1)), more: results.length === BATCH };
    });
    inserted.push(...round.rows);
    if (!round.more) return inserted;
  }
}

/** Agents whose committed results are ahead of their projection cursor. */
export async function agentsBehind(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ process_id: string }[]>`
    SELECT a.process_id FROM agents a JOIN cu_processes c ON c.process_id = a.process_id
    WHERE c.nonce > a.projected_nonce ORDER BY a.process_id`;
  return rows.map((r) => r.process_id);
}

/** Drops the projection and rebuilds it from the results (the log): `npm run projections:rebuild`. */
export async function rebuildAgentEvents(prisma: PrismaClient): Promise<{ agents: number; events: number }> {
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${PROJECTION_LOCK})`;
    await tx.agentEvent.deleteMany({});
    await tx.agent.updateMany({ data: { projectedNonce: -1 } });
  });
  const agents = await prisma.agent.findMany({ select: { processId: true }, orderBy: { id: 'asc' } });
  let events = 0;
  for (const a of agents) events += (await projectAgentEvents(prisma, a.processId)).length;
  return { agents: agents.length, events };
}
