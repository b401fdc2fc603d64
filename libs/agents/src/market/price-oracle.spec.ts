import { TEST_OWNER } from '@ao/core';
import { afterEach, describe, expect, it } from 'vitest';
import { priceOracleBootCode, type PriceOracleConfig } from './price-oracle.js';
import { SimNet } from './sim-net.js';

// The price oracle in the aos runtime: series, seeded walk (replay-exact) and signed feed.

const ORACLE = 'oracle-'.padEnd(43, '0');
const SUB = 'subscriber-'.padEnd(43, '0');
const PUB = 'publisher-'.padEnd(43, '0');

describe('price oracle', () => {
  let net: SimNet;
  afterEach(() => net?.close());

  async function oracle(config: PriceOracleConfig): Promise<void> {
    net = new SimNet();
    await net.spawn(ORACLE, priceOracleBootCode(config));
    await net.send(ORACLE, { Action: 'Register-Subscriber', Topics: '["prices"]' }, { from: SUB });
    await net.send(ORACLE, { Action: 'Start' });

  }
  const prices = () => net.mailTo(SUB, 'Notify-On-Topic').map((m) => JSON.parse(m.data).price as string);

  it('publishes the series one value per tick, looping', async () => {
    await oracle({ mode: 'series', series: ['100', '101', '99'] });
    for (let i = 0; i < 5; i++) await net.tick(ORACLE);
    expect(prices()).toEqual(['100', '101', '99', '100', '101']);
    const last = await net.send(ORACLE, { Action: 'Get-Price' }, { from: SUB });
    expect(Object.fromEntries(last.Messages[0].Tags.map((t) => [t.name, t.value]))).toMatchObject({ Price: '101', Seq: '5' });
  });

  it('walks with a seeded step: the same seed gives the same prices, each step within stepBps', async () => {
    const run = async (seed: number) => {
      await oracle({ mode: 'walk', walk: { start: '100000000', stepBps: 50, seed } });
      for (let i = 0; i < 30; i++) await net.tick(ORACLE);
      const p = prices();
      net.close();
      return p;
    };
    const a = await run(42), b = await run(42), c = await run(43);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    let prev = 100_000_000n;
    for (const p of a.map(BigInt)) {
      expect(p * 10000n >= prev * 9950n - 10000n && p * 10000n <= prev * 10050n).toBe(true);
      prev = p;
    }
    expect(new Set(a).size).toBeGreaterThan(10);
  });

  it('takes signed prices from its owner and publishers only, with their series time', async () => {
    await oracle({ mode: 'feed', publishers: [PUB] });
    await net.send(ORACLE, { Action: 'Publish-Price', Price: '123', Time: '1600000000000' });
    await net.send(ORACLE, { Action: 'Publish-Price', Price: '124' }, { from: PUB });
    const refused = await net.send(ORACLE, { Action: 'Publish-Price', Price: '1' }, { from: SUB });
    expect(refused.Messages[0].Tags.find((t) => t.name === 'Error')?.value).toBe('not-publisher');
    const bad = await net.send(ORACLE, { Action: 'Publish-Price', Price: '1.5' }, { from: TEST_OWNER });
    expect(bad.Messages[0].Tags.find((t) => t.name === 'Error')?.value).toBe('bad-price');
    expect(prices()).toEqual(['123', '124']);
    expect(JSON.parse(net.mailTo(SUB, 'Notify-On-Topic')[0].data)).toMatchObject({ time: 1600000000000, source: 'feed', seq: 1 });
  });
});
