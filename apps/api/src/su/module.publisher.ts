import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AOS_MODULE_FORMAT, aosModuleData, aosModuleTags, createDataItem, type Tag } from '@ao/core';
import { MEDIA_CODEC_MODULE, mediaCodecTags, mediaCodecWasm } from '@ao/agents';
import { WALLETS, createItemSigner, type PlatformWallets } from '@ao/infra';
import { PlatformItems } from './platform-items.js';

/**
 * Publishes the platform's modules as `Type: Module` items at boot (the aos Lua runtime, whose
 * source is the item's data, and the media codec library that media verifiers call), stores them
 * for the CU and queues them for the gateway, and records their ids for /info (under their
 * `Module-Format`, the codec under `media-codec`). Ed25519 signatures are deterministic, so an
 * unchanged module keeps its id.
 */
@Injectable()
export class ModulePublisher implements OnApplicationBootstrap {
  private readonly logger = new Logger('modules');

  constructor(
    @Inject(WALLETS) private readonly wallets: PlatformWallets,
    private readonly items: PlatformItems,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const published: Array<[key: string, data: Uint8Array, tags: Tag[]]> = [
      [AOS_MODULE_FORMAT, aosModuleData(), aosModuleTags()],
      [MEDIA_CODEC_MODULE, mediaCodecWasm(), mediaCodecTags()],
    ];
    const modules = { ...((await this.items.fact<Record<string, string>>('modules')) ?? {}) };
    for (const [key, data, tags] of published) {
      const item = await createDataItem({ data, tags }, createItemSigner(this.wallets.signing));
      if (modules[key] === item.id && (await this.items.stored(item.id))) continue;
      modules[key] = item.id;
      await this.items.publish('modules', item, modules);
      this.logger.log(`published module ${key} as ${item.id}`);
    }
  }
}
