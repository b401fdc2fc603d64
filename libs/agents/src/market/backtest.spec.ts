import { readFileSync } from 'node:fs';
import { TEST_OWNER } from '@ao/core';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSeries, runBacktest, type BacktestClient } from './backtest.js';
import expected from './fixtures/backtest-expected.json' with { type: 'json' };
import { SimNet } from './sim-net.js';

// A backtest over the hand-checked series, through runBacktest with an in-memory client: the
// paper fills, PnL and inventory are the hand-checked ones.

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function simClient(net: SimNet): BacktestClient {
  let n = 0;
  return {
    spawn: async (name, bootCode) => {
      const id = `${name}-${n++}-`.padEnd(43, '0');
      await net.spawn(id, bootCode);
      return id;
    },
    message: async (process, tags, data) => net.send(process, tags, { from: TEST_OWNER, data }),
    query: async (process, tags) => {
      const r = await net.send(process, tags, { from: 'reader-'.padEnd(43, '0') });
      const m = r.Messages[0];
      return { tags: Object.fromEntries(m.Tags.map((t) => [t.name, t.value])), data: m.Data ?? '' };
    },
  };
}

describe('backtest', () => {
  let net: SimNet;
  afterEach(() => net?.close());

  it('parses CSV and JSON series exactly (decimals scaled without floats)', () => {
    expect(parseSeries(fixture('backtest-series.csv')).map((p) => p.price)).toEqual(['100000000', '100000000', '98900000', '98900000', '101200000', '100000000']);
    expect(parseSeries('[{"time": 5, "price": "0.000001"}, {"time": 6, "price": 12.5}]')).toEqual([{ time: 5, price: '1' }, { time: 6, price: '12500000' }]);
    expect(parseSeries('1.25\n1.5', 2, 1000, 10)).toEqual([{ time: 1000, price: '125' }, { time: 1010, price: '150' }]);
    expect(() => parseSeries('0.0000001')).toThrow(/decimals/);
    expect(() => parseSeries('t,p\n2,1\n1,1')).toThrow(/backwards/);
  });

  it('runs a paper market maker over the series: the hand-checked fills, PnL and inventory', async () => {
    net = new SimNet();
    const config = JSON.parse(fixture('backtest-config.json'));
    const report = await runBacktest(simClient(net), config, parseSeries(fixture('backtest-series.csv')), { pollMs: 1 });
    expect(report.prices).toBe(6);
    expect(report.fills.map((f) => ({ side: f.side, price: f.price, quantity: f.quantity, fee: f.fee, feeToken: f.feeToken, timestamp: f.timestamp }))).toEqual(expected.fills);
    expect(report.fills.every((f) => f.paper === true)).toBe(true);
    expect(report.pnl).toMatchObject(expected.pnl);
    expect(report.inventory).toMatchObject(expected.inventory);
    expect(BigInt(report.maxDrawdown)).toBeGreaterThanOrEqual(0n);
    // paper mode sent nothing anywhere but the oracle
    expect(net.log.filter((m) => m.from === report.agent).every((m) => m.target === report.oracle)).toBe(true);
    expect(net.errors).toEqual([]);
  });
});
