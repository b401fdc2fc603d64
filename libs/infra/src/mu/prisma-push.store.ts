import type { CrankEntry, CrankOutcome, EvalResult, PushRecord, PushStore } from '@ao/core';
import type { PrismaClient } from '../database/prisma.js';

interface PushRow {
  id: string;
  from_process: string;
  from_nonce: bigint;
  kind: string;
  idx: number;
  item_id: string | null;
  target: string | null;
  pushed_for: string | null;
  depth: number;
  status: string;
  error: string | null;
}

/**
 * The MU's records in Postgres: pushes under their deterministic ids, and each result's crank
 * status. Every method is one statement, whatever the number of results or pushes it covers.
 */
export class PrismaPushStore implements PushStore {
  constructor(private readonly prisma: PrismaClient) {}

  async result(processId: string, nonce: number): Promise<CrankEntry | undefined> {
    const rows = await this.prisma.$queryRaw<{ message_id: string; result: EvalResult }[]>`
      SELECT message_id, result FROM results WHERE process_id = ${processId} AND nonce = ${nonce}`;
    return rows[0] ? { nonce, messageId: rows[0].message_id, result: rows[0].result } : undefined;
  }

  async pendingResults(processId: string, limit: number): Promise<CrankEntry[]> {
    // Served by the partial index results_crank_pending_idx.
    const rows = await this.prisma.$queryRaw<{ nonce: bigint; message_id: string; result: EvalResult }[]>`
      SELECT nonce, message_id, result FROM results
      WHERE process_id = ${processId} AND crank_status = 'pending' ORDER BY nonce LIMIT ${limit}`;
    return rows.map((r) => ({ nonce: Number(r.nonce), messageId: r.message_id, result: r.result }));
  }

  async pushesOf(processId: string, nonces: number[]): Promise<Map<string, PushRecord>> {
    if (nonces.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<PushRow[]>`
      SELECT id, from_process, from_nonce, kind, idx, item_id, target, pushed_for, depth, status, error
      FROM pushes WHERE from_process = ${processId} AND from_nonce = ANY(${nonces}::bigint[])`;
    return new Map(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          fromProcess: row.from_process,
          fromNonce: Number(row.from_nonce),
          kind: row.kind as PushRecord['kind'],
          idx: row.idx,
          itemId: row.item_id ?? undefined,
          target: row.target ?? undefined,
          pushedFor: row.pushed_for ?? undefined,
          depth: row.depth,
          status: row.status as PushRecord['status'],
          error: row.error ?? undefined,
        },
      ]),
    );
  }

  async recordPushes(pushes: PushRecord[]): Promise<void> {
    if (pushes.length === 0) return;
    await this.prisma.$executeRaw`
      INSERT INTO pushes (id, from_process, from_nonce, kind, idx, item_id, target, pushed_for, depth, status, error)
      SELECT * FROM unnest(${pushes.map((p) => p.id)}::text[], ${pushes.map((p) => p.fromProcess)}::text[], ${pushes.map((p) => p.fromNonce)}::bigint[],
                           ${pushes.map((p) => p.kind)}::text[], ${pushes.map((p) => p.idx)}::int[], ${pushes.map((p) => p.itemId ?? null)}::text[],
                           ${pushes.map((p) => p.target ?? null)}::text[], ${pushes.map((p) => p.pushedFor ?? null)}::text[], ${pushes.map((p) => p.depth)}::int[],
                           ${pushes.map((p) => p.status)}::text[], ${pushes.map((p) => p.error ?? null)}::text[])
      ON CONFLICT (id) DO NOTHING`;
  }

  async depthsOf(messageIds: string[]): Promise<Map<string, number>> {
    if (messageIds.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<{ item_id: string; depth: number }[]>`
      SELECT DISTINCT ON (item_id) item_id, depth FROM pushes
      WHERE item_id = ANY(${messageIds}::text[]) AND kind IN ('message', 'spawned') ORDER BY item_id, depth`;
    return new Map(rows.map((r) => [r.item_id, r.depth]));
  }

  async finishCranks(processId: string, outcomes: CrankOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.prisma.$executeRaw`
      UPDATE results r SET crank_status = o.status, error = COALESCE(o.error, r.error)
      FROM unnest(${outcomes.map((o) => o.nonce)}::bigint[], ${outcomes.map((o) => o.status)}::text[], ${outcomes.map((o) => o.error ?? null)}::text[]) AS o(nonce, status, error)
      WHERE r.process_id = ${processId} AND r.nonce = o.nonce`;
  }
}
