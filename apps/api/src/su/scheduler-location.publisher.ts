import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { createDataItem, toStoredItem, type SchedulerStore } from '@ao/core';
import { ENV, PRISMA, WALLETS, createItemSigner, type Env, type PlatformWallets, type PrismaClient } from '@ao/infra';
import { SCHEDULER_STORE } from './su.tokens.js';

const TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Publishes the SU's Scheduler-Location item (Url = PUBLIC_URL/su) once, and again when the URL or
 * the wallet changes, so ao clients can find this SU through the gateway's GraphQL.
 */
@Injectable()
export class SchedulerLocationPublisher implements OnApplicationBootstrap {
  private readonly logger = new Logger('su');

  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(WALLETS) private readonly wallets: PlatformWallets,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SCHEDULER_STORE) private readonly store: SchedulerStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const url = `${this.env.PUBLIC_URL.replace(/\/$/, '')}/su`;
    const address = this.wallets.signing.address;
    const current = await this.prisma.platformState.findUnique({ where: { key: 'scheduler-location' } });
    const value = current?.value as { url?: string; address?: string } | undefined;
    if (value?.url === url && value.address === address) return;
    const item = await createDataItem(
      {
        data: '',
        tags: [
          { name: 'Data-Protocol', value: 'ao' },
          { name: 'Variant', value: 'ao.TN.1' },
          { name: 'Type', value: 'Scheduler-Location' },
          { name: 'Url', value: url },
          { name: 'Time-To-Live', value: String(TTL_MS) },
        ],
      },
      createItemSigner(this.wallets.signing),
    );
    await this.store.storeStandalone(toStoredItem(item));
    const fact = { url, address, id: item.id, ttl: TTL_MS };
    await this.prisma.platformState.upsert({
      where: { key: 'scheduler-location' },
      create: { key: 'scheduler-location', value: fact },
      update: { value: fact },
    });
    this.logger.log(`published Scheduler-Location ${item.id} for ${url}`);
  }
}
