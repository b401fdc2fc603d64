import type { CommittedResult, ComputeStore, EvaluationHead, LogEntry, PendingLog, ProcessCommit, ProcessRecord, SchedulerStore } from '@ao/core';
import { toEntry, type EntryRow } from '../su/prisma-scheduler.store.js';
import { GroupWriter } from '../database/group-writer.js';
import { encodeStoredResult, storableText } from './stored-result.js';
import type { Sql } from '../database/sql-pool.js';

type PendingCommit = ProcessCommit;

/** A row of readPending: a process's head, and one log entry past it (all null when there is none). */
type PendingRow = { pid: string; head: bigint | string | null; head_error: string | null } & { [K in keyof EntryRow]: EntryRow[K] | null };

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
   * One statement for every process: its head (cu_processes) and up to `limit` entries of its log
   * past it (assignments, with the message's bytes), through a lateral join that walks
   * `(process_id, nonce)` once per process.
   */
  async readPending(processIds: string[], limit: number): Promise<Map<string, PendingLog>> {
    const rows = await this.db.$queryRaw<PendingRow[]>`
      SELECT p.pid, c.nonce AS head, c.error AS head_error,
             e.process_id, e.nonce, e.timestamp, e.block_height, e.hash_chain, e.id, e.message_id, e.raw, e.message_raw
      FROM unnest(${processIds}::text[]) AS p(pid)
      LEFT JOIN cu_processes c ON c.process_id = p.pid
      LEFT JOIN LATERAL (
        SELECT a.process_id, a.nonce, a.timestamp, a.block_height, a.hash_chain, a.id, a.message_id, a.raw, d.raw AS message_raw
        FROM assignments a LEFT JOIN data_items d ON d.id = a.message_id
        WHERE a.process_id = p.pid AND a.nonce > COALESCE(c.nonce, -1) AND c.error IS NULL
        ORDER BY a.nonce
        LIMIT ${limit}
      ) e ON true
      ORDER BY p.pid, e.nonce`;
    const logs = new Map<string, PendingLog>();
    for (const row of rows) {
      let log = logs.get(row.pid);
      if (!log) {
        const head: EvaluationHead = row.head === null ? { nonce: -1 } : { nonce: Number(row.head), ...(row.head_error ? { error: row.head_error } : {}) };
        logs.set(row.pid, (log = { head, entries: [] }));
      }
      if (row.nonce !== null) log.entries.push(toEntry(row as EntryRow));
    }
    return logs;
  }

  /** Every commit of the batch in one statement (with any other commit of this thread in flight). */
  commitMany(commits: ProcessCommit[]): Promise<void> {
    return this.commits.submitMany(commits.filter((c) => c.results.length > 0));
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

  private readonly commits = new GroupWriter<PendingCommit>((group) => this.writeCommits(group), { kind: 'cu-commit' });

  /** One statement (atomic on its own): every commit's results, and each process's head moved past them. */
  private async writeCommits(commits: PendingCommit[]): Promise<void> {
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
