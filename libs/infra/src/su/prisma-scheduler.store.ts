import { AoError, AppendBuffer, type BufferedSlot, type LockedLogs, type LogEntry, type LogHead, type LogQuery, type ProcessRecord, type SchedulerStore, type Slot, type SlotQuery, type StoredAssignment, type StoredItem, type Tag, type UploadStatus } from '@ao/core';
import pg from 'pg';
import type { PrismaClient } from '../database/prisma.js';
import { setBounded } from '../bounded-map.js';
import { GroupWriter } from '../database/group-writer.js';
import { createSqlPool, sqlOn, type Sql } from '../database/sql-pool.js';
import { storableTags, tagsFromStore } from '../database/stored-tags.js';
import { pipelineCounters } from '../metrics/pipeline-counters.js';

/** Process records kept in memory per store (about 1 KiB each). */
const PROCESS_CACHE_SIZE = 10_000;

/** What the store's SQL runs on: a Prisma transaction, or the pg driver through `sqlOn`. */
type Tx = Sql;

/**
 * Many byte strings as one bytea parameter plus 1-based starts and lengths (for SQL `substring`):
 * a lone Buffer parameter travels in binary, while an array of Buffers is hex-encoded by the driver
 * and decoded again by Postgres.
 */
function packBytes(parts: Buffer[]): { blob: Buffer; starts: number[]; lengths: number[] } {
  const starts: number[] = [];
  const lengths: number[] = [];
  let at = 1;
  for (const p of parts) {
    starts.push(at);
    lengths.push(p.length);
    at += p.length;
  }
  return { blob: Buffer.concat(parts), starts, lengths };
}

export interface PrismaSchedulerStoreOptions {
  /**
   * The appends' transactions, the log reads and the standalone writes then run on a pg pool of
   * the store's own instead of Prisma (appends measured ~1.6× the throughput: one round trip per
   * statement, no transaction bookkeeping in between). Other readers keep using Prisma.
   */
  databaseUrl?: string;
  poolSize?: number;
  /** A pg pool to share instead (see createSqlPool); the caller closes it. */
  pool?: pg.Pool;
}

interface SlotRow {
  process_id: string;
  nonce: bigint;
  timestamp: bigint;
  block_height: bigint;
  hash_chain: string;
  id: string;
  message_id: string | null;
}

export interface EntryRow extends SlotRow {
  raw: Uint8Array;
  message_raw: Uint8Array | null;
}

const toSlot = (r: SlotRow): Slot => ({
  processId: r.process_id,
  nonce: Number(r.nonce),
  timestamp: Number(r.timestamp),
  blockHeight: Number(r.block_height),
  hashChain: r.hash_chain,
  assignmentId: r.id,
  messageId: r.message_id ?? undefined,
});

/** pg gives bytea as Buffers already (no copy); Prisma as Uint8Arrays. */
const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export const toEntry = (r: EntryRow): LogEntry => ({
  ...toSlot(r),
  assignment: asBuffer(r.raw),
  message: asBuffer(r.message_raw ?? new Uint8Array()),
});

/** A row of the lock statement: a locked head (`i` null) or the answer to lookup `i` (1-based). */
interface LockRow extends SlotRow {
  i: bigint | string | null;
  /** For a head: a writer committed to this log after the statement's snapshot was taken. */
  stale: boolean | null;
}

/** Bounds of a bigint column, for open ranges. */
const MAX_BIGINT = 9223372036854775807n;
const MIN_BIGINT = -9223372036854775808n;

/** A tagged template kept to run later on a Tx: `tx.$queryRaw(s.strings, ...s.values)`. */
const sql = (strings: TemplateStringsArray, ...values: unknown[]) => ({ strings, values });

/**
 * One statement that locks the heads of `ids` (in id order, so batches sharing processes wait for
 * each other instead of deadlocking) and answers the dedupe lookups (by message id, then by deep
 * hash where asked). Each head row also says whether it is newer than the one the statement's
 * snapshot holds (see lockLogs).
 */
