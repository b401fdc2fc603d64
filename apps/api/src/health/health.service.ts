import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ArweaveGateway, GATEWAY, HEARTBEATS, Heartbeats, PRISMA, REDIS, type PrismaClient } from '@ao/infra';

export type CheckName = 'postgres' | 'redis' | 'arweave' | 'worker' | 'cron';

export interface CheckResult {
  status: 'up' | 'down';
  /** Why a check is down, or what an up check saw. */
  reason?: string;
  latencyMs?: number;
}

export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<CheckName, CheckResult>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function timed(check: () => Promise<string | undefined>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const reason = await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started), ...(reason ? { reason } : {}) };
  } catch (error) {
    return { status: 'down', reason: (error as Error).message || String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Checks every service the platform depends on, concurrently, each bounded in time. */
@Injectable()
export class HealthService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(GATEWAY) private readonly gateway: ArweaveGateway,
    @Inject(HEARTBEATS) private readonly heartbeats: Heartbeats,
  ) {}

  async report(): Promise<HealthReport> {
    const heartbeat = (role: 'worker' | 'cron') => async () => {
      const status = await this.heartbeats.status(role);
      if (!status.up) throw new Error(`no ${role} heartbeat within the timeout`);
      return `${status.instances} instance(s)`;
    };
    const [postgres, redis, arweave, worker, cron] = await Promise.all([
      timed(async () => {
        await this.prisma.$queryRaw`SELECT 1`;
        return undefined;
      }),
      timed(async () => {
        await this.redis.ping();
        return undefined;
      }),
      timed(async () => `height ${(await this.gateway.info()).height}`),
      timed(heartbeat('worker')),
      timed(heartbeat('cron')),
    ]);
    const checks = { postgres, redis, arweave, worker, cron };
    const down = Object.values(checks).some((c) => c.status === 'down');
    return { status: down ? 'error' : 'ok', checks };
  }
}
