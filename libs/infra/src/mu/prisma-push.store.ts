import type { CrankBatch, CrankFinish, CrankOutcome, EvalResult, PushRecord, PushStore } from '@ao/core';
import { GroupWriter } from '../database/group-writer.js';
import type { Sql } from '../database/sql-pool.js';
import { decodeStoredResult, storableText } from '../cu/stored-result.js';

interface PushRow {
  id: string;
  from_process: string;
  from_nonce: bigint | number;
  kind: string;
  idx: number;
  item_id: string | null;
  target: string | null;
  pushed_for: string | null;
  depth: number;
  status: string;
  error: string | null;
}

/** A crank's finish: its results' outcomes and the pushes it recorded. */
type Finish = CrankFinish;

/** A pushes row (as Postgres or its json_agg gives it) as a PushRecord. */
function toPushRecord(row: PushRow): PushRecord {
  return {
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
  };
}

/**
 * A row of the crank queries: a result (nonce, message_id, result) with its recorded pushes, the
 * hops of the message it answers, and that message's Pushed-For tag.
 */
type BatchRow = { nonce: bigint | string; message_id: string; result: EvalResult; pushed_for: string | null; depth: number | null; pushes: PushRow[] | null };

function toBatch(rows: BatchRow[]): CrankBatch {
  const batch: CrankBatch = { entries: [], pushes: new Map(), depths: new Map(), pushedFor: new Map() };
  for (const row of rows) {
    batch.entries.push({ nonce: Number(row.nonce), messageId: row.message_id, result: decodeStoredResult(row.result) });
    if (row.pushed_for !== null) batch.pushedFor.set(row.message_id, row.pushed_for);
    if (row.depth !== null) batch.depths.set(row.message_id, Number(row.depth));
    for (const p of row.pushes ?? []) batch.pushes.set(p.id, toPushRecord(p));
  }
  return batch;
}

/**
 * The MU's records in Postgres: pushes under their deterministic ids, and each result's crank
 * status. Every method is one statement, whatever the number of results or pushes it covers, and
 * concurrent finishes share one.
 */
export class PrismaPushStore implements PushStore {
  /** `db`: Prisma, or the pg driver through sqlOn (the worker's hot path). */
  constructor(private readonly db: Sql) {}

  async pendingCranks(processId: string, limit: number): Promise<CrankBatch> {
    // 'pending' is a literal, not a parameter: a statement prepared once per connection keeps a
    // plan that may use the partial index results_crank_pending_process_idx.
    return toBatch(
      await this.db.$queryRaw<BatchRow[]>`
        WITH r AS (SELECT nonce, message_id, result FROM results WHERE process_id = ${processId} AND crank_status = 'pending' ORDER BY nonce LIMIT ${limit})
        SELECT r.nonce, r.message_id, r.result,
          (SELECT t->>'value' FROM data_items d, jsonb_array_elements(d.tags) t
           WHERE d.id = r.message_id AND t->>'name' = 'Pushed-For' LIMIT 1) AS pushed_for,
          (SELECT min(p.depth) FROM pushes p WHERE p.item_id = r.message_id AND p.kind IN ('message', 'spawned')) AS depth,
          (SELECT json_agg(p) FROM pushes p WHERE p.from_process = ${processId} AND p.from_nonce = r.nonce) AS pushes
        FROM r ORDER BY r.nonce`,
    );
  }

  /** pendingCranks for many processes in one statement (a lateral join walks each one's pending results). */
  async pendingCranksMany(processIds: string[], limit: number): Promise<Map<string, CrankBatch>> {
    const rows = await this.db.$queryRaw<(BatchRow & { process_id: string })[]>`
      WITH r AS (
        SELECT x.process_id, x.nonce, x.message_id, x.result
        FROM unnest(${processIds}::text[]) AS s(pid)
        CROSS JOIN LATERAL (SELECT process_id, nonce, message_id, result FROM results
                            WHERE process_id = s.pid AND crank_status = 'pending' ORDER BY nonce LIMIT ${limit}) x
      )
      SELECT r.process_id, r.nonce, r.message_id, r.result,
        (SELECT t->>'value' FROM data_items d, jsonb_array_elements(d.tags) t
         WHERE d.id = r.message_id AND t->>'name' = 'Pushed-For' LIMIT 1) AS pushed_for,
        (SELECT min(p.depth) FROM pushes p WHERE p.item_id = r.message_id AND p.kind IN ('message', 'spawned')) AS depth,
        (SELECT json_agg(p) FROM pushes p WHERE p.from_process = r.process_id AND p.from_nonce = r.nonce) AS pushes
      FROM r ORDER BY r.process_id, r.nonce`;
    const byProcess = new Map<string, BatchRow[]>();
    for (const row of rows) {
      const list = byProcess.get(row.process_id);
      if (list) list.push(row);
      else byProcess.set(row.process_id, [row]);
    }
    return new Map([...byProcess].map(([id, list]) => [id, toBatch(list)]));
  }