function lockStatement(ids: string[], lookups: SlotQuery[]): ReturnType<typeof sql> {
  const pids = lookups.map((q) => q.processId);
  const mids = lookups.map((q) => q.messageId);
  const dkeys = lookups.map((q) => q.dedupeKey ?? null);
  return sql`
    WITH heads AS (
      SELECT id, last_nonce, last_hash_chain, last_assignment_id, last_timestamp, last_block_height
      FROM processes WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE
    ), seen AS (
      SELECT id, last_nonce FROM processes WHERE id = ANY(${ids}::text[])
    )
    SELECT NULL::bigint AS i, h.id AS process_id, h.last_nonce AS nonce, h.last_timestamp AS timestamp, h.last_block_height AS block_height,
           h.last_hash_chain AS hash_chain, h.last_assignment_id AS id, NULL::text AS message_id, h.last_nonce IS DISTINCT FROM s.last_nonce AS stale
    FROM heads h LEFT JOIN seen s ON s.id = h.id
    UNION ALL
    SELECT q.i, s.process_id, s.nonce, s.timestamp, s.block_height, s.hash_chain, s.id, s.message_id, NULL
    FROM unnest(${pids}::text[], ${mids}::text[], ${dkeys}::text[]) WITH ORDINALITY AS q(pid, mid, dkey, i)
    CROSS JOIN LATERAL (
      (SELECT a.process_id, a.nonce, a.timestamp, a.block_height, a.hash_chain, a.id, a.message_id
       FROM assignments a WHERE a.process_id = q.pid AND a.message_id = q.mid)
      UNION ALL
      (SELECT a.process_id, a.nonce, a.timestamp, a.block_height, a.hash_chain, a.id, a.message_id
       FROM data_items d JOIN assignments a ON a.message_id = d.id AND a.process_id = q.pid
       WHERE q.dkey IS NOT NULL AND d.dedupe_key = q.dkey)
      LIMIT 1
    ) s`;
}

/** Lets `fn` fill a batch over the locked logs; its result and the slots to write. */
async function fillBatch<T>(locked: { heads: Map<string, LogHead>; found: (Slot | undefined)[] }, fn: (logs: LockedLogs) => Promise<T>): Promise<{ result: T; slots: BufferedSlot[] }> {
  const appends = new AppendBuffer(locked.heads);
  const result = await fn({ heads: locked.heads, found: locked.found, append: (slot, assignment, message) => appends.add(slot, assignment, message) });
  return { result, slots: appends.slots };
}

/**
 * A write Postgres refused for the data itself (SQLSTATE class 22, e.g. a character text cannot
 * hold) is the item's fault, not the platform's: answered as a 4xx, and (in a batch) the scheduler
 * retries the batch's appends alone so only that item fails.
 */
function asDataError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code ?? (error as { meta?: { code?: unknown } })?.meta?.code;
  if (typeof code === 'string' && code.startsWith('22')) {
    return new AoError('INVALID_ITEM', `The log cannot store this item: ${(error as Error).message}`, { sqlstate: code });
  }
  return error;
}

/** Counts a committed append transaction and the log entries it wrote (the pipeline counters). */
function countBatch(slots: number): void {
  pipelineCounters.add('su_batches_total');
  pipelineCounters.add('su_batch_slots_total', slots);
}

/** Runs `send` with the client's socket corked, so the queries it pipelines leave in one write. */
function corked<T>(client: pg.PoolClient, send: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection?.stream;
  stream?.cork?.();
  try {
    return send();
  } finally {
    stream?.uncork?.();
  }
}

/**
 * The SU's log in PostgreSQL. Appends to one process are serialized by a row lock on its
 * `processes` row (held for one short transaction), so any number of API and worker processes can
 * schedule concurrently without gaps or duplicate nonces; UNIQUE (process, nonce) and
 * (process, message) back that up.
 */
export class PrismaSchedulerStore implements SchedulerStore {
  private readonly pool?: pg.Pool;
  private ownsPool = false;
  private readonly processCache = new Map<string, ProcessRecord>();

  constructor(
    private readonly prisma: PrismaClient,
    options: PrismaSchedulerStoreOptions = {},
  ) {
    if (options.pool) this.pool = options.pool;
    else if (options.databaseUrl) {
      this.pool = createSqlPool(options.databaseUrl, options.poolSize ?? 10);
      this.ownsPool = true;
    }
  }

  /** Hot reads and standalone writes: the store's own pool when it has one (no ORM in between), else Prisma. */
  private get reader(): Tx {
    return this.pool ? sqlOn(this.pool) : this.prisma;
  }

