import { describe, expect, it } from 'vitest';
import { isAoError } from '../errors.js';
import { EvaluatorRegistry, limitsFor, parseByteSize, type EvaluatorFactory, type ModuleDef } from './evaluator.js';
import { AOS_MODULE_FORMAT } from './lua/aos-module.js';
import { LuaEvaluatorFactory } from './lua/lua-evaluator.js';
import { aosModuleDef, DEFAULT_TEST_LIMITS, MessageFactory, outputText, testEnv } from './lua/testing.js';

const luaModule = (source: string): ModuleDef => ({ ...aosModuleDef(), source: new TextEncoder().encode(source) });

describe('EvaluatorRegistry', () => {
  it('routes a module to the factory of its Module-Format', async () => {
    const registry = new EvaluatorRegistry().register(new LuaEvaluatorFactory());
    expect(registry.formats).toEqual([AOS_MODULE_FORMAT]);
    const env = testEnv();
    const process = await registry.create(aosModuleDef(), env, DEFAULT_TEST_LIMITS);
    const r = await process.evaluate(new MessageFactory(env).processMessage());
    expect(r.Error).toBeUndefined();
    process.close();
  });

  it('fails with UNKNOWN_MODULE_FORMAT for other formats', async () => {
    const registry = new EvaluatorRegistry().register(new LuaEvaluatorFactory());
    const wasm = { ...aosModuleDef(), format: 'wasm64-unknown-emscripten-draft_2024_02_15' };
    await expect(registry.create(wasm, testEnv(), DEFAULT_TEST_LIMITS)).rejects.toSatisfy((e: unknown) => isAoError(e, 'UNKNOWN_MODULE_FORMAT'));
  });

  it('refuses two factories for one format', () => {
    const fake: EvaluatorFactory = { formats: [AOS_MODULE_FORMAT], create: () => Promise.reject(new Error('unused')) };
    expect(() => new EvaluatorRegistry().register(new LuaEvaluatorFactory()).register(fake)).toThrow(/already registered/);
  });
});

describe('LuaEvaluatorFactory', () => {
  it('fails with MODULE_LOAD_FAILED when the module is not a valid runtime', async () => {
    const factory = new LuaEvaluatorFactory();
    for (const source of ['this is not lua', 'return 42', 'return { handle = 1 }', 'error("boom")', 'while true do end', '\x1bLua binary']) {
      await expect(factory.create(luaModule(source), testEnv(), DEFAULT_TEST_LIMITS), source).rejects.toSatisfy((e: unknown) =>
        isAoError(e, 'MODULE_LOAD_FAILED'),
      );
    }
  }, 60_000);

  it('fails with MODULE_LOAD_FAILED when the runtime does not fit in the memory limit', async () => {
    await expect(new LuaEvaluatorFactory().create(aosModuleDef(), testEnv(), { ...DEFAULT_TEST_LIMITS, memoryBytes: 64 * 1024 })).rejects.toSatisfy(
      (e: unknown) => isAoError(e, 'MODULE_LOAD_FAILED'),
    );
  });

  it('runs any Lua chunk that follows the host protocol', async () => {
    const echo = luaModule(`
      local n = 0
      return {
        handle = function(msg, env)
          n = n + 1
          return '{"Output":"seen ' .. n .. ' ' .. msg.Id .. '","Messages":[],"Spawns":[],"Assignments":[]}'
        end,
        canonicalState = function() return tostring(n) end,
      }`);
    const env = testEnv();
    const process = await new LuaEvaluatorFactory({ loadGas: 1_000_000 }).create(echo, env, DEFAULT_TEST_LIMITS);
    const msgs = new MessageFactory(env);
    expect(outputText(await process.evaluate(msgs.processMessage()))).toMatch(/^seen 1 process-id/);
    expect(outputText(await process.evaluate(msgs.message()))).toMatch(/^seen 2 msg-/);
    process.close();
  });
});

describe('limits', () => {
  it('parses ao size strings', () => {
    expect(parseByteSize('1-gb')).toBe(1024 ** 3);
    expect(parseByteSize('512-mb')).toBe(512 * 1024 ** 2);
    expect(parseByteSize('64 kb')).toBe(65536);
    expect(parseByteSize('12345')).toBe(12345);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseByteSize(undefined)).toBeUndefined();
  });

  it('takes Memory-Limit and Compute-Limit from the process, then the module, bounded by the maxima', () => {
    const mod = { ...aosModuleDef(), tags: [{ name: 'Memory-Limit', value: '1-gb' }, { name: 'Compute-Limit', value: '9000000000000' }] };
    const defaults = { gas: 1e9, memoryBytes: 256 * 1024 ** 2 };
    const maxima = { gas: 1e10, memoryBytes: 512 * 1024 ** 2 };
    expect(limitsFor(mod, testEnv(), defaults, maxima)).toEqual({ gas: 1e10, memoryBytes: 512 * 1024 ** 2 });
    const env = testEnv([{ name: 'Memory-Limit', value: '128-mb' }]);
    expect(limitsFor(mod, env, defaults, maxima).memoryBytes).toBe(128 * 1024 ** 2);
    expect(limitsFor(aosModuleDef(), testEnv(), defaults, maxima)).toEqual(defaults);
  });
});
