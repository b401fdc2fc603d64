// runaway-gas: how long a message that runs until its gas is spent takes, per kind of work, at the
// CU's default gas (CU_GAS_DEFAULT). The anchor is a plain Lua loop (VM instructions only): the
// other rows are C-level work that gas now meters (docs/limits.md), and their time per budget
// should stay within a small factor of the anchor's. `--quick` uses a tenth of the budget.
import { bootAos } from '@ao/core';
import { parseEnv } from '@ao/infra';
import { mainIfScript, row, summarize } from './lib.js';

const CASES = [
  ['anchor: Lua loop (instructions only)', 'while true do end'],
  ['backtracking pattern (Lua matcher)', 'return ("a"):rep(5000):find(".-.-.-.-.-.-.-b")'],
  ['bounded pattern in C, pre-charged', 'while true do local _ = ("a"):rep(200):find(".-.-b") end'],
  ['allocation churn (1 gas per 16 B)', 'while true do local t = {} for i = 1, 100 do t[i] = ("y"):rep(1000) end end'],
  ['table.move of 1e6 (charged per element)', 'local t = {} while true do table.move(t, 1, 1e6, 2) end'],
  ['full collections (16 gas per KiB)', 'local keep = ("x"):rep(1e6) while true do collectgarbage() end'],
];

export const bench = {
  name: 'runaway-gas',
  async run({ quick }) {
    const env = parseEnv({});
    const gas = quick ? env.CU_GAS_DEFAULT / 10 : env.CU_GAS_DEFAULT;
    const rows = [];
    const timed = [];
    for (const [name, code] of CASES) {
      const booted = await bootAos({ limits: { gas, memoryBytes: env.CU_MEMORY_DEFAULT } });
      const started = performance.now();
      const r = await booted.process.evaluate(booted.msgs.eval(code));
      const ms = performance.now() - started;
      booted.process.close();
      timed.push({ name, ms, note: `${r.Error ?? 'ok'}, GasUsed ${r.GasUsed}` });
    }
    const anchor = timed[0];
    for (const t of timed) {
      rows.push(row(t.name, summarize([t.ms]), 'ms to spend the budget', { anchor: anchor.name, anchorFigure: summarize([anchor.ms]), note: t.note }));
    }
    return { rows };
  },
};

await mainIfScript(import.meta, bench);