  /** Closes the appends' pool (Nest calls this at shutdown). */
  async onApplicationShutdown(): Promise<void> {
    if (this.ownsPool) await this.pool?.end();
  }

  async getProcess(processId: string): Promise<ProcessRecord | undefined> {
    return (await this.getProcesses([processId])).get(processId);
  }

  /**
   * Process records never change once created, so they are cached (bounded, oldest out first):
   * the MU asks for the same senders and targets with every crank. Absence is not cached (a
   * process may be created a moment later).
   */
  async getProcesses(ids: string[]): Promise<Map<string, ProcessRecord>> {
    const found = new Map<string, ProcessRecord>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.processCache.get(id);
      if (cached) found.set(id, cached);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    const rows = await this.reader.$queryRaw<
      { id: string; owner: string; module: string; scheduler: string; tags: Tag[]; timestamp: bigint | string; block_height: bigint | string }[]
    >`SELECT id, owner, module, scheduler, tags, timestamp, block_height FROM processes WHERE id = ANY(${missing}::text[])`;
    for (const r of rows) {
      const record: ProcessRecord = { id: r.id, owner: r.owner, module: r.module, scheduler: r.scheduler, tags: tagsFromStore(r.tags), timestamp: Number(r.timestamp), blockHeight: Number(r.block_height) };
      found.set(r.id, record);
      setBounded(this.processCache, r.id, record, PROCESS_CACHE_SIZE);
    }
    return found;
  }

