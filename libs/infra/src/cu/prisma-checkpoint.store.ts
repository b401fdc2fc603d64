import type { CheckpointStore, CheckpointSummary, StoredCheckpoint } from '@ao/core';
import type { PrismaClient } from '../database/prisma.js';

interface Row {
  process_id: string;
  nonce: bigint;
  module_id: string;
  state_hash: string;
  sha256: string;
  assignment_id: string;
  hash_chain: string;
  timestamp: bigint;
  content_encoding: string;
  size: number;
  gateway_id: string | null;
  created_at: Date;
}

function toSummary(r: Row): CheckpointSummary {
  return {
    processId: r.process_id,
    nonce: Number(r.nonce),
    moduleId: r.module_id,
    stateHash: r.state_hash,
    sha256: r.sha256,
    assignmentId: r.assignment_id,
    hashChain: r.hash_chain,
    timestamp: Number(r.timestamp),
    contentEncoding: r.content_encoding,
    size: r.size,
    ...(r.gateway_id ? { gatewayId: r.gateway_id } : {}),
    createdAt: r.created_at,
  };
}

/**
 * Checkpoints in Postgres (`cu_checkpoints`), bytes as the codec encoded them. A save is
 * idempotent per (process, nonce): the first one stays, unless it was rejected, which a new one
 * replaces. Each save prunes the process's usable checkpoints to the newest `keep` (older rejected
 * rows go with them), which bounds the disk a process costs.
 */
export class PrismaCheckpointStore implements CheckpointStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly keep = 3,
  ) {}

  async save(c: StoredCheckpoint): Promise<void> {
    const bytes = Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength);
    await this.prisma.$transaction([
      this.prisma.$executeRaw`
        INSERT INTO cu_checkpoints (process_id, nonce, module_id, state_hash, sha256, assignment_id, hash_chain, timestamp, content_encoding, bytes, size)
        VALUES (${c.processId}, ${c.nonce}, ${c.moduleId}, ${c.stateHash}, ${c.sha256}, ${c.assignmentId}, ${c.hashChain}, ${c.timestamp},
                ${c.contentEncoding}, ${bytes}, ${bytes.length})
        ON CONFLICT (process_id, nonce) DO UPDATE SET
          module_id = EXCLUDED.module_id, state_hash = EXCLUDED.state_hash, sha256 = EXCLUDED.sha256,
          assignment_id = EXCLUDED.assignment_id, hash_chain = EXCLUDED.hash_chain, timestamp = EXCLUDED.timestamp,
          content_encoding = EXCLUDED.content_encoding, bytes = EXCLUDED.bytes, size = EXCLUDED.size,
          gateway_id = NULL, published_at = NULL, publish_attempts = 0, publish_after = now(), publish_error = NULL,
          rejected_reason = NULL, created_at = now()
        WHERE cu_checkpoints.rejected_reason IS NOT NULL`,
      this.prisma.$executeRaw`
        DELETE FROM cu_checkpoints WHERE process_id = ${c.processId} AND nonce < (
          SELECT nonce FROM cu_checkpoints WHERE process_id = ${c.processId} AND rejected_reason IS NULL
          ORDER BY nonce DESC OFFSET ${this.keep - 1} LIMIT 1)`,
    ]);
  }

  async latest(processId: string, atOrBelowNonce: number): Promise<CheckpointSummary[]> {
    const rows = await this.prisma.$queryRaw<Row[]>`
      SELECT process_id, nonce, module_id, state_hash, sha256, assignment_id, hash_chain, timestamp, content_encoding, size, gateway_id, created_at
      FROM cu_checkpoints WHERE process_id = ${processId} AND nonce <= ${atOrBelowNonce} AND rejected_reason IS NULL
      ORDER BY nonce DESC LIMIT 10`;
    return rows.map(toSummary);
  }

  async read(processId: string, nonce: number): Promise<Uint8Array | undefined> {
    const rows = await this.prisma.$queryRaw<{ bytes: Uint8Array }[]>`
      SELECT bytes FROM cu_checkpoints WHERE process_id = ${processId} AND nonce = ${nonce}`;
    return rows[0]?.bytes;
  }

  async list(processId: string): Promise<CheckpointSummary[]> {
    const rows = await this.prisma.$queryRaw<Row[]>`
      SELECT process_id, nonce, module_id, state_hash, sha256, assignment_id, hash_chain, timestamp, content_encoding, size, gateway_id, created_at
      FROM cu_checkpoints WHERE process_id = ${processId} AND rejected_reason IS NULL ORDER BY nonce DESC`;
    return rows.map(toSummary);
  }

  async reject(processId: string, nonce: number, reason: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE cu_checkpoints SET rejected_reason = ${reason.slice(0, 1000)} WHERE process_id = ${processId} AND nonce = ${nonce}`;
  }
}
