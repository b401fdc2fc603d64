import { describe, expect, it } from 'vitest';
import type { EvalResult } from '../../types.js';
import type { ModuleDef } from '../evaluator.js';
import { LuaProcess } from '../lua/lua-process.js';
import { DEFAULT_TEST_LIMITS, MessageFactory, TEST_OWNER, aosModuleDef, testEnv } from '../lua/testing.js';
import { watToWasm } from '../wasm/wabt.js';
import { WASM_LIBRARY_FORMAT } from './wasm-library.js';
import { MemoryItemSource } from './testing.js';

// A library of the call ABI: `count` answers the number of data bytes equal to the first params
// byte (a loop over the data: fuel grows with its length), `spin` never returns, `grow` asks for
// more memory than the cap, `bad` answers an address outside memory.
const LIBRARY = `
(module
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (memory (export "memory") 1 1000)
  (global $top (mut i32) (i32.const 1024))
  (func $alloc (export "alloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (i32.add (local.get $n) (i32.const 8))))
    (if (i32.gt_u (global.get $top) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.lt_s (memory.grow (i32.add (i32.shr_u (global.get $top) (i32.const 16)) (i32.const 1))) (i32.const 0)) (then unreachable))))
    (local.get $p))
  (func (export "count") (param $pp i32) (param $pl i32) (param $dp i32) (param $dl i32) (result i32)
    (local $i i32) (local $c i32) (local $want i32) (local $out i32)
    (local.set $want (i32.load8_u (local.get $pp)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $dl)))
      (if (i32.eq (i32.load8_u (i32.add (local.get $dp) (local.get $i))) (local.get $want)) (then (local.set $c (i32.add (local.get $c) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.set $out (call $alloc (i32.const 4)))
    (i32.store (local.get $out) (i32.const 4))
    (local.set $out (i32.add (local.get $out) (i32.const 0)))
    (i32.store (i32.add (local.get $out) (i32.const 4)) (local.get $c))
    (local.get $out))
  (func (export "spin") (param i32 i32 i32 i32) (result i32) (loop $l (br $l)) (i32.const 0))
  (func (export "grow") (param i32 i32 i32 i32) (result i32) (drop (call $alloc (i32.const 200000000))) (i32.const 0))
  (func (export "bad") (param i32 i32 i32 i32) (result i32) (i32.const -16))
  (func (export "wrongType") (param i32) (result i32) (i32.const 0)))
`;
const LIB_ID = 'library-id-0000000000000000000000000000000';

const BOOT = `
Handlers.add("call", "Call", function(msg)
  local input = msg.Data
  if msg.Read then input = { Id = msg.Read } end
  local out, code, why = ao.wasm(msg.Library or "${LIB_ID}", msg.Fn, msg.Params or "a", input)
  if not out then return msg.reply({ Action = "Call-Error", Code = code, Why = why }) end
  msg.reply({ Action = "Called", Count = tostring(string.unpack("<I4", out)) })
end)
`;

async function boot(gas = DEFAULT_TEST_LIMITS.gas) {
  const lib: ModuleDef = {
    id: LIB_ID,
    owner: TEST_OWNER,
    tags: [{ name: 'Type', value: 'Module' }, { name: 'Module-Format', value: WASM_LIBRARY_FORMAT }],
    format: WASM_LIBRARY_FORMAT,
    source: await watToWasm(LIBRARY),
  };
  const modules = { load: async (id: string) => (id === LIB_ID ? lib : Promise.reject(new Error('unknown'))) };
  const env = testEnv([{ name: 'On-Boot', value: 'Data' }, { name: 'Wasm-Library', value: LIB_ID }]);
  const items = new MemoryItemSource();
  const process = await LuaProcess.create(aosModuleDef(), env, { ...DEFAULT_TEST_LIMITS, gas }, { host: { modules, items } });
  const msgs = new MessageFactory(env);
  expect((await process.evaluate(msgs.processMessage(BOOT))).Error).toBeUndefined();
  return { process, msgs };
}

const tags = (r: EvalResult) => Object.fromEntries(r.Messages[0].Tags.map((t) => [t.name, t.value]));

describe('ao.wasm: WebAssembly libraries a process calls', () => {
  it('runs a function of a library the Process item names, on a string input', async () => {
    const { process, msgs } = await boot();
    const r = await process.evaluate(msgs.message({ Action: 'Call', Fn: 'count' }, { Data: 'banana' }));
    expect(r.Error).toBeUndefined();
    expect(tags(r)).toMatchObject({ Action: 'Called', Count: '3' });
  });

  it('meters the library in gas: longer inputs cost more, deterministically', async () => {
    const { process, msgs } = await boot();
    const short = await process.evaluate(msgs.message({ Action: 'Call', Fn: 'count' }, { Data: 'a'.repeat(100) }));
    const long = await process.evaluate(msgs.message({ Action: 'Call', Fn: 'count' }, { Data: 'a'.repeat(100_100) }));
    expect(tags(long).Count).toBe('100100');
    // 100,000 more bytes: per-byte gas plus the loop's fuel
    expect(long.GasUsed - short.GasUsed).toBeGreaterThan(100_000);
    // the same messages in a fresh process cost the same (gas also counts allocated bytes, which
    // depend on the state, so a repeat in the same process is not the comparison to make)
    const replay = await boot();
    await replay.process.evaluate(replay.msgs.message({ Action: 'Call', Fn: 'count' }, { Data: 'a'.repeat(100) }));
    const again = await replay.process.evaluate(replay.msgs.message({ Action: 'Call', Fn: 'count' }, { Data: 'a'.repeat(100_100) }));
    expect(again.GasUsed).toBe(long.GasUsed);
  });

  it('ends a runaway library call with out of gas, the state untouched', async () => {
    const { process, msgs } = await boot(2_000_000);
    const r = await process.evaluate(msgs.message({ Action: 'Call', Fn: 'spin' }));
    expect(r.Error).toMatch(/out of gas/);
    expect(r.GasUsed).toBeGreaterThanOrEqual(2_000_000);
    const ok = await process.evaluate(msgs.message({ Action: 'Call', Fn: 'count' }, { Data: 'aa' }));
    expect(tags(ok).Count).toBe('2');
  });

  it('answers clear errors for traps, memory over the cap, bad results and unknown names', async () => {
    const { process, msgs } = await boot();
    const ask = async (t: Record<string, string>) => tags(await process.evaluate(msgs.message({ Action: 'Call', ...t })));
    expect(await ask({ Fn: 'grow' })).toMatchObject({ Action: 'Call-Error', Code: 'failed' });
    expect((await ask({ Fn: 'bad' })).Why).toMatch(/outside memory/);
    expect(await ask({ Fn: 'wrongType' })).toMatchObject({ Code: 'unknown-function' });
    expect(await ask({ Fn: 'nothere' })).toMatchObject({ Code: 'unknown-function' });
    expect(await ask({ Fn: 'count', Library: 'B'.repeat(43) })).toMatchObject({ Code: 'unknown-library' });
    expect(await ask({ Fn: 'count', Read: 'A'.repeat(43) })).toMatchObject({ Code: 'not-admissible' });
  });
});
