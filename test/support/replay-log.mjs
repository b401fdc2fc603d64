// Evaluates one fixed 10,000-message log in a fresh aos process and writes every result (one JSON
// line each) and the final state hash to the file named by argv[2]. Run by determinism.spec.ts in
// two separate Node processes started with different V8 random seeds, time zones and clocks.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { bootAos } from '@ao/core';
import { tokenBootCode } from '@ao/agents';

const out = process.argv[2];
const count = Number(process.argv[3] ?? 10_000);

// A token (the blueprint, with Debit/Credit notices) plus a handler that leans on everything stock
// Lua leaves to chance: pairs order over many string keys, table.sort with ties, math.random.
const MIXER = `
Bag = Bag or {}
Handlers.add("mix", "Mix", function(msg)
  local n = tonumber(msg.N)
  for i = 1, 20 do Bag["k" .. ((n * 31 + i * 17) % 700)] = n end
  local order = {}
  for k in pairs(Bag) do order[#order + 1] = k end
  local items = {}
  for i = 1, 60 do items[i] = { key = (i * n) % 5, id = i } end
  table.sort(items, function(a, b) return a.key < b.key end)
  local ids = {}
  for i = 1, 60 do ids[i] = items[i].id end
  msg.reply({ Order = table.concat(order, ",", 1, math.min(#order, 40)), Sorted = table.concat(ids, ","),
    Roll = tostring(math.random(1, 1000000)), Time = tostring(os.time()), Float = tostring(math.random()) })
end)
`;

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
