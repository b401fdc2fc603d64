import { createDataItem, type ItemSigner, type SignedDataItem, type Tag } from '@ao/core';
import type { ArweaveGateway } from '../arweave/gateway.js';
import type { PrismaClient } from '../database/prisma.js';

export interface PublishReport {
  published: number;
  failed: number;
}

export interface CheckpointPublisherOptions {
  /** Rows claimed per round. */
  batchSize: number;
  /** How long a claimed row stays invisible to other publishers (a crashed one gives it back after this). */
  leaseSeconds: number;
  /** Longest wait between two attempts of a failing row. */
  maxBackoffSeconds: number;
}

const DEFAULTS: CheckpointPublisherOptions = { batchSize: 4, leaseSeconds: 120, maxBackoffSeconds: 600 };

interface Claimed {
  process_id: string;
  nonce: bigint;
  module_id: string;
  state_hash: string;
  sha256: string;
  timestamp: bigint;
  content_encoding: string;
  bytes: Uint8Array;
  publish_attempts: number;
}

/** The tags of an ao `Checkpoint` item (PROTOCOL.md), plus its content type and the state hash. */
export function checkpointTags(c: { processId: string; moduleId: string; nonce: number; timestamp: number; sha256: string; contentEncoding: string; stateHash: string }): Tag[] {
  return [
    { name: 'Data-Protocol', value: 'ao' },
    { name: 'Variant', value: 'ao.TN.1' },
    { name: 'Type', value: 'Checkpoint' },
    { name: 'Process', value: c.processId },
    { name: 'Module', value: c.moduleId },
    { name: 'Nonce', value: String(c.nonce) },
    { name: 'Timestamp', value: String(c.timestamp) },
    { name: 'SHA-256', value: c.sha256 },
    { name: 'Content-Encoding', value: c.contentEncoding },
    { name: 'Content-Type', value: 'application/octet-stream' },
    { name: 'State-Hash', value: c.stateHash },
  ];
}

/**
 * Publishes saved checkpoints as ao `Checkpoint` data items signed by the platform's signing wallet,
 * one bundle each, and records the item id as `gateway_id`. Rows are leased with SKIP LOCKED (several
 * workers share the work, a crashed one gives its rows back when the lease ends) and posted outside
 * any transaction; a failure leaves the row for a later round with a growing backoff and the reason.
 * Runs beside evaluation, never in its way: a gateway outage only delays publication.
 */
export class CheckpointPublisher {
  private readonly options: CheckpointPublisherOptions;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly gateway: ArweaveGateway,
    private readonly signer: ItemSigner,
    options: Partial<CheckpointPublisherOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Publishes due rows until none are left (or `maxRounds`); `shouldStop` is asked between items. */
  async publishDue(maxRounds = 10, shouldStop: () => boolean = () => false): Promise<PublishReport> {
    const report: PublishReport = { published: 0, failed: 0 };
    for (let round = 0; round < maxRounds && !shouldStop(); round += 1) {
      const rows = await this.claim();
      if (rows.length === 0) break;
      for (const row of rows) {
        if (shouldStop()) {
          await this.release(row);
          continue;
        }
        if (await this.publish(row)) report.published += 1;
        else report.failed += 1;
      }
    }
    return report;
  }

  private claim(): Promise<Claimed[]> {
    return this.prisma.$queryRaw<Claimed[]>`
      UPDATE cu_checkpoints SET publish_after = now() + make_interval(secs => ${this.options.leaseSeconds}), publish_attempts = publish_attempts + 1
      WHERE (process_id, nonce) IN (
        SELECT process_id, nonce FROM cu_checkpoints
        WHERE gateway_id IS NULL AND rejected_reason IS NULL AND publish_after <= now()
        ORDER BY publish_after LIMIT ${this.options.batchSize}
        FOR UPDATE SKIP LOCKED)
      RETURNING process_id, nonce, module_id, state_hash, sha256, timestamp, content_encoding, bytes, publish_attempts`;
  }

  private async publish(row: Claimed): Promise<boolean> {
    let item: SignedDataItem;
    try {
      const tags = checkpointTags({
        processId: row.process_id,
        moduleId: row.module_id,
        nonce: Number(row.nonce),
        timestamp: Number(row.timestamp),
        sha256: row.sha256,
        contentEncoding: row.content_encoding,
        stateHash: row.state_hash,
      });
      item = await createDataItem({ data: row.bytes, tags }, this.signer, { maxBytes: row.bytes.length + 64 * 1024 });
      await this.gateway.postBundle([item.raw]);
    } catch (error) {
      const backoff = Math.min(this.options.maxBackoffSeconds, 2 ** Math.min(row.publish_attempts, 20));
      await this.prisma.$executeRaw`
        UPDATE cu_checkpoints SET publish_after = now() + make_interval(secs => ${backoff}), publish_error = ${(error as Error).message.slice(0, 1000)}
        WHERE process_id = ${row.process_id} AND nonce = ${row.nonce}`;
      return false;
    }
    await this.prisma.$executeRaw`
      UPDATE cu_checkpoints SET gateway_id = ${item.id}, published_at = now(), publish_error = NULL
      WHERE process_id = ${row.process_id} AND nonce = ${row.nonce}`;
    return true;
  }

  private async release(row: Claimed): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE cu_checkpoints SET publish_after = now(), publish_attempts = publish_attempts - 1
      WHERE process_id = ${row.process_id} AND nonce = ${row.nonce}`;
  }
}
