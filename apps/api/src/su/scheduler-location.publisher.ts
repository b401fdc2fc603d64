import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { createDataItem } from '@ao/core';
import { ENV, WALLETS, createItemSigner, type Env, type PlatformWallets } from '@ao/infra';
import { PlatformItems } from './platform-items.js';

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
    private readonly items: PlatformItems,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const url = `${this.env.PUBLIC_URL.replace(/\/$/, '')}/su`;
    const address = this.wallets.signing.address;
    const current = await this.items.fact<{ url?: string; address?: string }>('scheduler-location');
    if (current?.url === url && current.address === address) return;
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
    await this.items.publish('scheduler-location', item, { url, address, id: item.id, ttl: TTL_MS });
    this.logger.log(`published Scheduler-Location ${item.id} for ${url}`);
  }
}
