import { z } from 'zod';
import { luaString, param, parseConfig, type Blueprint } from '../blueprint.js';
import { blueprintLua, bundleLua } from '../lib/lua-libs.js';

/**
 * The token blueprint's Lua source: the shared Amount library, then libs/agents/lua/token.lua.
 * Load it into an aos process with an Eval from the owner or as On-Boot code.
 */
export const tokenSource: string = bundleLua(['amount'], blueprintLua('token.lua'));

const AMOUNT = /^\d{1,78}$/;

const tokenConfigSchema = z.strictObject({
  name: param(z.string().min(1).max(64).optional(), { help: 'Display name (Info: Name).', hot: false }),
  ticker: param(z.string().min(1).max(16).optional(), { help: 'Ticker symbol (Info: Ticker).', hot: false }),
  logo: param(z.string().max(64).optional(), { help: 'Arweave id of the logo (Info: Logo).', hot: false }),
  denomination: param(z.number().int().min(0).max(255).optional(), {
    help: 'Decimal places of one whole token: amounts are integer strings of atomic units.',
    unit: 'decimals',
    hot: false,
  }),
  balances: param(z.record(z.string().min(1).max(128), z.string().regex(AMOUNT, 'an integer string of at most 78 digits')).optional(), {
    help: 'Initial balances in atomic units; the total supply becomes their sum.',
    unit: 'atomic units',
    hot: false,
  }),
});

/** Settings a token starts with; unset ones keep the blueprint's defaults. */
export type TokenConfig = z.input<typeof tokenConfigSchema>;

/** Boot code for a token process: the config as globals, then the blueprint. */
export function tokenBootCode(input: TokenConfig = {}): string {
  const config = parseConfig(tokenBlueprint, input);
  const lines: string[] = [];
  if (config.name !== undefined) lines.push(`Name = ${luaString(config.name)}`);
  if (config.ticker !== undefined) lines.push(`Ticker = ${luaString(config.ticker)}`);
  if (config.logo !== undefined) lines.push(`Logo = ${luaString(config.logo)}`);
  if (config.denomination !== undefined) lines.push(`Denomination = ${config.denomination}`);
  if (config.balances !== undefined) {
    let total = 0n;
    const entries = Object.entries(config.balances).map(([account, amount]) => {
      total += BigInt(amount);
      return `[${luaString(account)}] = ${luaString(BigInt(amount).toString())}`;
    });
    lines.push(`Balances = { ${entries.join(', ')} }`, `TotalSupply = ${luaString(total.toString())}`);
  }
  return `${lines.join('\n')}\n${tokenSource}`;
}

/** The ao Standard Token. */
export const tokenBlueprint: Blueprint<typeof tokenConfigSchema> = {
  name: 'token',
  version: '1.1.0',
  kind: 'token',
  title: 'Token (ao Standard Token)',
  description:
    'A fungible token with the ao token standard: balances as exact integer strings of up to 78 digits, ' +
    'Transfer with Debit-Notice and Credit-Notice (X- tags forwarded, so venues can act on deposits), Mint by the ' +
    'owner, Burn, and the Info, Balance, Balances and Total-Supply queries. Venues and agents hold their inventory in it.',
  configSchema: tokenConfigSchema,
  topics: [],
  actions: [
    { name: 'Info', kind: 'query', audience: 'anyone', help: 'Name, Ticker, Logo, Denomination and Total-Supply tags.' },
    { name: 'Balance', kind: 'query', audience: 'anyone', tags: { Recipient: 'account (default: the sender)' }, help: 'The balance as Data and a Balance tag.' },
    { name: 'Balances', kind: 'query', audience: 'anyone', help: 'JSON map of every balance.' },
    { name: 'Total-Supply', kind: 'query', audience: 'anyone', help: 'The supply as Data.' },
    {
      name: 'Transfer',
      kind: 'command',
      audience: 'anyone',
      tags: { Recipient: 'account or process', Quantity: 'atomic units', 'X-*': 'forwarded onto both notices' },
      help: 'Moves Quantity to Recipient; Debit-Notice to the sender, Credit-Notice to the recipient, Transfer-Error if short.',
    },
    { name: 'Mint', kind: 'command', audience: 'owner', tags: { Quantity: 'atomic units', Recipient: 'account (default: sender)' }, help: 'Creates supply.' },
    { name: 'Burn', kind: 'command', audience: 'anyone', tags: { Quantity: 'atomic units' }, help: "Destroys the sender's units." },
  ],
  source: tokenSource,
  bootCode: tokenBootCode,
};

export { luaString };
