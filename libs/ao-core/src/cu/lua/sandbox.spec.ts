import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootAos, evalOk, type BootedProcess } from './testing.js';

describe('sandbox', () => {
  let booted: BootedProcess;
  beforeAll(async () => {
    booted = await bootAos();
  });
  afterAll(() => booted.process.close());

  it('has no host access: os.exit, io, require, package, debug, dofile, loadfile, string.dump are absent', async () => {
    expect(
      await evalOk(
        booted,
        'return type(os.exit), type(io), type(require), type(package), type(debug), type(dofile), type(loadfile), type(string.dump), type(os.getenv), type(os.remove), type(os.execute)',
      ),
    ).toBe(Array(11).fill('nil').join('\t'));
    const r = await booted.process.evaluate(booted.msgs.eval('io.open("/etc/passwd")'));
    expect(r.Error).toMatch(/attempt to index a nil value/);
    const hook = await booted.process.evaluate(booted.msgs.eval('debug.sethook()'));
    expect(hook.Error).toMatch(/attempt to index a nil value/);
  });

  it('load refuses binary chunks, accepts text, and keeps the env argument', async () => {
    const binary = '"\\27Lua\\84\\0\\25\\147\\13\\10\\26\\10\\4\\8\\8"';
    expect(await evalOk(booted, `local f, err = load(${binary}) return f, err`)).toMatch(/^nil\t.*attempt to load a binary chunk/);
    expect(await evalOk(booted, `local f, err = load(${binary}, "x", "b") return f, err`)).toMatch(/^nil\t.*binary chunk/);
    expect(await evalOk(booted, 'return load("return 1 + 1")()')).toBe('2');
    expect(await evalOk(booted, 'return load("return x", "c", "t", { x = "from env" })()')).toBe('from env');
    expect(await evalOk(booted, 'return pcall(load("return x", "c", "t", nil))')).toMatch(/^false/);
    const reader = await evalOk(booted, `local parts = { ${binary}, nil } local i = 0 return load(function() i = i + 1 return parts[i] end)`);
    expect(reader).toMatch(/^nil\t.*binary chunk/);
  });

  it('protects the string metatable: getmetatable("") is a read-only view', async () => {
    expect(await evalOk(booted, 'return getmetatable("").__index == string, ("x"):upper()')).toBe('true\tX');
    const write = await booted.process.evaluate(booted.msgs.eval('getmetatable("").__index = function() return "pwned" end'));
    expect(write.Error).toMatch(/read-only/);
    const set = await booted.process.evaluate(booted.msgs.eval('setmetatable("", {})'));
    expect(set.Error).toMatch(/table expected/);
    expect(await evalOk(booted, 'return ("abc"):len()')).toBe('3');
  });

  it('string library changes in one process do not leak into another', async () => {
    const other = await bootAos();
    await evalOk(booted, 'string.upper = function() return "pwned" end; getmetatable("").__index.lower = nil; Shared = "mine"');
    expect(await evalOk(booted, 'return ("x"):upper()')).toBe('pwned');
    expect(await evalOk(other, 'return ("x"):upper(), ("Y"):lower(), tostring(Shared)')).toBe('X\ty\tnil');
    await evalOk(booted, 'string.upper = nil');
    other.process.close();
  });

  it('collectgarbage("stop") is ignored: garbage keeps being collected under the memory cap', async () => {
    const small = await bootAos({ limits: { memoryBytes: 8 * 1024 * 1024 } });
    expect(await evalOk(small, 'return collectgarbage("stop"), collectgarbage("isrunning")')).toBe('0\ttrue');
    // 50 MiB of short-lived garbage with an 8 MiB cap
    expect(await evalOk(small, 'for i = 1, 200 do local s = string.rep("x", 256 * 1024) end return "done"')).toBe('done');
    expect(await evalOk(small, 'return type(collectgarbage("count"))')).toBe('number');
    small.process.close();
  });

  it('__gc metamethods are ignored (finalizers would run with the instruction hook off)', async () => {
    expect(
      await evalOk(booted, 'Finalized = false; setmetatable({}, { __gc = function() Finalized = true end }); collectgarbage(); collectgarbage(); return Finalized'),
    ).toBe('false');
  });

  it('table.move refuses huge ranges that one C loop would spend forever on', async () => {
    const r = await booted.process.evaluate(booted.msgs.eval('table.move({}, 1, 1e15, 2)'));
    expect(r.Error).toMatch(/range too large/);
    expect(await evalOk(booted, 'return table.concat(table.move({ 1, 2, 3 }, 1, 3, 2), ",")')).toBe('1,1,2,3');
  });

  it('math.random is seeded from the message: the same message gives the same numbers', async () => {
    const a = await bootAos();
    const b = await bootAos();
    const code = 'local t = {} for i = 1, 5 do t[i] = math.random(1000000) end return table.concat(t, ",")';
    const msgA = a.msgs.eval(code);
    const msgB = b.msgs.eval(code);
    const outA = await a.process.evaluate(msgA);
    const outB = await b.process.evaluate(msgB);
    expect(outA.Output).toEqual(outB.Output);
    const other = await a.process.evaluate({ ...a.msgs.eval(code), 'Hash-Chain': 'another-chain' });
    expect(other.Output).not.toEqual(outA.Output);
    // randomseed() without arguments re-seeds from the message, not from the clock
    expect(await evalOk(a, 'math.randomseed() local x = math.random() math.randomseed() return x == math.random()')).toBe('true');
    a.process.close();
    b.process.close();
  });

  it('os.clock is 0 and os.difftime subtracts', async () => {
    expect(await evalOk(booted, 'return os.clock(), os.difftime(10, 4)')).toBe('0.0\t6.0');
  });
});
