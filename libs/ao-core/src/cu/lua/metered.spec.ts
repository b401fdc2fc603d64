import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LuaVm } from './lua-vm.js';
import { bootAos, evalOk, type BootedProcess } from './testing.js';

/**
 * The metered string library (lua/metered.lua): C-level work pays gas, so a runaway pattern ends
 * "out of gas" with the same GasUsed on every replay, and the Lua matcher it falls back to agrees
 * with Lua's own (C) matcher, the oracle, on every call below.
 */

const GAS = 20_000_000;

// [subject, pattern, init?] triples covering every pattern item of the Lua manual (§6.4.1).
const CASES: Array<[string, string, number?]> = [
  ['hello world', 'o w'],
  ['hello world', 'l+'],
  ['hello world', 'l*o'],
  ['hello world', 'l-o'],
  ['hello world', 'x?h'],
  ['hello world', '^h.-o'],
  ['hello world', 'd$'],
  ['hello world', 'o$'],
  ['hello world', '(h)(e)(l)'],
  ['hello world', '()ll()'],
  ['hello world', '%a+', 3],
  ['hello world', '%a+', -3],
  ['  trim me  ', '^%s*(.-)%s*$'],
  ['key = value', '(%w+)%s*=%s*(%w+)'],
  ['THE (quick) fox', '%((%a+)%)'],
  ['f(a(b)c)d', '%b()'],
  ['THE (quick) fox', '%f[%a]%a+'],
  ['hello hello', '(h%a+) %1'],
  ['x = 10, y = 20', '[%a_][%w_]*'],
  ['a-b-c', '[^-]+'],
  ['a]b', '[]]'],
  ['a^b', '[%^b]+'],
  ['2024-01-31', '(%d+)-(%d%d)-(%d%d)'],
  ['0x1F', '^0[xX](%x+)$'],
  ['abc', ''],
  ['abc', '.-'],
  ['\u0000a\u0000', '%z*'],
  ['a.b', '%.'],
  ['$100', '^%$(%d+)'],
  ['aaa', 'a-b'],
  ['[[x]]', '%[%[(.-)%]%]'],
];

