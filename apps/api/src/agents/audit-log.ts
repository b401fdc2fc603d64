import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type Prisma, type PrismaClient } from '@ao/infra';
import type { Principal } from '../auth/principal.js';

/** Who did what to which agent, when, and the id of the signed message it produced. */
@Injectable()
export class AuditLog {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async record(actor: Principal, action: string, agentId: string | null, messageId: string | null, details: Record<string, unknown> = {}): Promise<void> {
    await this.prisma.auditEntry.create({ data: { actorId: actor.userId, actor: actor.label, action, agentId, messageId, details: details as Prisma.InputJsonObject } });
  }

  async forAgent(agentId: string, before: bigint | undefined, limit: number) {
    const rows = await this.prisma.auditEntry.findMany({ where: { agentId, ...(before !== undefined ? { id: { lt: before } } : {}) }, orderBy: { id: 'desc' }, take: limit + 1 });
    return {
      items: rows.slice(0, limit).map((r) => ({ id: String(r.id), at: r.at.toISOString(), actorId: r.actorId, actor: r.actor, action: r.action, messageId: r.messageId, details: r.details as Record<string, unknown> })),
      nextCursor: rows.length > limit ? String(rows[limit - 1].id) : null,
    };
  }
}
