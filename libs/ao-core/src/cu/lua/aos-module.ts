import { readFileSync } from 'node:fs';
import type { Tag } from '../../types.js';

/** The `Module-Format` of modules whose data is the aos Lua runtime, run by a Lua 5.4 VM. */
export const AOS_MODULE_FORMAT = 'lua-5.4-aos';

/**
 * The runtime's parts, in bundle order. Each part is a Lua chunk that returns one value, bound to
 * a local of the given name that the later parts see; `process.lua` comes last and returns the
 * runtime. Both `src/cu/lua` and `dist/cu/lua` are three levels below the folder holding `lua/`.
 */
const PARTS: ReadonlyArray<readonly [local: string, file: string]> = [
  ['json', 'json.lua'],
  ['stringify', 'stringify.lua'],
  ['Handlers', 'handlers.lua'],
  ['ao', 'ao.lua'],
  ['weave', 'weave.lua'],
  ['metered', 'metered.lua'],
  ['sandbox', 'sandbox.lua'],
  ['digest', 'digest.lua'],
];
const MAIN = 'process.lua';
const LUA_DIR = new URL('../../../lua/', import.meta.url);

let cached: string | undefined;
let cachedBytes: Uint8Array | undefined;

/** The aos runtime as one Lua chunk: the data of a `lua-5.4-aos` module item. */
export function aosRuntimeSource(): string {
  if (cached === undefined) {
    const read = (file: string): string => readFileSync(new URL(file, LUA_DIR), 'utf8');
    // The host passes its host-call function as the chunk's argument (README: "Host calls").
    const header =
      `-- aos runtime for ao processes (Module-Format: ${AOS_MODULE_FORMAT}).\n` +
      '-- Bundle of libs/ao-core/lua/*.lua; host protocol in libs/ao-core/lua/README.md.\n' +
      'local aoHost = ...\n';
    const parts = PARTS.map(([local, file]) => `local ${local} = (function()\n${read(file)}\nend)()\n`);
    cached = header + parts.join('') + read(MAIN);
  }
  return cached;
}

/** The runtime's bytes, ready to be the data of a module item (a copy: callers may keep it). */
export function aosModuleData(): Uint8Array {
  cachedBytes ??= new TextEncoder().encode(aosRuntimeSource());
  return cachedBytes.slice();
}

/** The tags of an aos module item (besides the ones the signer adds). */
export function aosModuleTags(extra: Tag[] = []): Tag[] {
  return [
    { name: 'Data-Protocol', value: 'ao' },
    { name: 'Variant', value: 'ao.TN.1' },
    { name: 'Type', value: 'Module' },
    { name: 'Module-Format', value: AOS_MODULE_FORMAT },
    { name: 'Input-Encoding', value: 'JSON-1' },
    { name: 'Output-Encoding', value: 'JSON-1' },
    { name: 'Content-Type', value: 'text/x-lua' },
    ...extra,
  ];
}
