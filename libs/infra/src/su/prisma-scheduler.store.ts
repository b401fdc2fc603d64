import { AoError, type LockedLog, type LogEntry, type LogHead, type LogQuery, type ProcessRecord, type SchedulerStore, type Slot, type StoredItem, type Tag, type UploadStatus } from '@ao/core';
import type { PrismaClient } from '../database/prisma.js';

type Tx = Pick<PrismaClient, '$queryRaw' | '$executeRaw'>;

interface SlotRow {
  process_id: string;
  nonce: bigint;
  timestamp: bigint;
  block_height: bigint;
  hash_chain: string;
  id: string;
  message_id: string | null;
}

interface EntryRow extends SlotRow {
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

const toEntry = (r: EntryRow): LogEntry => ({
  ...toSlot(r),
  assignment: Buffer.from(r.raw),
  message: Buffer.from(r.message_raw ?? new Uint8Array()),
});

/**
 * The SU's log in PostgreSQL. Appends to one process are serialized by a row lock on its
 * `processes` row (held for one short transaction), so any number of API and worker processes can
 * schedule concurrently without gaps or duplicate nonces; UNIQUE (process, nonce) and
 * (process, message) back that up.
 */
export class PrismaSchedulerStore implements SchedulerStore {
  constructor(private readonly prisma: PrismaClient) {}

  async getProcess(processId: string): Promise<ProcessRecord | undefined> {
    const rows = await this.prisma.$queryRaw<
      { id: string; owner: string; module: string; scheduler: string; tags: Tag[]; timestamp: bigint; block_height: bigint }[]
    >`SELECT id, owner, module, scheduler, tags, timestamp, block_height FROM processes WHERE id = ${processId}`;
    const r = rows[0];
    if (!r) return undefined;
    return { id: r.id, owner: r.owner, module: r.module, scheduler: r.scheduler, tags: r.tags, timestamp: Number(r.timestamp), blockHeight: Number(r.block_height) };
  }

