import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AOS_MODULE_FORMAT, aosModuleData, aosModuleTags, createDataItem, toStoredItem, type SchedulerStore } from '@ao/core';
import { PRISMA, WALLETS, createItemSigner, type PlatformWallets, type PrismaClient } from '@ao/infra';
import { SCHEDULER_STORE } from './su.tokens.js';

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
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SCHEDULER_STORE) private readonly store: SchedulerStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const item = await createDataItem({ data: aosModuleData(), tags: aosModuleTags() }, createItemSigner(this.wallets.signing));
    const current = await this.prisma.platformState.findUnique({ where: { key: 'modules' } });
    const modules = { ...((current?.value as Record<string, string> | undefined) ?? {}) };
    if (modules[AOS_MODULE_FORMAT] === item.id && (await this.store.getItem(item.id))) return;
    await this.store.storeStandalone(toStoredItem(item));
    modules[AOS_MODULE_FORMAT] = item.id;
    await this.prisma.platformState.upsert({ where: { key: 'modules' }, create: { key: 'modules', value: modules }, update: { value: modules } });
    this.logger.log(`published module ${AOS_MODULE_FORMAT} as ${item.id}`);
  }
}
