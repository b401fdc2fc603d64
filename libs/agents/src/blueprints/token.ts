import { readFileSync } from 'node:fs';

/**
 * The token blueprint's Lua source (libs/agents/lua/token.lua): load it into an aos process with
 * an Eval from the owner or as On-Boot code. Resolved relative to this module, so it works the
 * same from src/blueprints and dist/blueprints.
 */
export const tokenBlueprint: string = readFileSync(new URL('../../lua/token.lua', import.meta.url), 'utf8');

/** Settings a token starts with; unset ones keep the blueprint's defaults. */
export interface TokenConfig {
  name?: string;
  ticker?: string;
  logo?: string;
  denomination?: number;
  /** Initial balances (integer strings); TotalSupply becomes their sum. */
  balances?: Record<string, string>;
}

/** A Lua string literal for any JS string (bytes of its UTF-8 form, escapes for the rest). */
export function luaString(value: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(value)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

const AMOUNT = /^\d{1,78}$/;

/** Boot code for a token process: the config as globals, then the blueprint. */
export function tokenBootCode(config: TokenConfig = {}): string {
  const lines: string[] = [];
  if (config.name !== undefined) lines.push(`Name = ${luaString(config.name)}`);
  if (config.ticker !== undefined) lines.push(`Ticker = ${luaString(config.ticker)}`);
  if (config.logo !== undefined) lines.push(`Logo = ${luaString(config.logo)}`);
  if (config.denomination !== undefined) {
    if (!Number.isInteger(config.denomination) || config.denomination < 0 || config.denomination > 255) {
      throw new RangeError('denomination must be an integer between 0 and 255');
    }
    lines.push(`Denomination = ${config.denomination}`);
  }
  if (config.balances !== undefined) {
    let total = 0n;
    const entries = Object.entries(config.balances).map(([account, amount]) => {
      if (!AMOUNT.test(amount)) throw new RangeError(`balance of ${account} is not an integer string`);
      total += BigInt(amount);
      return `[${luaString(account)}] = ${luaString(BigInt(amount).toString())}`;
    });
    lines.push(`Balances = { ${entries.join(', ')} }`, `TotalSupply = ${luaString(total.toString())}`);
  }
  return `${lines.join('\n')}\n${tokenBlueprint}`;
}
