import { readFileSync } from 'node:fs';

/**
 * The Lua libraries blueprints share (libs/agents/lua/lib): each defines one global module and
 * keeps its state in globals that survive a re-boot. A blueprint's source is its libraries, each
 * wrapped in `do ... end` (so their locals never add up to Lua's 200-locals limit), then its own
 * Lua: the Process item holds exactly what runs, and the source hash covers the libraries.
 */
export type LuaLib = 'amount' | 'subscriptions' | 'agent';

/** What each library needs loaded before it. */
const DEPENDS: Record<LuaLib, LuaLib[]> = { amount: [], subscriptions: ['amount'], agent: ['amount', 'subscriptions'] };
const ORDER: LuaLib[] = ['amount', 'subscriptions', 'agent'];

const cache = new Map<LuaLib, string>();

/** The Lua text of one library. Resolved relative to this module (same path from src/lib and dist/lib). */
export function luaLibSource(name: LuaLib): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`../../lua/lib/${name}.lua`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** Reads a blueprint's own Lua file (libs/agents/lua/<file>). */
export function blueprintLua(file: string): string {
  return readFileSync(new URL(`../../lua/${file}`, import.meta.url), 'utf8');
}

/** The libraries `libs` need, with their dependencies, in load order. */
export function withDependencies(libs: readonly LuaLib[]): LuaLib[] {
  const wanted = new Set<LuaLib>();
  const add = (lib: LuaLib): void => {
    if (wanted.has(lib)) return;
    for (const dep of DEPENDS[lib]) add(dep);
    wanted.add(lib);
  };
  libs.forEach(add);
  return ORDER.filter((lib) => wanted.has(lib));
}

/** The libraries (with dependencies, each in its own block) followed by `parts`, as one chunk. */
export function bundleLua(libs: readonly LuaLib[], ...parts: string[]): string {
  const blocks = withDependencies(libs).map((lib) => `do -- lib/${lib}.lua\n${luaLibSource(lib)}\nend\n`);
  return [...blocks, ...parts].join('\n');
}
