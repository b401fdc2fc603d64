import { describe, expect, it } from 'vitest';
import { isAoError } from '../../errors.js';
import { LuaProcess } from './lua-process.js';
import { VmTrap, type LuaVm } from './lua-vm.js';
import { aosModuleDef, bootAos, DEFAULT_TEST_LIMITS, evalOk, outputText, type BootedProcess } from './testing.js';

const COUNTER = `
Count = 0
Items = {}
Handlers.add("add", "Add", function(msg)
  Count = Count + tonumber(msg.Amount)
  Items[#Items + 1] = msg.Amount
  msg.reply({ Action = "Added", Total = tostring(Count) })
end)
Handlers.add("fail", "Fail", function(msg)
  Count = Count + 1000000
  Items[#Items + 1] = "poison"
  error("refused")
end)
`;

async function add(booted: BootedProcess, amount: number) {
  return booted.process.evaluate(booted.msgs.message({ Action: 'Add', Amount: String(amount) }));
}

describe('rollback: a failed message leaves the state as it was', () => {
  it('restores the state hash and the values, whatever the distance to the last restore point', async () => {
    // a tiny snapshot interval and a huge one: both must give the same states
    for (const evaluator of [{ minSnapshotIntervalMs: 0, snapshotRatio: 0 }, { minSnapshotIntervalMs: 1e9, snapshotRatio: 1e9 }]) {
      const booted = await bootAos({ bootCode: COUNTER, evaluator });
      for (let i = 1; i <= 50; i++) await add(booted, i);
      const before = await booted.process.stateHash();
      const failed = await booted.process.evaluate(booted.msgs.message({ Action: 'Fail' }));
      expect(failed.Error).toMatch(/refused/);
      expect(await booted.process.stateHash()).toBe(before);
      expect(await evalOk(booted, 'return Count, #Items')).toBe(`${(50 * 51) / 2}\t50`);
      const next = await add(booted, 1);
      expect(next.Messages[0].Tags).toContainEqual({ name: 'Total', value: String((50 * 51) / 2 + 1) });
      expect(booted.process.stats().rollbacks).toBe(1);
      booted.process.close();
    }
  });

  it('gives exactly the states and results of a process that never saw the failed messages', async () => {
    const withErrors = await bootAos({ bootCode: COUNTER, evaluator: { minSnapshotIntervalMs: 0.5, snapshotRatio: 5 } });
    const clean = await bootAos({ bootCode: COUNTER });
    for (let i = 1; i <= 300; i++) {
      if (i % 7 === 0) {
        const failed = await withErrors.process.evaluate(withErrors.msgs.message({ Action: 'Fail' }));
        expect(failed.Error).toBeDefined();
        clean.msgs.message({}); // keep both message factories at the same nonce
      }
      const a = await add(withErrors, i);
      const b = await add(clean, i);
      expect(a).toEqual(b);
    }
    expect(await withErrors.process.stateHash()).toBe(await clean.process.stateHash());
    withErrors.process.close();
    clean.process.close();
  });

  it('leaves the heap byte-identical to the heap before the failed message', async () => {
    const booted = await bootAos({ bootCode: COUNTER });
    for (let i = 1; i <= 20; i++) await add(booted, i);
    const vm = (booted.process as unknown as { vm: LuaVm }).vm;
    const before = vm.snapshot();
    const beforeBytes = before.bytes.slice(0, before.length);
    await booted.process.evaluate(booted.msgs.eval('Junk = {} for i = 1, 100000 do Junk[i] = tostring(i) end error("late")'));
    const after = vm.snapshot();
    expect(after.length).toBe(before.length);
    expect(Buffer.compare(Buffer.from(after.bytes.subarray(0, after.length)), Buffer.from(beforeBytes))).toBe(0);
    booted.process.close();
  });
});

describe('concurrent calls', () => {
  it('are run one at a time, in call order, so a rollback never loses another message', async () => {
    const concurrent = await bootAos({ bootCode: COUNTER });
    const sequential = await bootAos({ bootCode: COUNTER });
    const plan = Array.from({ length: 60 }, (_, i): Record<string, string> => (i % 5 === 4 ? { Action: 'Fail' } : { Action: 'Add', Amount: String(i) }));
    const results = await Promise.all(
      plan.flatMap((tags, i) => [
        concurrent.process.evaluate(concurrent.msgs.message(tags)),
        ...(i % 10 === 0 ? [concurrent.process.dryRun(concurrent.msgs.message({ Action: 'Add', Amount: '1000' }))] : []),
      ]),
    );
    const expected = [];
    for (const [i, tags] of plan.entries()) {
      expected.push(await sequential.process.evaluate(sequential.msgs.message(tags)));
      if (i % 10 === 0) expected.push(await sequential.process.dryRun(sequential.msgs.message({ Action: 'Add', Amount: '1000' })));
    }
    expect(results).toEqual(expected);
    expect(await concurrent.process.stateHash()).toBe(await sequential.process.stateHash());
    concurrent.process.close();
    sequential.process.close();
  });
});

