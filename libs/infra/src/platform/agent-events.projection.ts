import { foldAgentFigures, NO_FIGURES, topicEvents, type AgentFigures } from '@ao/agents';
import { Prisma, type PrismaClient } from '../database/prisma.js';

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
        select: { nonce: true, messageId: true, result: true, error: true, createdAt: true },
      });
      if (results.length === 0) return { rows: [], more: false };
      const data: Prisma.AgentEventCreateManyInput[] = results.flatMap((r) =>
        topicEvents(r.result as never).map((e) => ({ processId, eventSeq: BigInt(e.eventSeq), topic: e.topic, messageId: r.messageId, nonce: r.nonce, payload: (e.payload ?? null) as Prisma.InputJsonValue })),
      );
      const rows = data.length ? ((await tx.agentEvent.createManyAndReturn({ data, skipDuplicates: true })) as AgentEventRow[]) : [];
      rows.sort((a, b) => (a.id < b.id ? -1 : 1));
      await foldFigures(tx, processId, rows, results);
      await tx.agent.update({ where: { processId }, data: { projectedNonce: results[results.length - 1].nonce } });
      return { rows, more: results.length === BATCH };
    });
    inserted.push(...round.rows);
    if (!round.more) return inserted;
  }
}

/** Folds a batch into the agent's figures row (under the projection lock, so read-then-write is safe). */
async function foldFigures(tx: Prisma.TransactionClient, processId: string, rows: AgentEventRow[], results: { nonce: bigint; messageId: string; error: string | null; createdAt: Date }[]) {
  const row = await tx.agentFigures.findUnique({ where: { processId } });
  const prev: AgentFigures = row
    ? {
        fills: Number(row.fills),
        verdicts: row.verdicts as Record<string, number>,
        pnl: row.pnl,
        inventory: row.inventory,
        lastError: row.lastError !== null ? { message: row.lastError, messageId: row.lastErrorMessageId ?? '', nonce: row.lastErrorNonce ?? -1n, at: row.lastErrorAt ?? new Date(0) } : null,
        lastActivityAt: row.lastActivityAt,
      }
    : NO_FIGURES;
  const next = foldAgentFigures(prev, rows, results);
  const data = {
    fills: BigInt(next.fills),
    verdicts: next.verdicts,
    pnl: (next.pnl ?? Prisma.DbNull) as Prisma.InputJsonValue,
    inventory: (next.inventory ?? Prisma.DbNull) as Prisma.InputJsonValue,
    lastError: next.lastError?.message ?? null,
    lastErrorMessageId: next.lastError?.messageId ?? null,
    lastErrorNonce: next.lastError?.nonce ?? null,
    lastErrorAt: next.lastError?.at ?? null,
    lastActivityAt: next.lastActivityAt,
  };
  await tx.agentFigures.upsert({ where: { processId }, create: { processId, ...data }, update: data });
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
    await tx.agentFigures.deleteMany({});
    await tx.agent.updateMany({ data: { projectedNonce: -1 } });
  });
  const agents = await prisma.agent.findMany({ select: { processId: true }, orderBy: { id: 'asc' } });
  let events = 0;
  for (const a of agents) events += (await projectAgentEvents(prisma, a.processId)).length;
  return { agents: agents.length, events };
}
