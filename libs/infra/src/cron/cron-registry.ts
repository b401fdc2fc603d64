import { AoError, cronSpec, type MissedTickPolicy, type SchedulerStore, type Tag } from '@ao/core';
import type { PrismaClient } from '../database/prisma.js';
import type { ArweaveGateway } from '../arweave/gateway.js';

export interface CronRegistrationView {
  processId: string;
  interval: string;
  unit: 'ms' | 'blocks';
  period: number;
  origin: number;
  policy: MissedTickPolicy;
  status: 'active' | 'paused';
  lastTick: number | null;
  nextTick: number;
  tickTags: Tag[];
}

/** Cron registrations in Postgres: monitor/unmonitor, pause/resume, and the admin listing. */
export class CronRegistry {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: SchedulerStore,
    private readonly gateway: ArweaveGateway,
    private readonly minimumMs: number,
    private readonly defaultPolicy: MissedTickPolicy,
  ) {}

  /** Registers every Cron-Interval of a process (aligned to its creation time or height); idempotent. */
  async monitor(processId: string, requester?: string): Promise<CronRegistrationView[]> {
    const process = await this.log.getProcess(processId);
    if (!process) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    if (requester !== undefined && requester !== process.owner) {
      throw new AoError('FORBIDDEN', 'Only the process owner may monitor it', { processId, owner: process.owner, requester });
    }
    const { intervals, tickTags } = cronSpec(process.tags, this.minimumMs);
    if (intervals.length === 0) throw new AoError('INVALID_REQUEST', `Process ${processId} has no Cron-Interval tag`, { processId });
    const policyTag = process.tags.find((t) => t.name === 'Cron-Missed-Policy')?.value;
    const policy: MissedTickPolicy = policyTag === 'coalesce' || policyTag === 'catch-up' ? policyTag : this.defaultPolicy;
    for (const interval of intervals) {
      const origin = interval.unit === 'ms' ? process.timestamp : process.blockHeight;
      await this.prisma.cronRegistration.upsert({
        where: { processId_interval: { processId, interval: interval.text } },
        create: { processId, interval: interval.text, unit: interval.unit, period: interval.period, origin, tickTags: tickTags as never, policy },
        update: { status: 'active', updatedAt: new Date() },
      });
    }
    return this.list(processId);
  }

  /** Stops ticks for a process (they start again, aligned as before, on the next monitor). */
  async unmonitor(processId: string, requester?: string): Promise<number> {
    const process = await this.log.getProcess(processId);
    if (!process) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    if (requester !== undefined && requester !== process.owner) {
      throw new AoError('FORBIDDEN', 'Only the process owner may unmonitor it', { processId, owner: process.owner, requester });
    }
    const { count } = await this.prisma.cronRegistration.deleteMany({ where: { processId } });
    return count;
  }

  /** Pauses or resumes a process's ticks (admin). */
  async setStatus(processId: string, status: 'active' | 'paused'): Promise<number> {
    const { count } = await this.prisma.cronRegistration.updateMany({ where: { processId }, data: { status, updatedAt: new Date() } });
    if (count === 0) throw new AoError('NOT_FOUND', `Process ${processId} has no cron registration`, { processId });
    return count;
  }

  /** Registrations with their last and next tick. */
  async list(processId?: string): Promise<CronRegistrationView[]> {
    const rows = await this.prisma.cronRegistration.findMany({ where: processId ? { processId } : {}, orderBy: [{ createdAt: 'asc' }], take: 1000 });
    const height = rows.some((r) => r.unit === 'blocks') ? await this.gateway.blockHeight().catch(() => 0) : 0;
    void height;
    return rows.map((r) => {
      const period = Number(r.period);
      const origin = Number(r.origin);
      const last = r.lastTick === null ? null : Number(r.lastTick);
      return {
        processId: r.processId,
        interval: r.interval,
        unit: r.unit as 'ms' | 'blocks',
        period,
        origin,
        policy: r.policy as MissedTickPolicy,
        status: r.status as 'active' | 'paused',
        lastTick: last,
        nextTick: (last ?? origin) + period,
        tickTags: r.tickTags as unknown as Tag[],
      };
    });
  }
}
