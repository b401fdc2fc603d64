import { AoError, checkItem, getTag, type LogReader, type ModuleDef, type ModuleLoader } from '@ao/core';

/**
 * Modules (a process's WebAssembly libraries) for a verifier: read from the gateway like every
 * other item of the log and checked against their ids and signatures, so verifying a process
 * trusts no host code for what its libraries compute.
 */
export class VerifiedModuleLoader implements ModuleLoader {
  constructor(private readonly reader: LogReader) {}

  async load(moduleId: string): Promise<ModuleDef> {
    const raw = (await this.reader.items([moduleId])).get(moduleId);
    if (!raw) throw new AoError('MODULE_LOAD_FAILED', `module ${moduleId} is not on the gateway`, { moduleId });
    const checked = await checkItem(raw, moduleId, 'module');
    if (!('item' in checked)) throw new AoError('MODULE_LOAD_FAILED', checked.reason, { moduleId });
    const { item } = checked;
    if (getTag(item.tags, 'Type') !== 'Module') throw new AoError('MODULE_LOAD_FAILED', `item ${moduleId} is not a Type: Module item`, { moduleId });
    return { id: item.id, owner: item.ownerAddress, tags: item.tags, format: getTag(item.tags, 'Module-Format') ?? '', source: item.data };
  }
}