  async createProcess(process: ProcessRecord, slot0: Slot, processItem: StoredItem, assignment: StoredItem): Promise<{ created: boolean; slot: Slot }> {
    return this.prisma.$transaction(async (tx) => {
      const inserted = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO processes (id, owner, module, scheduler, tags, timestamp, block_height, last_nonce, last_hash_chain, last_assignment_id, last_timestamp)
        VALUES (${process.id}, ${process.owner}, ${process.module}, ${process.scheduler}, ${JSON.stringify(process.tags)}::jsonb,
                ${process.timestamp}, ${process.blockHeight}, 0, ${slot0.hashChain}, ${slot0.assignmentId}, ${slot0.timestamp})
        ON CONFLICT (id) DO NOTHING RETURNING id`;
      if (inserted.length === 0) {
        const existing = await this.slotRows(tx, process.id, process.id);
        if (!existing) throw new AoError('CONFLICT', `Process ${process.id} exists without its slot 0`, undefined, 'transient');
        return { created: false, slot: existing };
      }
      await this.writeSlot(tx, slot0, assignment, processItem);
      return { created: true, slot: slot0 };
    });
  }

  async withLockedLog<T>(processId: string, fn: (log: LockedLog) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<{ last_nonce: bigint; last_hash_chain: string; last_assignment_id: string; last_timestamp: bigint }[]>`
          SELECT last_nonce, last_hash_chain, last_assignment_id, last_timestamp FROM processes WHERE id = ${processId} FOR UPDATE`;
        const row = rows[0];
        if (!row) throw new AoError('UNKNOWN_PROCESS', `Process ${processId} is not scheduled by this SU`, { processId });
        const head: LogHead = {
          processId,
          nonce: Number(row.last_nonce),
          hashChain: row.last_hash_chain,
          assignmentId: row.last_assignment_id,
          timestamp: Number(row.last_timestamp),
        };
        const log: LockedLog = {
          head,
          slotOfMessage: (messageId) => this.slotRows(tx, processId, messageId),
          slotOfDedupeKey: async (key) => {
            const found = await tx.$queryRaw<SlotRow[]>`
              SELECT a.process_id, a.nonce, a.timestamp, a.block_height, a.hash_chain, a.id, a.message_id
              FROM assignments a JOIN data_items d ON d.id = a.message_id
              WHERE a.process_id = ${processId} AND d.dedupe_key = ${key} LIMIT 1`;
            return found[0] ? toSlot(found[0]) : undefined;
          },
          append: async (slot, assignment, message) => {
            if (slot.nonce !== head.nonce + 1) throw new AoError('CONFLICT', `Slot ${slot.nonce} does not follow ${head.nonce}`);
            await this.writeSlot(tx, slot, assignment, message);
            await tx.$executeRaw`
              UPDATE processes SET last_nonce = ${slot.nonce}, last_hash_chain = ${slot.hashChain},
                     last_assignment_id = ${slot.assignmentId}, last_timestamp = ${slot.timestamp}
              WHERE id = ${processId}`;
          },
        };
        return fn(log);
      },
      { maxWait: 10_000, timeout: 15_000 },
    );
  }

  /** Writes a slot's message (if new), its assignment and their upload rows in one statement. */
  private async writeSlot(tx: Tx, slot: Slot, assignment: StoredItem, message?: StoredItem): Promise<void> {
    const m = message;
    await tx.$executeRaw`
      WITH item AS (
        INSERT INTO data_items (id, owner_address, target, signature_type, dedupe_key, tags, raw)
        SELECT ${m?.id ?? ''}, ${m?.ownerAddress ?? ''}, ${m?.target ?? null}, ${m?.signatureType ?? 0}, ${m?.dedupeKey ?? ''},
               ${JSON.stringify(m?.tags ?? [])}::jsonb, ${m?.raw ?? Buffer.alloc(0)}
        WHERE ${m !== undefined}
        ON CONFLICT (id) DO NOTHING
      ), slot AS (
        INSERT INTO assignments (id, process_id, nonce, epoch, message_id, timestamp, block_height, hash_chain, raw)
        VALUES (${assignment.id}, ${slot.processId}, ${slot.nonce}, 0, ${slot.messageId ?? null}, ${slot.timestamp},
                ${slot.blockHeight}, ${slot.hashChain}, ${assignment.raw})
      )
      INSERT INTO upload_outbox (item_id, process_id, nonce)
      SELECT v.item_id, ${slot.processId}, ${slot.nonce}
      FROM (VALUES (${assignment.id}), (${m?.id ?? null})) AS v(item_id)
      WHERE v.item_id IS NOT NULL
      ON CONFLICT (item_id) DO NOTHING`;
  }

  private async slotRows(tx: Tx, processId: string, messageId: string): Promise<Slot | undefined> {
    const rows = await tx.$queryRaw<SlotRow[]>`
      SELECT process_id, nonce, timestamp, block_height, hash_chain, id, message_id
      FROM assignments WHERE process_id = ${processId} AND message_id = ${messageId}`;
    return rows[0] ? toSlot(rows[0]) : undefined;
  }

  async getItem(id: string): Promise<StoredItem | undefined> {
    const rows = await this.prisma.$queryRaw<
      { id: string; owner_address: string; target: string | null; signature_type: number; dedupe_key: string; tags: Tag[]; raw: Uint8Array }[]
    >`SELECT id, owner_address, target, signature_type, dedupe_key, tags, raw FROM data_items WHERE id = ${id}`;
    const r = rows[0];
    if (!r) return undefined;
    return { id: r.id, ownerAddress: r.owner_address, target: r.target ?? undefined, signatureType: r.signature_type, dedupeKey: r.dedupe_key, tags: r.tags, raw: Buffer.from(r.raw) };
  }

  async getSlot(processId: string, messageId: string): Promise<LogEntry | undefined> {
    const rows = await this.prisma.$queryRaw<EntryRow[]>`
      SELECT a.process_id, a.nonce, a.timestamp, a.block_height, a.hash_chain, a.id, a.message_id, a.raw, d.raw AS message_raw
      FROM assignments a LEFT JOIN data_items d ON d.id = a.message_id
      WHERE a.process_id = ${processId} AND a.message_id = ${messageId}`;
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  async readLog(processId: string, q: LogQuery): Promise<{ entries: LogEntry[]; hasNextPage: boolean }> {
    const rows = await this.prisma.$queryRaw<EntryRow[]>`
      SELECT a.process_id, a.nonce, a.timestamp, a.block_height, a.hash_chain, a.id, a.message_id, a.raw, d.raw AS message_raw
      FROM assignments a LEFT JOIN data_items d ON d.id = a.message_id
      WHERE a.process_id = ${processId}
        AND (${q.fromNonce ?? null}::bigint IS NULL OR a.nonce > ${q.fromNonce ?? null}::bigint)
        AND (${q.toNonce ?? null}::bigint IS NULL OR a.nonce <= ${q.toNonce ?? null}::bigint)
        AND (${q.fromTimestamp ?? null}::bigint IS NULL OR a.timestamp > ${q.fromTimestamp ?? null}::bigint)
        AND (${q.toTimestamp ?? null}::bigint IS NULL OR a.timestamp <= ${q.toTimestamp ?? null}::bigint)
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

  async storeStandalone(item: StoredItem): Promise<void> {
    await this.prisma.$executeRaw`
      WITH item AS (
        INSERT INTO data_items (id, owner_address, target, signature_type, dedupe_key, tags, raw)
        VALUES (${item.id}, ${item.ownerAddress}, ${item.target ?? null}, ${item.signatureType}, ${item.dedupeKey}, ${JSON.stringify(item.tags)}::jsonb, ${item.raw})
        ON CONFLICT (id) DO NOTHING
      )
      INSERT INTO upload_outbox (item_id) VALUES (${item.id}) ON CONFLICT (item_id) DO NOTHING`;
  }

  async uploadStatus(processId: string): Promise<UploadStatus> {
    const rows = await this.prisma.$queryRaw<{ status: string; count: bigint }[]>`
      SELECT status, count(*) AS count FROM upload_outbox WHERE process_id = ${processId} GROUP BY status`;
    const count = (s: string) => Number(rows.find((r) => r.status === s)?.count ?? 0);
    const [edge] = await this.prisma.$queryRaw<{ first_unconfirmed: bigint | null; max_confirmed: bigint | null }[]>`
      SELECT (SELECT min(nonce) FROM upload_outbox WHERE process_id = ${processId} AND status <> 'confirmed') AS first_unconfirmed,
             (SELECT max(nonce) FROM upload_outbox WHERE process_id = ${processId} AND status = 'confirmed') AS max_confirmed`;
    const lastConfirmedNonce =
      edge.first_unconfirmed !== null ? (edge.first_unconfirmed > 0n ? Number(edge.first_unconfirmed) - 1 : null) : edge.max_confirmed !== null ? Number(edge.max_confirmed) : null;
    return { pending: count('pending'), uploaded: count('uploaded'), confirmed: count('confirmed'), failed: count('failed'), lastConfirmedNonce };
  }
}
