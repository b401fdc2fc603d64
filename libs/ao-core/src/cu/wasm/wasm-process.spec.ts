import { beforeAll, describe, expect, it } from 'vitest';
import { isAoError } from '../../errors.js';
import type { EvalLimits, ProcessInstance } from '../evaluator.js';
import { MessageFactory, testEnv } from '../lua/testing.js';
import { tokenModuleWasm, wasmModuleDef } from './testing.js';
import { watToWasm } from './wabt.js';
import { WasmEvaluatorFactory } from './wasm-evaluator.js';

const LIMITS: EvalLimits = { gas: 10_000_000, memoryBytes: 16 * 1024 * 1024 };
const ALICE = 'alice-address-000000000000000000000000000000';
const BOB = 'bob-address-00000000000000000000000000000000';

describe('WASM processes (wasm32-ao-json-1)', () => {
  const factory = new WasmEvaluatorFactory();
  let token: Uint8Array;
  const env = testEnv();

  const start = async (limits: EvalLimits = LIMITS, source = token): Promise<{ p: ProcessInstance; msgs: MessageFactory }> => {
    const p = await factory.create(wasmModuleDef(source), env, limits);
    const msgs = new MessageFactory(env);
    expect((await p.evaluate(msgs.processMessage())).Output).toBe('no action');
    return { p, msgs };
  };
  const act = (msgs: MessageFactory, action: string, from = ALICE, tags: Record<string, string> = {}) =>
    msgs.message({ Action: action, ...tags }, { From: from });

  beforeAll(async () => {
    token = await tokenModuleWasm();
  });

  it('mints, transfers and sends a Credit-Notice to the recipient, with GasUsed on every result', async () => {
    const { p, msgs } = await start();
    const mint = await p.evaluate(act(msgs, 'Mint', ALICE, { Quantity: '100' }));
    expect(mint).toMatchObject({ Output: 'minted', Messages: [], Spawns: [], Assignments: [] });
    expect(mint.GasUsed).toBeGreaterThan(0);
    const transfer = await p.evaluate(act(msgs, 'Transfer', ALICE, { Quantity: '30', Recipient: BOB }));
    expect(transfer.Error).toBeUndefined();
    expect(transfer.Messages).toEqual([
      {
        Target: BOB,
        Data: '',
        Tags: [
          { name: 'Data-Protocol', value: 'ao' },
          { name: 'Variant', value: 'ao.TN.1' },
          { name: 'Type', value: 'Message' },
          { name: 'Action', value: 'Credit-Notice' },
          { name: 'Sender', value: ALICE },
          { name: 'Quantity', value: '30' },
        ],
      },
    ]);
    expect((await p.evaluate(act(msgs, 'Balance', ALICE))).Output).toBe('70');
    expect((await p.evaluate(act(msgs, 'Balance', BOB))).Output).toBe('30');
  });

  it('rolls back a message whose result has an Error', async () => {
    const { p, msgs } = await start();
    await p.evaluate(act(msgs, 'Mint', ALICE, { Quantity: '5' }));
    const before = await p.stateHash();
    const short = await p.evaluate(act(msgs, 'Transfer', ALICE, { Quantity: '6', Recipient: BOB }));
    expect(short.Error).toBe('insufficient balance');
    expect(short.GasUsed).toBeGreaterThan(0);
    // the message counter (a non-exported global) was incremented by the failed message, then restored
    expect(await p.stateHash()).toBe(before);
  });

  it('runs out of fuel with the same GasUsed every time, and keeps the state', async () => {
    const runs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { p, msgs } = await start({ ...LIMITS, gas: 200_000 });
      await p.evaluate(act(msgs, 'Mint', ALICE, { Quantity: '5' }));
      const before = await p.stateHash();
      const spin = await p.evaluate(act(msgs, 'Spin'));
      expect(spin.Error).toBe('out of fuel');
      runs.push(spin.GasUsed);
      expect(await p.stateHash()).toBe(before);
      expect((await p.evaluate(act(msgs, 'Balance'))).Output).toBe('5');
    }
    expect(runs).toEqual([200_000, 200_000]);
  });

  it('charges the same gas for the same message on two instances', async () => {
    const a = await start();
    const b = await start();
    const ga = await a.p.evaluate(act(a.msgs, 'Mint', ALICE, { Quantity: '5' }));
    const gb = await b.p.evaluate(act(b.msgs, 'Mint', ALICE, { Quantity: '5' }));
    expect(ga.GasUsed).toBe(gb.GasUsed);
  });

  it('refuses memory.grow beyond the memory limit and modules whose initial memory exceeds it', async () => {
    const { p, msgs } = await start({ ...LIMITS, memoryBytes: 8 * 65536 });
    expect((await p.evaluate(act(msgs, 'Grow', ALICE, { Quantity: '5' }))).Output).toBe('grew');
    expect((await p.evaluate(act(msgs, 'Grow', ALICE, { Quantity: '1' }))).Output).toBe('refused');
    const checkpoint = await p.checkpoint();
    expect(checkpoint.length).toBeGreaterThan(8 * 65536);
    await expect(factory.create(wasmModuleDef(token), env, { ...LIMITS, memoryBytes: 2 * 65536 })).rejects.toSatisfy(
      (e: unknown) => isAoError(e, 'MODULE_LOAD_FAILED') && /initial memory .* exceeds/.test((e as Error).message),
    );
  });

  it('rolls back a trap, including memory grown before it', async () => {
    const { p, msgs } = await start();
    await p.evaluate(act(msgs, 'Mint', ALICE, { Quantity: '5' }));
    const before = await p.stateHash();
    const trap = await p.evaluate(act(msgs, 'Trap', ALICE, { Quantity: '1000' }));
    expect(trap.Error).toMatch(/^the module trapped: unreachable/);
    expect(await p.stateHash()).toBe(before);
    expect((await p.evaluate(act(msgs, 'Balance'))).Output).toBe('5');

    const growThenTrap = await watToWasm(`(module
      (memory (export "memory") 1 10)
      (global $n (mut i32) (i32.const 0))
      (func (export "alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "handle") (param i32 i32 i32 i32) (result i32)
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (if (i32.eq (global.get $n) (i32.const 2)) (then (drop (memory.grow (i32.const 3))) unreachable))
        (i32.store (i32.const 0) (i32.const 2))
        (i32.store16 (i32.const 4) (i32.const 0x7b7b))
        (i32.const 0)))`);
    const g = await factory.create(wasmModuleDef(growThenTrap), env, LIMITS);
    const hash0 = await g.stateHash();
    const bad = await g.evaluate(msgs.message({}));
    expect(bad.Error).toBe('the module returned a result that is not JSON');
    expect(await g.stateHash()).toBe(hash0);
  });

  it('stops runaway recursion at the call depth limit, deterministically', async () => {
    const { p, msgs } = await start();
    const before = await p.stateHash();
    const deep = await p.evaluate(act(msgs, 'Recurse'));
    expect(deep.Error).toBe('call depth exceeded (1000 frames)');
    const again = await p.evaluate(act(msgs, 'Recurse'));
    expect(again.GasUsed).toBe(deep.GasUsed);
    expect(await p.stateHash()).toBe(before);
  });

  it('turns unreadable results into an Error and keeps the state', async () => {
    const { p, msgs } = await start();
    const before = await p.stateHash();
    expect((await p.evaluate(act(msgs, 'BadJson'))).Error).toBe('the module returned a result that is not JSON');
    expect((await p.evaluate(act(msgs, 'BadPtr'))).Error).toBe('the module returned a result address outside its memory');
    expect(await p.stateHash()).toBe(before);
  });

  it('ends a message with an Error when the module calls env.abort', async () => {
    const aborting = await watToWasm(`(module
      (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
      (memory (export "memory") 1)
      (func (export "alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "handle") (param i32 i32 i32 i32) (result i32)
        (call $abort (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 0)))`);
    const p = await factory.create(wasmModuleDef(aborting), env, LIMITS);
    const r = await p.evaluate(new MessageFactory(env).message({}));
    expect(r.Error).toBe('the module aborted');
  });

  describe('refuses modules that cannot run, with MODULE_LOAD_FAILED and a clear message', () => {
    const cases: [string, () => Promise<Uint8Array>, RegExp][] = [
      ['an invalid binary', async () => new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 2, 3]), /not a valid WebAssembly module/],
      ['not WebAssembly at all', async () => new TextEncoder().encode('print("lua")'), /not a valid WebAssembly module/],
      [
        'a module without handle',
        () => watToWasm('(module (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)))'),
        /must export a function "handle"/,
      ],
      [
        'a module without memory',
        () => watToWasm('(module (func (export "alloc") (param i32) (result i32) (i32.const 0)))'),
        /must define its memory and export it as "memory"/,
      ],
      [
        'a handle of the wrong type',
        () =>
          watToWasm(
            '(module (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle") (param i32) (result i32) (i32.const 0)))',
          ),
        /"handle" must have the type \(param i32 i32 i32 i32\) \(result i32\)/,
      ],
      [
        'a foreign import',
        () =>
          watToWasm(
            '(module (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32))) (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle") (param i32 i32 i32 i32) (result i32) (i32.const 0)))',
          ),
        /imports func "wasi_snapshot_preview1"."clock_time_get"; a process module may import only the function "env"."abort"/,
      ],
      [
        'an imported memory',
        () =>
          watToWasm(
            '(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle") (param i32 i32 i32 i32) (result i32) (i32.const 0)))',
          ),
        /imports memory "env"."memory"/,
      ],
      [
        'a start function that traps',
        () =>
          watToWasm(
            '(module (memory (export "memory") 1) (func $s unreachable) (start $s) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle") (param i32 i32 i32 i32) (result i32) (i32.const 0)))',
          ),
        /cannot instantiate the module: unreachable/,
      ],
    ];
    it.each(cases)('%s', async (_name, build, message) => {
      const source = await build();
      await expect(factory.create(wasmModuleDef(source), env, LIMITS)).rejects.toSatisfy(
        (e: unknown) => isAoError(e, 'MODULE_LOAD_FAILED') && message.test((e as Error).message),
      );
    });
  });

  it('resumes a checkpoint exactly as if it had continued, non-exported globals included', async () => {
    const { p, msgs } = await start();
    await p.evaluate(act(msgs, 'Mint', ALICE, { Quantity: '50' }));
    await p.evaluate(act(msgs, 'Transfer', ALICE, { Quantity: '20', Recipient: BOB }));
    await p.evaluate(act(msgs, 'Grow', ALICE, { Quantity: '2' }));
    const checkpoint = await p.checkpoint();
    const resumed = await factory.create(wasmModuleDef(token), env, LIMITS, checkpoint);
    expect(await resumed.stateHash()).toBe(await p.stateHash());
    const next = [act(msgs, 'Transfer', BOB, { Quantity: '5', Recipient: ALICE }), act(msgs, 'Count'), act(msgs, 'Balance', BOB), act(msgs, 'Trap', BOB)];
    for (const m of next) expect(await resumed.evaluate(m)).toEqual(await p.evaluate(m));
    // Process, Mint, Transfer, Grow, Transfer, Count, Balance (Trap rolled back), Count
    const count = act(msgs, 'Count');
    expect((await resumed.evaluate(count)).Output).toBe('8');
    await p.evaluate(count);
    expect(await resumed.stateHash()).toBe(await p.stateHash());
  });

  it('refuses a checkpoint of another module or a truncated one', async () => {
    const { p } = await start();
    const checkpoint = await p.checkpoint();
    const other = await watToWasm(`(module (memory (export "memory") 3) (func (export "alloc") (param i32) (result i32) (i32.const 0))
      (func (export "handle") (param i32 i32 i32 i32) (result i32) (i32.const 0)))`);
    await expect(factory.create(wasmModuleDef(other), env, LIMITS, checkpoint)).rejects.toSatisfy((e: unknown) => isAoError(e, 'INVALID_REQUEST'));
    await expect(factory.create(wasmModuleDef(token), env, LIMITS, checkpoint.subarray(0, checkpoint.length - 1))).rejects.toSatisfy(
      (e: unknown) => isAoError(e, 'INVALID_REQUEST') && /truncated/.test((e as Error).message),
    );
  });

  it('dry-runs without changing the state', async () => {
    const { p, msgs } = await start();
    await p.evaluate(act(msgs, 'Mint', ALICE, { Quantity: '50' }));
    const before = await p.stateHash();
    const dry = await p.dryRun({ ...act(msgs, 'Transfer', ALICE, { Quantity: '20', Recipient: BOB }), 'Read-Only': true });
    expect(dry.Messages[0]).toMatchObject({ Target: BOB });
    await p.dryRun(act(msgs, 'Grow', ALICE, { Quantity: '4' }));
    expect(await p.stateHash()).toBe(before);
    expect((await p.evaluate(act(msgs, 'Balance', ALICE))).Output).toBe('50');
  });

  it('gives identical results and state hash on two fresh instances over the same 1,000 messages', async () => {
    const msgs = new MessageFactory(env);
    const users = Array.from({ length: 20 }, (_, i) => `user-${String(i).padStart(38, '0')}`);
    const log = [msgs.processMessage()];
    let seed = 42;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 999; i++) {
      const from = users[next(users.length)];
      const to = users[next(users.length)];
      const kind = next(10);
      if (kind < 2) log.push(act(msgs, 'Mint', from, { Quantity: String(100 + i) }));
      else if (kind === 7) log.push(act(msgs, 'Trap', from, { Quantity: '1' }));
      else if (kind === 8) log.push(act(msgs, 'Balance', from));
      else log.push(act(msgs, 'Transfer', from, { Quantity: String((i * 31) % 250), Recipient: to }));
    }
    // two instances with different restore-point policies, so rollbacks replay different logs
    const a = await new WasmEvaluatorFactory().create(wasmModuleDef(token), env, LIMITS);
    const b = await new WasmEvaluatorFactory({ maxReplayMessages: 7 }).create(wasmModuleDef(token), env, LIMITS);
    const ra = [];
    const rb = [];
    for (const m of log) ra.push(await a.evaluate(m));
    for (const m of log) rb.push(await b.evaluate(m));
    expect(rb).toEqual(ra);
    expect(ra.filter((r) => r.Error === 'insufficient balance').length).toBeGreaterThan(10);
    expect(ra.filter((r) => r.Messages.length === 1).length).toBeGreaterThan(100);
    expect(await b.stateHash()).toBe(await a.stateHash());
  });
});
