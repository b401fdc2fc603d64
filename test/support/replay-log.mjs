// Evaluates one fixed 10,000-message log in a fresh aos process and writes every result (one JSON
// line each) and the final state hash to the file named by argv[2]. Run by determinism.spec.ts in
// two separate Node processes started with different V8 random seeds, time zones and clocks.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { bootAos, CHANCE_MIXER as MIXER } from '@ao/core';
import { tokenBootCode } from '@ao/agents';

const out = process.argv[2];
const count = Number(process.argv[3] ?? 10_000);

// A token (the blueprint, with Debit/Credit notices) plus the shared mixer handler, which leans
// on everything stock Lua leaves to chance: pairs order, table.sort ties, math.random.
const OWNER = 'owner-address-0000000000000000000000000000';
const booted = await bootAos({ bootCode: tokenBootCode({ name: 'Det', ticker: 'DET', balances: { [OWNER]: '1000000000000000000000' } }) + '\n' + MIXER });
const { process: proc, msgs } = booted;
const owner = booted.env.Process.Owner;
if (owner !== OWNER) throw new Error(`test owner changed: ${owner}`);
const holders = Array.from({ length: 50 }, (_, i) => `holder-${String(i).padStart(36, '0')}`);
const lines = [];
const all = createHash('sha256');
for (let i = 1; i <= count; i += 1) {
  let message;
  if (i % 3 === 0) message = msgs.message({ Action: 'Mix', N: String(i) });
  else if (i % 3 === 1) message = msgs.message({ Action: 'Transfer', Recipient: holders[i % holders.length], Quantity: String(1000 + i) }, { From: owner, Owner: owner });
  else message = msgs.message({ Action: 'Balances' });
  const line = JSON.stringify(await proc.evaluate(message));
  all.update(line);
  lines.push(line);
}
const state = await proc.stateHash();
writeFileSync(out, JSON.stringify({ state, results: all.digest('hex'), count, lines }));
proc.close();