  async crankOf(processId: string, nonce: number): Promise<CrankBatch> {
    // The same context as pendingCranks (see toBatch), for one result whatever its crank status.
    return toBatch(
      await this.db.$queryRaw<BatchRow[]>`
        WITH r AS (SELECT nonce, message_id, result FROM results WHERE process_id = ${processId} AND nonce = ${nonce})
        SELECT r.nonce, r.message_id, r.result,
          (SELECT t->>'value' FROM data_items d, jsonb_array_elements(d.tags) t
           WHERE d.id = r.message_id AND t->>'name' = 'Pushed-For' LIMIT 1) AS pushed_for,
          (SELECT min(p.depth) FROM pushes p WHERE p.item_id = r.message_id AND p.kind IN ('message', 'spawned')) AS depth,
          (SELECT json_agg(p) FROM pushes p WHERE p.from_process = ${processId} AND p.from_nonce = r.nonce) AS pushes
        FROM r`,
    );
  }

  async recordPushes(pushes: PushRecord[]): Promise<void> {
    await this.finishCranks('', [], pushes);
  }

  /** Joined with other cranks' finishes in flight (see GroupWriter): one statement for them all. */
  async finishCranks(processId: string, outcomes: CrankOutcome[], pushes: PushRecord[] = []): Promise<void> {
    if (outcomes.length === 0 && pushes.length === 0) return;
    await this.finishes.submit({ processId, outcomes, pushes });
  }

  /** Every sender's finish in one statement (with any other finish in flight). */
  async finishCranksMany(finishes: CrankFinish[]): Promise<void> {
    await this.finishes.submitMany(finishes.filter((f) => f.outcomes.length > 0 || f.pushes.length > 0));
  }

  private readonly finishes = new GroupWriter<Finish>((group) => this.finishMany(group), { kind: 'crank-finish' });

  /** One statement: the pushes (once each), then the results' crank status. */
  private async finishMany(group: Finish[]): Promise<void> {
    const pushes = group.flatMap((f) => f.pushes);
    const outcomes = group.flatMap((f) => f.outcomes.map((o) => ({ processId: f.processId, ...o })));
    await this.db.$executeRaw`
      WITH recorded AS (
        INSERT INTO pushes (id, from_process, from_nonce, kind, idx, item_id, target, pushed_for, depth, status, error)
        SELECT * FROM unnest(${pushes.map((p) => p.id)}::text[], ${pushes.map((p) => p.fromProcess)}::text[], ${pushes.map((p) => p.fromNonce)}::bigint[],
                             ${pushes.map((p) => p.kind)}::text[], ${pushes.map((p) => p.idx)}::int[], ${pushes.map((p) => p.itemId ?? null)}::text[],
                             ${pushes.map((p) => storableText(p.target))}::text[], ${pushes.map((p) => p.pushedFor ?? null)}::text[], ${pushes.map((p) => p.depth)}::int[],
                             ${pushes.map((p) => p.status)}::text[], ${pushes.map((p) => storableText(p.error))}::text[])
        ON CONFLICT (id) DO NOTHING
      )
      UPDATE results r SET crank_status = o.status, error = COALESCE(o.error, r.error)
      FROM unnest(${outcomes.map((o) => o.processId)}::text[], ${outcomes.map((o) => o.nonce)}::bigint[], ${outcomes.map((o) => o.status)}::text[],
                  ${outcomes.map((o) => storableText(o.error))}::text[]) AS o(process_id, nonce, status, error)
      WHERE r.process_id = o.process_id AND r.nonce = o.nonce`;
  }
}
