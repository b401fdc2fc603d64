import { describe, expect, it } from 'vitest';
import type { EvalLimits } from '../evaluator.js';
import { MessageFactory, testEnv } from '../lua/testing.js';
import { wasmModuleDef } from './testing.js';
import { watToWasm } from './wabt.js';
import { WasmEvaluatorFactory } from './wasm-evaluator.js';

const LIMITS: EvalLimits = { gas: 10_000_000, memoryBytes: 1024 * 1024 };

/**
 * A module whose handle runs `$work` N times, N = the first byte of Data ('0' = 0), and returns
 * `{}`. `$work` returns early from inside a block and copies 4 KiB with memory.copy.
 */
const LOOPING = `(module
  (memory (export "memory") 2)
  (global $bump (mut i32) (i32.const 4096))
  (func (export "alloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (local.get $p) (local.get $n)))
    (local.get $p))
  (func $work (param $i i32) (result i32)
    (block $b
      (br_if $b (i32.eqz (local.get $i)))
      (memory.copy (i32.const 65536) (i32.const 0) (i32.const 4096))
      (return (i32.const 1)))
    (i32.const 0))
  (func (export "handle") (param $m i32) (param $ml i32) (param i32 i32) (result i32) (local $n i32) (local $d i32)
    (local.set $d (call $find (local.get $m) (local.get $ml)))
    (local.set $n (i32.mul (i32.sub (i32.load8_u (local.get $d)) (i32.const 48)) (i32.const 1000)))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (drop (call $work (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (global.set $bump (i32.const 4096))
    (i32.store (i32.const 0) (i32.const 2))
    (i32.store16 (i32.const 4) (i32.const 0x7d7b))
    (i32.const 0))
  ;; the first byte after "Data":"
  (func $find (param $m i32) (param $ml i32) (result i32) (local $i i32)
    (loop $l
      (if (i32.and (i32.eq (i32.load8_u (i32.add (local.get $m) (local.get $i))) (i32.const 68))
                   (i32.eq (i32.load8_u (i32.add (local.get $m) (i32.add (local.get $i) (i32.const 4)))) (i32.const 34)))
        (then (return (i32.add (local.get $m) (i32.add (local.get $i) (i32.const 7))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $ml))))
    (local.get $m)))`;

describe('fuel metering and call depth (instrumentation)', () => {
  const env = testEnv();
  const msgs = new MessageFactory(env);
  const run = async (digit: string, limits = LIMITS) => {
    const p = await new WasmEvaluatorFactory().create(wasmModuleDef(await watToWasm(LOOPING)), env, limits);
    return p.evaluate(msgs.message({}, { Data: digit }));
  };

  it('charges every loop iteration and call, and bulk copies by their length', async () => {
    const zero = await run('0');
    const one = await run('1');
    const two = await run('2');
    expect(zero.Error).toBeUndefined();
    expect(one.Error).toBeUndefined();
    const perThousand = one.GasUsed - zero.GasUsed;
    expect(two.GasUsed - one.GasUsed).toBe(perThousand);
    // 1,000 iterations: the loop segment, the call and 4 KiB copied (64 fuel) each
    expect(perThousand).toBeGreaterThan(1000 * (64 + 10));
  });

  it('does not count early returns as nesting: 5,000 calls that return from a block stay within the depth limit', async () => {
    expect((await run('5')).Error).toBeUndefined();
  });

  it('stops at exactly the budget', async () => {
    const two = await run('2');
    expect((await run('2', { ...LIMITS, gas: two.GasUsed })).Error).toBeUndefined();
    const out = await run('2', { ...LIMITS, gas: two.GasUsed - 1 });
    expect(out).toMatchObject({ Error: 'out of fuel', GasUsed: two.GasUsed - 1 });
  });
});
