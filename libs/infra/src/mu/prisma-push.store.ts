import type { EvalResult, PushRecord, PushStore } from '@ao/core';
import type { PrismaClient } from '../database/prisma.js';

/** The MU's records in Postgres: pushes under their deterministic ids, and each result's crank status. */
export class PrismaPushStore implements PushStore {
  constructor(private readonly prisma: PrismaClient) {}

  async result(processId: string, nonce: number): Promise<{ messageId: string; result: EvalResult } | undefined> {
    const row = await this.prisma.result.findUnique({ where: { processId_nonce: { processId, nonce } }, select: { messageId: true, result: true } });
    return row ? { messageId: row.messageId, result: row.result as unknown as EvalResult } : undefined;
  }

  async pushesOf(processId: string, nonce: number): Promise<Map<string, PushRecord>> {
    const rows = await this.prisma.push.findMany({ where: { fromProcess: processId, fromNonce: nonce } });
    return new Map(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          fromProcess: row.fromProcess,
          fromNonce: Number(row.fromNonce),
          kind: row.kind as PushRecord['kind'],
          idx: row.idx,
          itemId: row.itemId ?? undefined,
          target: row.target ?? undefined,
          pushedFor: row.pushedFor ?? undefined,
          depth: row.depth,
          status: row.status as PushRecord['status'],
          error: row.error ?? undefined,
        },
      ]),
    );
  }

  async recordPushes(pushes: PushRecord[]): Promise<void> {
    if (pushes.length === 0) return;
    await this.prisma.push.createMany({
      data: pushes.map((p) => ({
        id: p.id,
        fromProcess: p.fromProcess,
        fromNonce: p.fromNonce,
        kind: p.kind,
        idx: p.idx,
        itemId: p.itemId ?? null,
        target: p.target ?? null,
        pushedFor: p.pushedFor ?? null,
        depth: p.depth,
        status: p.status,
        error: p.error ?? null,
      })),
      skipDuplicates: true,
    });
  }

  async depthOf(messageId: string): Promise<number> {
    const row = await this.prisma.push.findFirst({ where: { itemId: messageId, kind: { in: ['message', 'spawned'] } }, select: { depth: true } });
    return row?.depth ?? 0;
  }

  async finishCrank(processId: string, nonce: number, status: 'done' | 'failed', error?: string): Promise<void> {
    await this.prisma.result.update({
      where: { processId_nonce: { processId, nonce } },
      data: { crankStatus: status, ...(error ? { error } : {}) },
    });
  }
}
