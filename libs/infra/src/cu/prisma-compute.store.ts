import type { CommittedResult, ComputeStore, EvaluationHead, LogEntry, ProcessRecord, SchedulerStore } from '@ao/core';
import { GroupWriter } from '../database/group-writer.js';
import { encodeStoredResult, storableText } from './stored-result.js';
import type { Sql } from '../database/sql-pool.js';

interface PendingCommit {
  processId: string;
  results: CommittedResult[];
  stateHash: string | undefined;
}

/** The CU's view of Postgres: the SU log it reads (same database) and the results it commits. */
export class PrismaComputeStore implements ComputeStore {
  constructor(
    /** Prisma, or the pg driver through sqlOn (the evaluation threads' hot path). */
    private readonly db: Sql,
    private readonly log: SchedulerStore,
  ) {}

  getProcess(processId: string): Promise<ProcessRecord | undefined> {
    return this.log.getProcess(processId);
  }

  async readLog(processId: string, afterNonce: number, limit: number): Promise<LogEntry[]> {
    return (await this.log.readLog(processId, { fromNonce: afterNonce, limit })).entries;
  }

  async evaluationHead(processId: string): Promise<EvaluationHead> {
    const rows = await this.db.$queryRaw<{ nonce: bigint | string; error: string | null }[]>`
      SELECT nonce, error FROM cu_processes WHERE process_id = ${processId}`;
    const r = rows[0];
    return r ? { nonce: Number(r.nonce), ...(r.error ? { error: r.error } : {}) } : { nonce: -1 };
  }

  /**
   * Commits go out as one statement per round trip (group commit, see GroupWriter): those that
   * arrive while a statement is in flight (other processes evaluated by this thread) follow
   * together in the next. Each process's results and head move in the same statement, so each
   * commit stays atomic.
   */
  commit(processId: string, results: CommittedResult[], stateHash: string | undefined): Promise<void> {
    if (results.length === 0) return Promise.resolve();
    return this.commits.submit({ processId, results, stateHash });
  }

  private readonly commits = new GroupWriter<PendingCommit>((group) => this.commitMany(group), { kind: 'cu-commit' });

  /** One statement (atomic on its own): every commit's results, and each process's head moved past them. */
  private async commitMany(commits: PendingCommit[]): Promise<void> {
    const rows = commits.flatMap((c) => c.results.map((r) => ({ processId: c.processId, ...r })));
    const crank = (r: CommittedResult) =>
      !r.result.Error && (r.result.Messages.length || r.result.Spawns.length || r.result.Assignments.length) ? 'pending' : 'none';
    // A process's calls are serialized by its lock, so it has one commit here (were there two, the
    // upsert would refuse to touch its row twice, and the commits would go one by one).
    const heads = commits.map((c) => ({ processId: c.processId, nonce: c.results[c.results.length - 1].nonce, stateHash: c.stateHash ?? null }));
    await this.db.$executeRaw`
      WITH inserted AS (
        INSERT INTO results (process_id, nonce, message_id, result, gas_used, error, crank_status)
        SELECT p, n, m, r::jsonb, g, e, c
        FROM unnest(${rows.map((r) => r.processId)}::text[], ${rows.map((r) => r.nonce)}::bigint[], ${rows.map((r) => r.messageId)}::text[],
                    ${rows.map((r) => encodeStoredResult(r.result))}::text[], ${rows.map((r) => r.result.GasUsed ?? 0)}::bigint[],
                    ${rows.map((r) => storableText(r.result.Error))}::text[], ${rows.map(crank)}::text[])
             AS t(p, n, m, r, g, e, c)
        ON CONFLICT (process_id, nonce) DO NOTHING
      )
      INSERT INTO cu_processes (process_id, nonce, state_hash, state_hash_nonce, updated_at)
      SELECT p, n, h, CASE WHEN h IS NULL THEN NULL ELSE n END, now()
      FROM unnest(${heads.map((h) => h.processId)}::text[], ${heads.map((h) => h.nonce)}::bigint[], ${heads.map((h) => h.stateHash)}::text[]) AS t(p, n, h)
      ON CONFLICT (process_id) DO UPDATE SET nonce = GREATEST(cu_processes.nonce, EXCLUDED.nonce),
        state_hash = CASE WHEN EXCLUDED.state_hash IS NOT NULL AND EXCLUDED.nonce >= cu_processes.nonce THEN EXCLUDED.state_hash ELSE cu_processes.state_hash END,
        state_hash_nonce = CASE WHEN EXCLUDED.state_hash IS NOT NULL AND EXCLUDED.nonce >= cu_processes.nonce THEN EXCLUDED.state_hash_nonce ELSE cu_processes.state_hash_nonce END,
        updated_at = now()`;
  }

  async markBroken(processId: string, nonce: number, error: string): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO cu_processes (process_id, nonce, error, updated_at) VALUES (${processId}, ${nonce - 1}, ${storableText(error)}, now())
      ON CONFLICT (process_id) DO UPDATE SET error = EXCLUDED.error, updated_at = now()`;
  }
}
