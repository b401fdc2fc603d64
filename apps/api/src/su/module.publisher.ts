import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AOS_MODULE_FORMAT, aosModuleData, aosModuleTags, createDataItem } from '@ao/core';
import { WALLETS, createItemSigner, type PlatformWallets } from '@ao/infra';
import { PlatformItems } from './platform-items.js';

/**
 * Publishes the platform's modules as `Type: Module` items at boot (the aos Lua runtime, whose
 * source is the item's data), stores them for the CU and queues them for the gateway, and records
 * their ids for /info. Ed25519 signatures are deterministic, so an unchanged module keeps its id.
 */
@Injectable()
export class ModulePublisher implements OnApplicationBootstrap {
  private readonly logger = new Logger('modules');

  constructor(
    @Inject(WALLETS) private readonly wallets: PlatformWallets,
    private readonly items: PlatformItems,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const item = await createDataItem({ data: aosModuleData(), tags: aosModuleTags() }, createItemSigner(this.wallets.signing));
    const modules = { ...((await this.items.fact<Record<string, string>>('modules')) ?? {}) };
    if (modules[AOS_MODULE_FORMAT] === item.id && (await this.items.stored(item.id))) return;
    modules[AOS_MODULE_FORMAT] = item.id;
    await this.items.publish('modules', item, modules);
    this.logger.log(`published module ${AOS_MODULE_FORMAT} as ${item.id}`);
  }
}