describe('dry-run', () => {
  it('returns the result of the message and forgets every effect', async () => {
    const booted = await bootAos({ bootCode: COUNTER });
    for (let i = 1; i <= 10; i++) await add(booted, i);
    const before = await booted.process.stateHash();
    const dry = await booted.process.dryRun({ ...booted.msgs.message({ Action: 'Add', Amount: '1000' }), 'Read-Only': true });
    expect(dry.Error).toBeUndefined();
    expect(dry.Messages[0].Tags).toContainEqual({ name: 'Total', value: '1055' });
    expect(await booted.process.stateHash()).toBe(before);
    const dryEval = await booted.process.dryRun(booted.msgs.eval('Count = -1; return Count'));
    expect(outputText(dryEval)).toBe('-1');
    expect(await evalOk(booted, 'return Count, ao.reference')).toBe('55\t10');
    booted.process.close();
  });

  it('a failing or runaway dry-run changes nothing either', async () => {
    const booted = await bootAos({ bootCode: COUNTER, limits: { gas: 1_000_000 } });
    await add(booted, 5);
    const before = await booted.process.stateHash();
    expect((await booted.process.dryRun(booted.msgs.message({ Action: 'Fail' }))).Error).toMatch(/refused/);
    expect((await booted.process.dryRun(booted.msgs.eval('Count = 7 while true do end'))).Error).toBe('out of gas');
    expect(await booted.process.stateHash()).toBe(before);
    booted.process.close();
  });
});

describe('stateHash', () => {
  it('is equal for equal states, different for different ones, and does not change the state', async () => {
    const a = await bootAos({ bootCode: COUNTER });
    const b = await bootAos({ bootCode: COUNTER });
    expect(await a.process.stateHash()).toBe(await b.process.stateHash());
    await add(a, 3);
    const afterOne = await a.process.stateHash();
    expect(afterOne).not.toBe(await b.process.stateHash());
    expect(await a.process.stateHash()).toBe(afterOne);
    await add(b, 3);
    expect(await b.process.stateHash()).toBe(afterOne);
    // a function's code is part of the state
    await evalOk(a, 'Fn = function() return 1 end');
    await evalOk(b, 'Fn = function() return 2 end');
    expect(await a.process.stateHash()).not.toBe(await b.process.stateHash());
    a.process.close();
    b.process.close();
  });
});

describe('checkpoints', () => {
  it('a process resumed from a checkpoint continues exactly like the original', async () => {
    const original = await bootAos({ bootCode: COUNTER });
    for (let i = 1; i <= 30; i++) await add(original, i);
    const image = await original.process.checkpoint();
    const resumed = await LuaProcess.create(aosModuleDef(), original.env, DEFAULT_TEST_LIMITS, {}, image);
    expect(await resumed.stateHash()).toBe(await original.process.stateHash());
    for (let i = 31; i <= 60; i++) {
      const msg = original.msgs.message({ Action: 'Add', Amount: String(i) });
      expect(await resumed.evaluate(msg)).toEqual(await original.process.evaluate(msg));
    }
    expect(await resumed.stateHash()).toBe(await original.process.stateHash());
    original.process.close();
    resumed.close();
  });

  it('is refused for another module', async () => {
    const booted = await bootAos();
    const image = await booted.process.checkpoint();
    const other = { ...aosModuleDef(), source: new TextEncoder().encode('return { handle = function() return "{}" end, canonicalState = function() return "" end }') };
    await expect(LuaProcess.create(other, booted.env, DEFAULT_TEST_LIMITS, {}, image)).rejects.toSatisfy((e: unknown) => isAoError(e, 'INVALID_REQUEST'));
    await expect(LuaProcess.create(aosModuleDef(), booted.env, DEFAULT_TEST_LIMITS, {}, new Uint8Array(10))).rejects.toSatisfy((e: unknown) =>
      isAoError(e, 'INVALID_REQUEST'),
    );
    booted.process.close();
  });
});

describe('VM traps', () => {
  it('a failure of the WebAssembly instance fails that message only: the VM is rebuilt at the same state', async () => {
    const booted = await bootAos({ bootCode: COUNTER });
    for (let i = 1; i <= 10; i++) await add(booted, i);
    const before = await booted.process.stateHash();
    const holder = booted.process as unknown as { vm: LuaVm };
    const vm = holder.vm;
    // messages go through the runtime's `step` (callReading)
    const realCall = vm.callReading.bind(vm);
    let armed = true;
    vm.callReading = ((...args: Parameters<LuaVm['callReading']>) => {
      if (armed) {
        armed = false;
        throw new VmTrap(new Error('simulated trap'));
      }
      return realCall(...args);
    }) as LuaVm['callReading'];
    const r = await add(booted, 100);
    expect(r.Error).toMatch(/evaluator failed/);
    expect(holder.vm).not.toBe(vm);
    expect(booted.process.stats().traps).toBe(1);
    expect(await booted.process.stateHash()).toBe(before);
    expect((await add(booted, 1)).Messages[0].Tags).toContainEqual({ name: 'Total', value: '56' });
    booted.process.close();
  });
});
