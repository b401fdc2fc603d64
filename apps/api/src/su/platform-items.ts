import { Inject, Injectable } from '@nestjs/common';
import { toStoredItem, type SchedulerStore, type SignedDataItem } from '@ao/core';
import { PRISMA, type Prisma, type PrismaClient } from '@ao/infra';
import { SCHEDULER_STORE } from './su.tokens.js';

/**
 * Items the platform signs about itself (its modules, its Scheduler-Location): each is stored for
 * the upload outbox once, with a fact about it kept under a key of `platform_state` so the next
 * boot can tell whether it must publish again.
 */
@Injectable()
export class PlatformItems {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SCHEDULER_STORE) private readonly store: SchedulerStore,
  ) {}

  /** The fact recorded under `key`, if any. */
  async fact<T>(key: string): Promise<T | undefined> {
    const row = await this.prisma.platformState.findUnique({ where: { key } });
    return (row?.value as T | undefined) ?? undefined;
  }

  /** Whether the item is already stored (and so queued or uploaded). */
  async stored(id: string): Promise<boolean> {
    return (await this.store.getItem(id)) !== undefined;
  }

  /** Stores the item for upload, then records `fact` under `key`. */
  async publish(key: string, item: SignedDataItem, value: Prisma.InputJsonObject): Promise<void> {
    await this.store.storeStandalone(toStoredItem(item));
    await this.prisma.platformState.upsert({ where: { key }, create: { key, value }, update: { value } });
  }
}
