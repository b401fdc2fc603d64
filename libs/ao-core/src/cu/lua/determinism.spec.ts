import { afterEach, describe, expect, it, vi } from 'vitest';
import { LuaFactory } from 'wasmoon';
import type { EvalResult } from '../../types.js';
import { bootAos, CHANCE_MIXER as MIXER, type BootedProcess } from './testing.js';

const PAIRS = 'local t = {} for i = 1, 40 do t["key" .. i] = i end local o = {} for k in pairs(t) do o[#o + 1] = k end return table.concat(o, ",")';


async function runLog(booted: BootedProcess, count: number): Promise<EvalResult[]> {
  const results: EvalResult[] = [];
  for (let i = 1; i <= count; i++) {
    results.push(await booted.process.evaluate(booted.msgs.message({ Action: 'Mix', N: String(i) })));
  }
  return results;
}

describe('determinism', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('control: stock wasmoon seeds the string hash from the clock, so pairs order depends on it', async () => {
    const engineAt = async (ms: number) => {
      const spy = vi.spyOn(Date, 'now').mockReturnValue(ms);
      const engine = await new LuaFactory().createEngine();
      spy.mockRestore();
      return engine;
    };
    const a = await engineAt(1_000_000_000_000);
    const b = await engineAt(1_700_000_000_000);
    const c = await engineAt(1_000_000_000_000);
    expect(a.doStringSync(PAIRS)).not.toBe(b.doStringSync(PAIRS));
    expect(a.doStringSync(PAIRS)).toBe(c.doStringSync(PAIRS));
    for (const e of [a, b, c]) e.global.close();
  });

  it('two fresh instances at different wall-clock times give identical results and state hashes over 2,000 messages', async () => {
    let clock = 1_000_000_000_000;
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => clock);
    const first = await bootAos({ bootCode: MIXER });
    clock = 1_734_567_891_234;
    const second = await bootAos({ bootCode: MIXER });

    // the clock keeps moving (by odd amounts) while the messages are evaluated
    spy.mockImplementation(() => (clock += 1_013));
    const resultsA = await runLog(first, 2000);
    const resultsB = await runLog(second, 2000);

    expect(resultsA.every((r) => r.Error === undefined)).toBe(true);
    expect(resultsB).toEqual(resultsA);
    expect(await second.process.stateHash()).toBe(await first.process.stateHash());
    // the log really exercised the seeds: pairs order and random numbers vary between messages
    const rolls = new Set(resultsA.map((r) => r.Messages[0].Tags.find((t) => t.name === 'Rolls')?.value));
    expect(rolls.size).toBe(2000);
    first.process.close();
    second.process.close();
  });

  it('pairs order inside the evaluator does not depend on the clock at creation', async () => {
    const orders = new Set<string>();
    for (const ms of [1_000_000_000_000, 1_500_000_000_000, 1_999_999_999_999]) {
      vi.spyOn(Date, 'now').mockReturnValue(ms);
      const booted = await bootAos();
      vi.restoreAllMocks();
      const r = await booted.process.evaluate(booted.msgs.eval(PAIRS));
      orders.add(JSON.stringify(r.Output));
      booted.process.close();
    }
    expect(orders.size).toBe(1);
  });

  it('Date.now and performance.now are left untouched outside evaluation', async () => {
    const booted = await bootAos();
    const before = Date.now();
    await booted.process.evaluate(booted.msgs.eval('return 1'));
    expect(Date.now()).toBeGreaterThanOrEqual(before);
    expect(Date.now()).toBeGreaterThan(1_600_000_000_000);
    expect(performance.now()).toBeGreaterThan(0);
    booted.process.close();
  });
});
