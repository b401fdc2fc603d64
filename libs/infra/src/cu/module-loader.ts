import { AoError, getTag, parseDataItem, type ModuleDef, type ModuleLoader, type SchedulerStore } from '@ao/core';
import type { ArweaveGateway } from '../arweave/gateway.js';

/** Loads modules from the SU's item store first, then from the gateway; caches them (modules are immutable). */
export class StoreModuleLoader implements ModuleLoader {
  private readonly cache = new Map<string, Promise<ModuleDef>>();

  constructor(
    private readonly store: SchedulerStore,
    private readonly gateway: ArweaveGateway,
  ) {}

  load(moduleId: string): Promise<ModuleDef> {
    let found = this.cache.get(moduleId);
    if (!found) {
      found = this.fetch(moduleId);
      this.cache.set(moduleId, found);
      found.catch(() => this.cache.delete(moduleId));
    }
    return found;
  }

  private async fetch(moduleId: string): Promise<ModuleDef> {
    const stored = await this.store.getItem(moduleId);
    if (stored) return toModule(parseDataItem(stored.raw));
    const node = await this.gateway
      .graphql<{ transactions: { edges: { node: { id: string; owner: { address: string }; tags: { name: string; value: string }[] } }[] } }>(
        'query($ids: [ID!]) { transactions(ids: $ids) { edges { node { id owner { address } tags { name value } } } } }',
        { ids: [moduleId] },
      )
      .then((d) => d.transactions.edges[0]?.node)
      .catch((error: Error) => {
        throw new AoError('MODULE_LOAD_FAILED', `Module ${moduleId}: ${error.message}`, { moduleId }, 'transient');
      });
    // Not there yet is not invalid: a gateway may index a module late, so these may succeed on a retry.
    if (!node) throw new AoError('MODULE_LOAD_FAILED', `Module ${moduleId} is not on this SU nor on the gateway`, { moduleId }, 'transient');
    const data = await this.gateway.data(moduleId);
    if (!data) throw new AoError('MODULE_LOAD_FAILED', `Module ${moduleId} has no data on the gateway`, { moduleId }, 'transient');
    return checked({ id: moduleId, owner: node.owner.address, tags: node.tags, format: getTag(node.tags, 'Module-Format') ?? '', source: data });
  }
}

function toModule(item: { id: string; ownerAddress: string; tags: { name: string; value: string }[]; data: Buffer }): ModuleDef {
  return checked({ id: item.id, owner: item.ownerAddress, tags: item.tags, format: getTag(item.tags, 'Module-Format') ?? '', source: item.data });
}

function checked(mod: ModuleDef): ModuleDef {
  if (getTag(mod.tags, 'Type') !== 'Module') {
    throw new AoError('MODULE_LOAD_FAILED', `Item ${mod.id} is not a Type: Module item`, { moduleId: mod.id });
  }
  return mod;
}
