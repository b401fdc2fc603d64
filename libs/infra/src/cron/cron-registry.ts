import { AoError, cronCursorAt, cronSpec, type MissedTickPolicy, type SchedulerStore, type Tag } from '@ao/core';
import type { Prisma, PrismaClient } from '../database/prisma.js';
import type { ArweaveGateway } from '../arweave/gateway.js';
import { storableTags, tagsFromStore } from '../database/stored-tags.js';

export interface CronRegistrationView {
  processId: string;
  interval: string;
  unit: 'ms' | 'blocks';
  period: number;
  origin: number;
  policy: MissedTickPolicy;
  status: 'active' | 'paused';
  /** The latest tick put on the SU (time in ms or block height), or null before the first. */
  lastTick: number | null;
  /** The next tick to emit: the oldest claimed one still on its way, else the next one to claim. */
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
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Registers every Cron-Interval of a process, aligned to its creation time (or height), starting
   * with the first tick after now: ticks that fell before monitoring are not back-filled. Every
   * interval is checked before anything is stored. Idempotent: an existing registration (active
   * or paused) is left as it is.
   */
  async monitor(processId: string, requester?: string): Promise<CronRegistrationView[]> {
    const process = await this.ownedProcess(processId, requester, 'monitor');
    const { intervals, tickTags } = cronSpec(process.tags, this.minimumMs);
    if (intervals.length === 0) throw new AoError('INVALID_REQUEST', `Process ${processId} has no Cron-Interval tag`, { processId });
    const policyTag = process.tags.find((t) => t.name === 'Cron-Missed-Policy')?.value;
    if (policyTag !== undefined && policyTag !== 'catch-up' && policyTag !== 'coalesce') {
      throw new AoError('INVALID_REQUEST', `Cron-Missed-Policy "${policyTag}" must be "catch-up" or "coalesce"`, { processId, policy: policyTag });
    }
    const policy: MissedTickPolicy = policyTag ?? this.defaultPolicy;
    const height = intervals.some((i) => i.unit === 'blocks') ? await this.gateway.blockHeight() : 0;
    const now = this.now();
    await this.prisma.cronRegistration.createMany({
      data: intervals.map((interval) => {
        const origin = interval.unit === 'ms' ? process.timestamp : process.blockHeight;
        const cursor = cronCursorAt(origin, interval.period, interval.unit === 'ms' ? now : height);
        return { processId, interval: interval.text, unit: interval.unit, period: interval.period, origin, lastTick: cursor, tickTags: JSON.parse(storableTags(tickTags)) as never, policy };
      }),
      skipDuplicates: true,
    });
    return this.list(processId);
  }

  /** Stops ticks for a process: once this returns, no tick of it is emitted (one in flight has landed). */
  async unmonitor(processId: string, requester?: string): Promise<number> {
    await this.ownedProcess(processId, requester, 'unmonitor');
    return this.prisma.$transaction(async (tx) => {
      await this.lock(tx, processId);
      await tx.cronTick.deleteMany({ where: { processId, nonce: null } });
      const { count } = await tx.cronRegistration.deleteMany({ where: { processId } });
      return count;
    });
  }

  /**
   * Pauses or resumes a process's ticks (admin). Pausing waits for a tick in flight and drops the
   * claimed ones not yet emitted, rewinding the cursor before them; on resume, the ticks missed
   * while paused follow the registration's missed-tick policy.
   */
  async setStatus(processId: string, status: 'active' | 'paused'): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const count = await this.lock(tx, processId);
      if (count === 0) throw new AoError('NOT_FOUND', `Process ${processId} has no cron registration`, { processId });
      if (status === 'paused') {
        await tx.$executeRaw`
          UPDATE cron_registrations r SET last_tick = p.first - r.period
          FROM (SELECT "interval", min(tick) AS first FROM cron_ticks WHERE process_id = ${processId} AND nonce IS NULL GROUP BY "interval") p
          WHERE r.process_id = ${processId} AND r."interval" = p."interval"`;
        await tx.cronTick.deleteMany({ where: { processId, nonce: null } });
      }
      await tx.cronRegistration.updateMany({ where: { processId }, data: { status, updatedAt: new Date() } });
      return count;
    });
  }

  /** Registrations with their last emitted and next tick. */
  async list(processId?: string): Promise<CronRegistrationView[]> {
    const rows = await this.prisma.cronRegistration.findMany({ where: processId ? { processId } : {}, orderBy: [{ createdAt: 'asc' }], take: 1000 });
    const pending = await this.prisma.cronTick.groupBy({
      by: ['processId', 'interval'],
      where: { nonce: null, processId: { in: rows.map((r) => r.processId) } },
      _min: { tick: true },
    });
    const firstPending = new Map(pending.map((p) => [`${p.processId}:${p.interval}`, p._min.tick]));
    return rows.map((r) => {
      const period = Number(r.period);
      const origin = Number(r.origin);
      const claimed = firstPending.get(`${r.processId}:${r.interval}`);
      return {
        processId: r.processId,
        interval: r.interval,
        unit: r.unit as 'ms' | 'blocks',
        period,
        origin,
        policy: r.policy as MissedTickPolicy,
        status: r.status as 'active' | 'paused',
        lastTick: r.lastEmitted === null ? null : Number(r.lastEmitted),
        nextTick: claimed != null ? Number(claimed) : Number(r.lastTick ?? r.origin) + period,
        tickTags: tagsFromStore(r.tickTags),
      };
    });
  }

  private async ownedProcess(processId: string, requester: string | undefined, action: string) {
    const process = await this.log.getProcess(processId);
    if (!process) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    if (requester !== undefined && requester !== process.owner) {
      throw new AoError('FORBIDDEN', `Only the process owner may ${action} it`, { processId, owner: process.owner, requester });
    }
    return process;
  }

  /** Locks a process's registrations, waiting for a worker emitting one of its ticks; answers how many. */
  private async lock(tx: Prisma.TransactionClient, processId: string): Promise<number> {
    const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM cron_registrations WHERE process_id = ${processId} FOR UPDATE`;
    return rows.length;
  }
}
