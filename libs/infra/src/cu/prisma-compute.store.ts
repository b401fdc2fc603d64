import type { CommittedResult, ComputeStore, EvaluationHead, LogEntry, ProcessRecord, SchedulerStore } from '@ao/core';
import type { PrismaClient } from '../database/prisma.js';

/** The CU's view of Postgres: the SU log it reads (same database) and the results it commits. */
export class PrismaComputeStore implements ComputeStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: SchedulerStore,
  ) {}

  getProcess(processId: string): Promise<ProcessRecord | undefined> {
    return this.log.getProcess(processId);
  }

  async readLog(processId: string, afterNonce: number, limit: number): Promise<LogEntry[]> {
    return (await this.log.readLog(processId, { fromNonce: afterNonce, limit })).entries;
  }

  async evaluationHead(processId: string): Promise<EvaluationHead> {
    const rows = await this.prisma.$queryRaw<{ nonce: bigint; error: string | null }[]>`
      SELECT nonce, error FROM cu_processes WHERE process_id = ${processId}`;
    const r = rows[0];
    return r ? { nonce: Number(r.nonce), ...(r.error ? { error: r.error } : {}) } : { nonce: -1 };
  }

  async commit(processId: string, results: CommittedResult[], stateHash: string | undefined): Promise<void> {
    if (results.length === 0) return;
    const last = results[results.length - 1].nonce;
    const nonces = results.map((r) => r.nonce);
    const messageIds = results.map((r) => r.messageId);
    const json = results.map((r) => JSON.stringify(r.result));
    const gas = results.map((r) => r.result.GasUsed ?? 0);
    const errors = results.map((r) => r.result.Error ?? null);
    const crank = results.map((r) =>
      !r.result.Error && (r.result.Messages.length || r.result.Spawns.length || r.result.Assignments.length) ? 'pending' : 'none',
    );
    // One statement (atomic on its own): the results, and the head moved past them.
    await this.prisma.$executeRaw`
      WITH inserted AS (
        INSERT INTO results (process_id, nonce, message_id, result, gas_used, error, crank_status)
        SELECT ${processId}, n, m, r::jsonb, g, e, c
        FROM unnest(${nonces}::bigint[], ${messageIds}::text[], ${json}::text[], ${gas}::bigint[], ${errors}::text[], ${crank}::text[])
             AS t(n, m, r, g, e, c)
        ON CONFLICT (process_id, nonce) DO NOTHING
      )
      INSERT INTO cu_processes (process_id, nonce, state_hash, state_hash_nonce, updated_at)
      VALUES (${processId}, ${last}, ${stateHash ?? null}, ${stateHash ? last : null}, now())
      ON CONFLICT (process_id) DO UPDATE SET nonce = GREATEST(cu_processes.nonce, EXCLUDED.nonce),
        state_hash = CASE WHEN EXCLUDED.state_hash IS NOT NULL AND EXCLUDED.nonce >= cu_processes.nonce THEN EXCLUDED.state_hash ELSE cu_processes.state_hash END,
        state_hash_nonce = CASE WHEN EXCLUDED.state_hash IS NOT NULL AND EXCLUDED.nonce >= cu_processes.nonce THEN EXCLUDED.state_hash_nonce ELSE cu_processes.state_hash_nonce END,
        updated_at = now()`;
  }

  async markBroken(processId: string, nonce: number, error: string): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO cu_processes (process_id, nonce, error, updated_at) VALUES (${processId}, ${nonce - 1}, ${error}, now())
      ON CONFLICT (process_id) DO UPDATE SET error = EXCLUDED.error, updated_at = now()`;
  }
}
