import { describe, expect, it } from 'vitest';
import { bootAos, evalOk, type BootedProcess } from './testing.js';

const GAS = 5_000_000;
const MEMORY = 32 * 1024 * 1024;

async function limited(): Promise<BootedProcess> {
  return bootAos({ bootCode: 'Counter = 0', limits: { gas: GAS, memoryBytes: MEMORY } });
}

/** The message fails, the state is what it was, and the process keeps working. */
async function expectFailureLeavesProcessUsable(booted: BootedProcess, code: string, error: RegExp): Promise<number> {
  const before = await booted.process.stateHash();
  const r = await booted.process.evaluate(booted.msgs.eval(`Counter = Counter + 1000; ${code}`));
  expect(r.Error).toMatch(error);
  expect(r.Messages).toEqual([]);
  expect(await booted.process.stateHash()).toBe(before);
  expect(await evalOk(booted, 'Counter = Counter + 1; return Counter')).toMatch(/^\d+$/);
  return r.GasUsed;
}

describe('gas: an instruction budget per message', () => {
  it('an infinite loop runs out of gas with the same GasUsed every time, and changes nothing', async () => {
    const a = await limited();
    const b = await limited();
    const gasA = await expectFailureLeavesProcessUsable(a, 'while true do end', /out of gas/);
    const gasB = await expectFailureLeavesProcessUsable(b, 'while true do end', /out of gas/);
    expect(gasA).toBe(gasB);
    expect(gasA).toBeGreaterThanOrEqual(GAS);
    expect(gasA).toBeLessThan(GAS + 10_000);
    a.process.close();
    b.process.close();
  });

  it('cannot be escaped with pcall, error handlers or coroutines', async () => {
    const booted = await limited();
    const loops = [
      'while true do pcall(function() while true do end end) end',
      'while true do xpcall(function() while true do end end, function() while true do end end) end',
      'local co = coroutine.wrap(function() while true do end end) co()',
      'while true do local co = coroutine.create(function() while true do end end) coroutine.resume(co) end',
      'local function f() return pcall(f) end while true do f() end',
      'while true do local ok = pcall(string.rep, "x", 10) end',
      'for i = 1, math.maxinteger do end',
      'local t = setmetatable({}, { __index = function(t, k) return k end }) local i = 0 while true do i = i + t[i] end',
      // error handlers and __close methods run after an out-of-gas error must not escape the hook
      'local x <close> = setmetatable({}, { __close = function() while true do end end }) while true do end',
      'while true do pcall(error, setmetatable({}, { __tostring = function() while true do end end })) end',
      // a budget spent inside a coroutine fails the message even if the error is swallowed
      'local co = coroutine.create(function() local x <close> = setmetatable({}, { __close = function() while true do end end }) while true do end end) coroutine.resume(co) coroutine.close(co)',
    ];
    for (const code of loops) {
      await expectFailureLeavesProcessUsable(booted, code, /out of gas/);
    }
    booted.process.close();
  });

  it('GasUsed counts VM instructions and is identical on replay', async () => {
    const a = await limited();
    const b = await limited();
    const code = 'local s = 0 for i = 1, 1000 do s = s + i end return s';
    const ra = await a.process.evaluate(a.msgs.eval(code));
    const rb = await b.process.evaluate(b.msgs.eval(code));
    expect(ra.GasUsed).toBe(rb.GasUsed);
    // the loop alone is two instructions per iteration
    const empty = await a.process.evaluate(a.msgs.eval('local s = 0 return s'));
    expect(ra.GasUsed - empty.GasUsed).toBeGreaterThanOrEqual(2000);
    expect(ra.GasUsed - empty.GasUsed).toBeLessThan(2100);
    a.process.close();
    b.process.close();
  });
});

describe('memory: a cap on what Lua allocates', () => {
  it('string.rep, doubling concatenation and a big table fail with an error, the process stays usable', async () => {
    const booted = await limited();
    await expectFailureLeavesProcessUsable(booted, 'local s = string.rep("x", 1e9)', /not enough memory/);
    await expectFailureLeavesProcessUsable(booted, 'local s = "x" while true do s = s .. s end', /not enough memory/);
    await expectFailureLeavesProcessUsable(booted, 'local t = {} for i = 1, 1e8 do t[i] = i end', /not enough memory|out of gas/);
    await expectFailureLeavesProcessUsable(booted, 'Big = {} for i = 1, 1e6 do Big[i] = ("y"):rep(16000) end', /not enough memory/);
    await expectFailureLeavesProcessUsable(booted, 'local s = string.rep("ab", 1e7, ",")', /not enough memory/);
    // a legitimate allocation still works after the failures
    expect(await evalOk(booted, 'return #string.rep("z", 1e6)')).toBe('1000000');
    booted.process.close();
  });

  it('a memory error caught by pcall inside the process is the process’s business', async () => {
    const booted = await limited();
    expect(await evalOk(booted, 'local ok, err = pcall(string.rep, "x", 1e9) return ok, err')).toBe('false\tnot enough memory');
    booted.process.close();
  });
});

describe('deep recursion', () => {
  it('Lua recursion, C-stack recursion, metamethod loops and deeply nested code fail cleanly', async () => {
    const booted = await limited();
    await expectFailureLeavesProcessUsable(booted, 'local function f(n) return f(n + 1) + 1 end f(1)', /stack overflow|not enough memory/);
    await expectFailureLeavesProcessUsable(booted, 'local function f() local ok, e = pcall(f) if not ok then error(e, 0) end end f()', /stack overflow|error in error handling/);
    await expectFailureLeavesProcessUsable(booted, 'local t = setmetatable({}, {}) getmetatable(t).__index = function(s, k) return s[k] end local x = t.a', /stack overflow/);
    await expectFailureLeavesProcessUsable(booted, 'local f = assert(load(string.rep("(", 100000) .. "1" .. string.rep(")", 100000)))', /overflow|too many|levels/);
    await expectFailureLeavesProcessUsable(booted, 'local s = string.rep("[", 200000) json.decode(s)', /overflow|stack|out of gas/);
    await expectFailureLeavesProcessUsable(booted, 'local t = {} local c = t for i = 1, 100000 do c[1] = {} c = c[1] end json.encode(t)', /overflow|stack|out of gas/);
    booted.process.close();
  });
});