describe('metered string library', () => {
  let booted: BootedProcess;
  beforeAll(async () => {
    booted = await bootAos({ limits: { gas: GAS } });
  });
  afterAll(() => booted.process.close());

  it('find, match, gmatch and gsub in Lua agree with the C matcher', async () => {
    const lua = (v: string) => JSON.stringify(v).replace(/\\u0000/g, '\\0');
    const cases = CASES.map(([s, p, init]) => `{${lua(s)}, ${lua(p)}, ${init ?? 'nil'}}`).join(',\n');
    const source = `local metered = (function()\n${readFileSync(new URL('../../../lua/metered.lua', import.meta.url), 'utf8')}\nend)()
      local L = metered.lua
      local function pack(...) local t = {} for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end return table.concat(t, "|") end
      local function all(iter) local t = {} for a, b in iter do t[#t + 1] = tostring(a) .. "," .. tostring(b) end return table.concat(t, ";") end
      local function upper(...) return tostring(select("#", ...)) .. string.upper(table.concat({...}, "")) end
      return { run = function()
        local out = {}
        for _, c in ipairs({${cases}}) do
          local s, p, init = c[1], c[2], c[3]
          local pairs = {
            { pack(string.find(s, p, init)), pack(L.find(s, p, init)) },
            { pack(string.find(s, p, init, true)), pack(L.find(s, p, init, true)) },
            { pack(string.match(s, p, init)), pack(L.match(s, p, init)) },
            { all(string.gmatch(s, p)), all(L.gmatch(s, p)) },
            { pack(string.gsub(s, p, "<%0>")), pack(L.gsub(s, p, "<%0>")) },
            { pack(string.gsub(s, p, upper, 2)), pack(L.gsub(s, p, upper, 2)) },
            { pack(string.gsub(s, p, { h = "H", a = false })), pack(L.gsub(s, p, { h = "H", a = false })) },
          }
          for i, r in ipairs(pairs) do
            if r[1] ~= r[2] then out[#out + 1] = p .. " #" .. i .. ": C " .. r[1] .. " ~= Lua " .. r[2] end
          end
        end
        return #out == 0 and "ok" or table.concat(out, "\\n")
      end }`;
    const vm = await LuaVm.create({ hookPeriod: 1000 });
    try {
      const [run] = vm.loadModule(new TextEncoder().encode(source), ['run'], 1e8);
      const outcome = vm.call(run, [], 1e9);
      expect(outcome.value).toBe('ok');
    } finally {
      vm.close();
    }
  });

  it('runs a trailing single quantifier in C, because the matcher does linear work on it', async () => {
    // The oracle is the Lua port's own work (instructions, counted by the hook, proportional to
    // matcher steps) on adversarial subjects: doubling the subject about doubles it for the
    // shapes given a linear bound, and about quadruples it for the shapes that keep the old one.
    const source = `local metered = (function()\n${readFileSync(new URL('../../../lua/metered.lua', import.meta.url), 'utf8')}\nend)()
      local L = metered.lua
      local function work(kind, p, s)
        if kind == "find" then return L.find(s, p) end
        if kind == "gmatch" then local k = 0 for _ in L.gmatch(s, p) do k = k + 1 end return k end
        return select(2, L.gsub(s, p, "%0"))
      end
      return {
        run = function(kind, p, unit, n, tail) return tostring(work(kind, p, string.rep(unit, tonumber(n)) .. tail)) end,
        bound = function(n, p) return tostring(metered.bound(tonumber(n), p, false, false) <= metered.C_BOUND) end,
      }`;
    const vm = await LuaVm.create({ hookPeriod: 100 });
    try {
      const [run, bound] = vm.loadModule(new TextEncoder().encode(source), ['run', 'bound'], 1e8);
      const growth = (kind: string, p: string, unit: string, tail = '') => {
        const [a, b] = ['700', '1400'].map((n) => vm.call(run, [kind, p, unit, n, tail], 1e10));
        expect(a.status, `${kind} ${p}`).toBe('ok');
        return b.gasUsed / a.gasUsed;
      };
      for (const [p, unit] of [['%a+', 'a'], ['[^,]+', 'x,'], ['ba+', 'baa'], ['(%d+)', '1'], ['k=(.-)', 'k='], ['%s*', ' a'], ['x.?', 'xy']]) {
        for (const kind of ['find', 'gmatch', 'gsub']) expect(growth(kind, p, unit), `${kind} ${p}`).toBeLessThan(2.6);
        expect(vm.call(bound, ['1400', p], 1e8).value, p).toBe('true');
      }
      // what follows the quantifier can fail (an end anchor, a literal) or there are two: quadratic
      for (const p of ['a+$', 'a*b', 'a-b']) {
        expect(growth('find', p, 'a', 'c'), p).toBeGreaterThan(3.5);
        expect(vm.call(bound, ['1400', p], 1e8).value, p).toBe('false');
      }
    } finally {
      vm.close();
    }
  });

  it('ends a backtracking pattern out of gas, with the same GasUsed on every replay; the process goes on', async () => {
    const runaway = 'return ("a"):rep(5000):find(".-.-.-.-.-.-.-b")';
    const results = [];
    for (let i = 0; i < 2; i++) {
      const p = await bootAos({ limits: { gas: GAS } });
      const r = await p.process.evaluate(p.msgs.eval(runaway));
      results.push(r);
      expect(await evalOk(p, 'return 1 + 1')).toBe('2');
      p.process.close();
    }
    expect(results[0].Error).toMatch(/out of gas/);
    expect(results[0].GasUsed).toBe(results[1].GasUsed);
    expect(results[0]).toEqual(results[1]);
  });

  it('charges C-level loops: empty rep, table shifts, full collections', async () => {
    for (const code of [
      'return #string.rep("", 1e12)',
      'local t = setmetatable({}, { __len = function() return 1e12 end }) table.insert(t, 1, "x")',
      'local t = {} for i = 1, 10 do table.move(t, 1, 1e7, 2) end',
      'local s = string.rep("x", 1e6) while true do collectgarbage() end',
      'while true do local t = {} for i = 1, 100 do t[i] = ("y"):rep(1000) end end',
    ]) {
      const r = await booted.process.evaluate(booted.msgs.eval(code));
      expect(r.Error, code).toMatch(/out of gas/);
    }
  });

  it('charges the same on a second, independent evaluation (double replay)', async () => {
    const code = `
      local t = {} for i = 1, 2000 do t[i] = ("v"):rep(i % 50) .. i end
      table.sort(t) table.insert(t, 1, "x") table.remove(t, 1)
      local s = table.concat(t, ",") local n = 0
      for w in s:gmatch("[^,]+") do n = n + #w end
      return n, select(2, s:gsub("v+", "w")), utf8.len(s), #(""):rep(1e5)`;
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const p = await bootAos({ limits: { gas: GAS } });
      runs.push(await p.process.evaluate(p.msgs.eval(code)));
      p.process.close();
    }
    expect(runs[0].Error).toBeUndefined();
    expect(runs[0]).toEqual(runs[1]);
  });
});