  async createProcess(process: ProcessRecord, slot0: Slot, processItem: StoredItem, assignment: StoredAssignment): Promise<{ created: boolean; slot: Slot }> {
    const outcome = await this.prisma.$transaction(async (tx) => {
      const inserted = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO processes (id, owner, module, scheduler, tags, timestamp, block_height, last_nonce, last_hash_chain, last_assignment_id, last_timestamp, last_block_height)
        VALUES (${process.id}, ${process.owner}, ${process.module}, ${process.scheduler}, ${storableTags(process.tags)}::jsonb,
                ${process.timestamp}, ${process.blockHeight}, 0, ${slot0.hashChain}, ${slot0.assignmentId}, ${slot0.timestamp}, ${slot0.blockHeight})
        ON CONFLICT (id) DO NOTHING RETURNING id`;
      if (inserted.length === 0) {
        const existing = await this.slotRows(tx, process.id, process.id);
        if (!existing) throw new AoError('CONFLICT', `Process ${process.id} exists without its slot 0`, undefined, 'transient');
        return { created: false, slot: existing };
      }
      await this.writeSlots(tx, [{ slot: slot0, assignment, message: processItem }]);
      return { created: true, slot: slot0 };
    }).catch((error: unknown) => {
      throw asDataError(error);
    });
    if (outcome.created) countBatch(1);
    return outcome;
  }

  async withLockedLogs<T>(processIds: string[], lookups: SlotQuery[], fn: (logs: LockedLogs) => Promise<T>): Promise<T> {
    const ids = [...new Set(processIds)].sort();
    if (!this.pool) {
      const { result, slots } = await this.prisma
        .$transaction(
          async (tx) => {
            const lock = lockStatement(ids, lookups);
            const locked = await this.lockLogs(tx, lookups, await tx.$queryRaw<LockRow[]>(lock.strings, ...lock.values));
            const batch = await fillBatch(locked, fn);
            await this.writeSlots(tx, batch.slots);
            return batch;
          },
          { maxWait: 10_000, timeout: 15_000 },
        )
        .catch((error: unknown) => {
          throw asDataError(error);
        });
      countBatch(slots.length);
      return result;
    }
    const client = await this.pool.connect();
    const tx = sqlOn(client);
    let broken: Error | undefined;
    try {
      // Pipelined (the pool's clients run in pipeline mode) and sent in one write: BEGIN with the
      // statement that locks and looks up, later the write with COMMIT. Two round trips a batch.
      const lock = lockStatement(ids, lookups);
      const [, rows] = await corked(client, () => Promise.all([client.query('BEGIN'), tx.$queryRaw<LockRow[]>(lock.strings, ...lock.values)]));
      const { result, slots } = await fillBatch(await this.lockLogs(tx, lookups, rows), fn);
      // A failed write aborts the transaction, and the COMMIT behind it then only rolls back.
      const [, commit] = await corked(client, () => Promise.all([this.writeSlots(tx, slots), client.query('COMMIT')]));
      if (commit.command !== 'COMMIT') throw new AoError('INTERNAL', `The batch's transaction ended in ${commit.command}`, undefined, 'transient');
      countBatch(slots.length);
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw asDataError(error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * The heads and lookups from the statement that locked them. That statement saw the logs as of
   * its start: if a writer committed to a log after that (the lock waited for it, or it committed
   * just before the lock was taken), its slots are not in the lookups' answers, and the head it
   * left shows it: the locked row's last nonce is beyond the one the statement's snapshot read.
   * The lookups of those logs are asked again, now that their heads are held.
   */
  private async lockLogs(tx: Tx, lookups: SlotQuery[], rows: LockRow[]): Promise<{ heads: Map<string, LogHead>; found: (Slot | undefined)[] }> {
    const heads = new Map<string, LogHead>();
    const stale = new Set<string>();
    const found: (Slot | undefined)[] = new Array(lookups.length).fill(undefined);
    for (const r of rows) {
      if (r.i === null) {
        heads.set(r.process_id, { processId: r.process_id, nonce: Number(r.nonce), hashChain: r.hash_chain, assignmentId: r.id, timestamp: Number(r.timestamp), blockHeight: Number(r.block_height) });
        if (r.stale) stale.add(r.process_id);
      } else {
        found[Number(r.i) - 1] = toSlot(r as SlotRow);
      }
    }
    if (stale.size > 0) {
      // The same statement again, over those logs only: a new statement reads a new snapshot, and
      // the rows it locks are already this transaction's, so it does not wait.
      const again = lookups.flatMap((q, i) => (stale.has(q.processId) ? [i] : []));
      const lock = lockStatement([...stale].sort(), again.map((i) => lookups[i]));
      for (const r of await tx.$queryRaw<LockRow[]>(lock.strings, ...lock.values)) {
        if (r.i !== null) found[again[Number(r.i) - 1]] = toSlot(r as SlotRow);
      }
    }
    return { heads, found };
  }

  /** Writes a batch of slots (messages if new, assignments, upload rows, new heads) in one statement. */
  private async writeSlots(tx: Tx, slots: BufferedSlot[]): Promise<void> {
    if (slots.length === 0) return;
    const messages = slots.flatMap((s) => (s.message ? [s.message] : []));
    const heads = new Map<string, Slot>();
    for (const s of slots) heads.set(s.slot.processId, s.slot);
    const uploads = slots.flatMap((s) => [
      { item: s.assignment.id, process: s.slot.processId, nonce: s.slot.nonce },
      ...(s.message ? [{ item: s.message.id, process: s.slot.processId, nonce: s.slot.nonce }] : []),
    ]);
    const last = [...heads.values()];
    const packed = packBytes([...messages.map((m) => m.raw), ...slots.map((s) => s.assignment.raw)]);
    const messageRaw = { starts: packed.starts.slice(0, messages.length), lengths: packed.lengths.slice(0, messages.length) };
    const assignmentRaw = { starts: packed.starts.slice(messages.length), lengths: packed.lengths.slice(messages.length) };
    await tx.$executeRaw`
      WITH items AS (
        INSERT INTO data_items (id, owner_address, target, signature_type, dedupe_key, tags, raw)
        SELECT id, owner, target, sig, dkey, tags::jsonb, substring(${packed.blob}::bytea FROM rs FOR rl)
        FROM unnest(${messages.map((m) => m.id)}::text[], ${messages.map((m) => m.ownerAddress)}::text[],
                    ${messages.map((m) => m.target ?? null)}::text[], ${messages.map((m) => m.signatureType)}::int[],
                    ${messages.map((m) => m.dedupeKey)}::text[], ${messages.map((m) => storableTags(m.tags))}::text[],
                    ${messageRaw.starts}::int[], ${messageRaw.lengths}::int[]) AS t(id, owner, target, sig, dkey, tags, rs, rl)
        ON CONFLICT (id) DO NOTHING
      ), slots AS (
        INSERT INTO assignments (id, process_id, nonce, epoch, message_id, timestamp, block_height, hash_chain, raw)
        SELECT id, pid, nonce, 0, mid, ts, height, chain, substring(${packed.blob}::bytea FROM rs FOR rl)
        FROM unnest(${slots.map((s) => s.assignment.id)}::text[], ${slots.map((s) => s.slot.processId)}::text[],
                    ${slots.map((s) => s.slot.nonce)}::bigint[], ${slots.map((s) => s.slot.messageId ?? null)}::text[],
                    ${slots.map((s) => s.slot.timestamp)}::bigint[], ${slots.map((s) => s.slot.blockHeight)}::bigint[],
                    ${slots.map((s) => s.slot.hashChain)}::text[], ${assignmentRaw.starts}::int[], ${assignmentRaw.lengths}::int[])
             AS t(id, pid, nonce, mid, ts, height, chain, rs, rl)
      ), heads AS (
        UPDATE processes p SET last_nonce = h.nonce, last_hash_chain = h.chain, last_assignment_id = h.aid, last_timestamp = h.ts, last_block_height = h.height
        FROM unnest(${last.map((s) => s.processId)}::text[], ${last.map((s) => s.nonce)}::bigint[], ${last.map((s) => s.hashChain)}::text[],
                    ${last.map((s) => s.assignmentId)}::text[], ${last.map((s) => s.timestamp)}::bigint[], ${last.map((s) => s.blockHeight)}::bigint[])
             AS h(id, nonce, chain, aid, ts, height)
        WHERE p.id = h.id
      )
      INSERT INTO upload_outbox (item_id, process_id, nonce)
      SELECT item, pid, nonce
      FROM unnest(${uploads.map((u) => u.item)}::text[], ${uploads.map((u) => u.process)}::text[], ${uploads.map((u) => u.nonce)}::bigint[])
           AS t(item, pid, nonce)
      ON CONFLICT (item_id) DO NOTHING`;
  }

  private async slotRows(tx: Tx, processId: string, messageId: string): Promise<Slot | undefined> {
    const rows = await tx.$queryRaw<SlotRow[]>`
      SELECT process_id, nonce, timestamp, block_height, hash_chain, id, message_id
      FROM assignments WHERE process_id = ${processId} AND message_id = ${messageId}`;
    return rows[0] ? toSlot(rows[0]) : undefined;
  }

  async getItem(id: string): Promise<StoredItem | undefined> {
    return (await this.getItems([id])).get(id);
  }

  async getItems(ids: string[]): Promise<Map<string, StoredItem>> {
    if (ids.length === 0) return new Map();
    const rows = await this.reader.$queryRaw<
      { id: string; owner_address: string; target: string | null; signature_type: number; dedupe_key: string; tags: Tag[]; raw: Uint8Array }[]
    >`SELECT id, owner_address, target, signature_type, dedupe_key, tags, raw FROM data_items WHERE id = ANY(${[...new Set(ids)]}::text[])`;
    return new Map(
      rows.map((r) => [
        r.id,
        { id: r.id, ownerAddress: r.owner_address, target: r.target ?? undefined, signatureType: r.signature_type, dedupeKey: r.dedupe_key, tags: tagsFromStore(r.tags), raw: Buffer.from(r.raw) },
      ]),
    );
  }

  async getSlot(processId: string, messageId: string): Promise<LogEntry | undefined> {
    const rows = await this.prisma.$queryRaw<EntryRow[]>`
      SELECT a.process_id, a.nonce, a.timestamp, a.block_height, a.hash_chain, a.id, a.message_id, a.raw, d.raw AS message_raw
      FROM assignments a LEFT JOIN data_items d ON d.id = a.message_id
      WHERE a.process_id = ${processId} AND a.message_id = ${messageId}`;
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  /**
   * Open bounds are the widest values rather than NULL checks: the statement is prepared once per
   * connection, and a cached plan keeps the nonce range in its index condition only this way.
   */
  async readLog(processId: string, q: LogQuery): Promise<{ entries: LogEntry[]; hasNextPage: boolean }> {
    const rows = await this.reader.$queryRaw<EntryRow[]>`
      SELECT a.process_id, a.nonce, a.timestamp, a.block_height, a.hash_chain, a.id, a.message_id, a.raw, d.raw AS message_raw
      FROM assignments a LEFT JOIN data_items d ON d.id = a.message_id
      WHERE a.process_id = ${processId}
        AND a.nonce > ${q.fromNonce ?? -1}::bigint AND a.nonce <= ${q.toNonce ?? MAX_BIGINT}::bigint
        AND a.timestamp > ${q.fromTimestamp ?? MIN_BIGINT}::bigint AND a.timestamp <= ${q.toTimestamp ?? MAX_BIGINT}::bigint
      ORDER BY a.nonce
      LIMIT ${q.limit + 1}`;
    return { entries: rows.slice(0, q.limit).map(toEntry), hasNextPage: rows.length > q.limit };
  }

  async latest(processId: string): Promise<LogEntry | undefined> {
    const rows = await this.prisma.$queryRaw<EntryRow[]>`
      SELECT a.process_id, a.nonce, a.timestamp, a.block_height, a.hash_chain, a.id, a.message_id, a.raw, d.raw AS message_raw
      FROM assignments a LEFT JOIN data_items d ON d.id = a.message_id
      WHERE a.process_id = ${processId} ORDER BY a.nonce DESC LIMIT 1`;
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  /** Joined with other stores in flight (see GroupWriter): one statement for them all. */
  async storeStandalone(...items: StoredItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.standalone.submit(items);
  }

  private readonly standalone = new GroupWriter<StoredItem[]>((group) => this.storeMany(group.flat()), { kind: 'wallet-items' });

  private async storeMany(items: StoredItem[]): Promise<void> {
    await this.reader.$executeRaw`
      WITH items AS (
        INSERT INTO data_items (id, owner_address, target, signature_type, dedupe_key, tags, raw)
        SELECT id, owner, target, sig, dkey, tags::jsonb, raw
        FROM unnest(${items.map((m) => m.id)}::text[], ${items.map((m) => m.ownerAddress)}::text[],
                    ${items.map((m) => m.target ?? null)}::text[], ${items.map((m) => m.signatureType)}::int[],
                    ${items.map((m) => m.dedupeKey)}::text[], ${items.map((m) => storableTags(m.tags))}::text[],
                    ${items.map((m) => m.raw)}::bytea[]) AS t(id, owner, target, sig, dkey, tags, raw)
        ON CONFLICT (id) DO NOTHING
      )
      INSERT INTO upload_outbox (item_id) SELECT unnest(${items.map((m) => m.id)}::text[]) ON CONFLICT (item_id) DO NOTHING`;
  }

  /**
   * Read through the process's log (its assignments and their messages, by the log's index), not by
   * an index of the outbox on `process_id`: that one would gain an entry with every state flip of
   * every item (docs/pipeline-batching.md, item 3), for a read that only /su/processes makes.
   */
  async uploadStatus(processId: string): Promise<UploadStatus> {
    const rows = await this.prisma.$queryRaw<{ status: string; count: bigint; first_unconfirmed: bigint | null; max_confirmed: bigint | null }[]>`
      SELECT o.status, count(*) AS count,
             min(o.nonce) FILTER (WHERE o.status <> 'confirmed') AS first_unconfirmed,
             max(o.nonce) FILTER (WHERE o.status = 'confirmed') AS max_confirmed
      FROM assignments a
      CROSS JOIN LATERAL (VALUES (a.id), (a.message_id)) AS v(item_id)
      JOIN upload_outbox o ON o.item_id = v.item_id AND o.process_id = a.process_id
      WHERE a.process_id = ${processId}
      GROUP BY o.status`;
    const count = (s: string) => Number(rows.find((r) => r.status === s)?.count ?? 0);
    const firsts = rows.flatMap((r) => (r.first_unconfirmed === null ? [] : [r.first_unconfirmed]));
    const maxConfirmed = rows.find((r) => r.status === 'confirmed')?.max_confirmed ?? null;
    const firstUnconfirmed = firsts.length ? firsts.reduce((a, b) => (a < b ? a : b)) : null;
    const lastConfirmedNonce =
      firstUnconfirmed !== null ? (firstUnconfirmed > 0n ? Number(firstUnconfirmed) - 1 : null) : maxConfirmed !== null ? Number(maxConfirmed) : null;
    return { pending: count('pending'), uploaded: count('uploaded'), confirmed: count('confirmed'), failed: count('failed'), lastConfirmedNonce };
  }

}
