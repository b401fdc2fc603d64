import { bootAos, evalOk, outputText, tagOf, TEST_OWNER, TEST_PROCESS, type BootedProcess } from '@ao/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { EvalResult, Tag } from '@ao/core';
import { luaString, tokenBlueprint, tokenBootCode } from './token.js';

const ALICE = 'alice-address-000000000000000000000000000000';
const BOB = 'bob-address-00000000000000000000000000000000';
const HUGE = (2n ** 200n + 12345n).toString(); // far beyond 2^53 and 2^64

describe('token blueprint', () => {
  let booted: BootedProcess;
  afterEach(() => booted?.process.close());

  async function token(balances: Record<string, string> = {}): Promise<BootedProcess> {
    booted = await bootAos({ bootCode: tokenBootCode({ name: 'Test Coin', ticker: 'TST', denomination: 6, logo: 'logo-tx', balances }) });
    return booted;
  }

  const send = (tags: Record<string, string>, from = TEST_OWNER): Promise<EvalResult> =>
    booted.process.evaluate(booted.msgs.message(tags, { From: from, Owner: from }));

  const balance = async (account: string): Promise<string> => {
    const r = await send({ Action: 'Balance', Recipient: account });
    return r.Messages[0].Data ?? '';
  };

  const tagsOf = (tags: Tag[]) => Object.fromEntries(tags.map((t) => [t.name, t.value]));

  it('Info replies with Name, Ticker, Logo, Denomination and Total-Supply', async () => {
    await token({ [ALICE]: '1000' });
    const r = await send({ Action: 'Info', Reference: '1' }, BOB);
    expect(r.Messages).toHaveLength(1);
    expect(r.Messages[0].Target).toBe(BOB);
    expect(tagsOf(r.Messages[0].Tags)).toMatchObject({
      Name: 'Test Coin',
      Ticker: 'TST',
      Logo: 'logo-tx',
      Denomination: '6',
      'Total-Supply': '1000',
      'X-Reference': '1',
    });
  });

  it('Balance answers for the Recipient, the Target tag or the sender; unknown accounts have 0', async () => {
    await token({ [ALICE]: '42' });
    expect(await balance(ALICE)).toBe('42');
    const own = await send({ Action: 'Balance' }, ALICE);
    expect(tagsOf(own.Messages[0].Tags)).toMatchObject({ Balance: '42', Ticker: 'TST', Account: ALICE });
    const byTarget = await booted.process.evaluate(booted.msgs.message([{ name: 'Action', value: 'Balance' }, { name: 'Target', value: ALICE }], { From: BOB, Owner: BOB }));
    expect(byTarget.Messages[0].Data).toBe('42');
    expect(await balance(BOB)).toBe('0');
  });

  it('Balances replies with a JSON map', async () => {
    await token({ [ALICE]: '1', [BOB]: HUGE });
    const r = await send({ Action: 'Balances' });
    expect(JSON.parse(r.Messages[0].Data ?? '')).toEqual({ [ALICE]: '1', [BOB]: HUGE });
  });

  it('Transfer moves the amount and sends a Debit-Notice to the sender and a Credit-Notice to the recipient, forwarding X- tags', async () => {
    await token({ [ALICE]: '100' });
    const r = await send({ Action: 'Transfer', Recipient: BOB, Quantity: '30', Reference: '5', 'X-Order': 'o-1', 'X-Note': 'hi', Other: 'not forwarded' }, ALICE);
    expect(r.Error).toBeUndefined();
    expect(r.Messages).toHaveLength(2);
    const [debit, credit] = r.Messages;
    expect(debit.Target).toBe(ALICE);
    expect(tagsOf(debit.Tags)).toMatchObject({ Action: 'Debit-Notice', Recipient: BOB, Quantity: '30', 'X-Reference': '5', 'X-Order': 'o-1', 'X-Note': 'hi' });
    expect(credit.Target).toBe(BOB);
    expect(tagsOf(credit.Tags)).toMatchObject({ Action: 'Credit-Notice', Sender: ALICE, Quantity: '30', 'X-Order': 'o-1', 'X-Note': 'hi' });
    expect(tagOf(credit.Tags, 'Other')).toBeUndefined();
    expect(await balance(ALICE)).toBe('70');
    expect(await balance(BOB)).toBe('30');
  });

  it('Transfer with Cast moves the amount without notices', async () => {
    await token({ [ALICE]: '10' });
    const r = await send({ Action: 'Transfer', Recipient: BOB, Quantity: '4', Cast: 'true' }, ALICE);
    expect(r.Messages).toEqual([]);
    expect(await balance(BOB)).toBe('4');
  });

  it('Transfer-Error on an insufficient balance or a bad quantity or recipient, and nothing moves', async () => {
    await token({ [ALICE]: '10' });
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ Recipient: BOB, Quantity: '11' }, /Insufficient Balance/],
      [{ Recipient: BOB, Quantity: '0' }, /greater than 0/],
      [{ Recipient: BOB, Quantity: '-5' }, /integer string/],
      [{ Recipient: BOB, Quantity: '1.5' }, /integer string/],
      [{ Recipient: BOB, Quantity: '1e3' }, /integer string/],
      [{ Recipient: BOB }, /integer string/],
      [{ Quantity: '1' }, /Recipient is required/],
      [{ Recipient: BOB, Quantity: '9'.repeat(79) }, /integer string/],
    ];
    for (const [tags, error] of cases) {
      const r = await send({ Action: 'Transfer', ...tags }, ALICE);
      expect(r.Error).toBeUndefined();
      expect(r.Messages).toHaveLength(1);
      expect(r.Messages[0].Target).toBe(ALICE);
      expect(tagsOf(r.Messages[0].Tags)).toMatchObject({ Action: 'Transfer-Error', Error: expect.stringMatching(error) });
    }
    expect(await balance(ALICE)).toBe('10');
    expect(await balance(BOB)).toBe('0');
  });

  it('computes exactly with amounts beyond 2^53 and 2^64', async () => {
    const start = 2n ** 255n + 987654321987654321n;
    await token({ [ALICE]: start.toString() });
    let alice = start;
    let bob = 0n;
    const amounts = [2n ** 53n + 1n, 2n ** 64n + 7n, 10n ** 30n + 3n, 999999999999999999n, 1n, 2n ** 200n - 1n];
    for (const q of amounts) {
      const r = await send({ Action: 'Transfer', Recipient: BOB, Quantity: q.toString() }, ALICE);
      expect(r.Error).toBeUndefined();
      alice -= q;
      bob += q;
    }
    expect(await balance(ALICE)).toBe(alice.toString());
    expect(await balance(BOB)).toBe(bob.toString());
    // and back, crossing chunk boundaries with borrows
    const back = bob - 1n;
    await send({ Action: 'Transfer', Recipient: ALICE, Quantity: back.toString() }, BOB);
    expect(await balance(BOB)).toBe('1');
    expect(await balance(ALICE)).toBe((alice + back).toString());
    const supply = await send({ Action: 'Total-Supply' }, BOB);
    expect(supply.Messages[0].Data).toBe(start.toString());
  });

  it('the amount arithmetic matches BigInt on random operands', async () => {
    await token();
    const rnd = (digits: number) => BigInt('1' + Array.from({ length: digits - 1 }, (_, i) => ((i * 7919 + digits * 31) % 10).toString()).join(''));
    const pairs: Array<[bigint, bigint]> = [];
    for (let d = 1; d <= 78; d += 7) for (let e = 1; e <= d; e += 11) pairs.push([rnd(d), rnd(e)]);
    const code = pairs
      .map(([a, b]) => `print(Amount.add(${luaString(a.toString())}, ${luaString(b.toString())}), Amount.sub(${luaString(a.toString())}, ${luaString(b.toString())}), Amount.cmp(${luaString(a.toString())}, ${luaString(b.toString())}))`)
      .join('\n');
    const lines = (await evalOk(booted, code)).split('\n');
    pairs.forEach(([a, b], i) => {
      expect(lines[i]).toBe(`${a + b}\t${a - b}\t${a === b ? 0 : a > b ? 1 : -1}`);
    });
    expect(await evalOk(booted, 'return Amount.parse("000120"), Amount.parse("0000"), Amount.parse("12a"), Amount.parse(5)')).toBe('120\t0\tnil\tnil');
  });

  it('Mint is for the Owner (or the process itself) only, and raises the supply', async () => {
    await token();
    const denied = await send({ Action: 'Mint', Quantity: '5' }, ALICE);
    expect(tagsOf(denied.Messages[0].Tags)).toMatchObject({ Action: 'Mint-Error' });
    const minted = await send({ Action: 'Mint', Quantity: HUGE, Recipient: ALICE });
    expect(tagsOf(minted.Messages[0].Tags)).toMatchObject({ Action: 'Mint-Notice', Quantity: HUGE, Recipient: ALICE });
    await send({ Action: 'Mint', Quantity: '10' });
    expect(await balance(ALICE)).toBe(HUGE);
    expect(await balance(TEST_OWNER)).toBe('10');
    const supply = await send({ Action: 'Total-Supply' });
    expect(supply.Messages[0].Data).toBe((BigInt(HUGE) + 10n).toString());
    const bad = await send({ Action: 'Mint', Quantity: 'lots' });
    expect(tagsOf(bad.Messages[0].Tags)).toMatchObject({ Action: 'Mint-Error' });
    // the process minting through its own outbox: relayed by an MU it trusts
    await evalOk(booted, 'table.insert(ao.authorities, "mu-wallet")');
    const self = await booted.process.evaluate(booted.msgs.message({ Action: 'Mint', Quantity: '1' }, { From: TEST_PROCESS, Owner: 'mu-wallet' }));
    expect(self.Messages[0].Target).toBe(TEST_PROCESS);
  });

  it('Burn debits the sender and the supply; Burn-Error when short', async () => {
    await token({ [ALICE]: '50' });
    const burned = await send({ Action: 'Burn', Quantity: '20' }, ALICE);
    expect(tagsOf(burned.Messages[0].Tags)).toMatchObject({ Action: 'Burn-Notice', Quantity: '20' });
    const short = await send({ Action: 'Burn', Quantity: '31' }, ALICE);
    expect(tagsOf(short.Messages[0].Tags)).toMatchObject({ Action: 'Burn-Error' });
    expect(await balance(ALICE)).toBe('30');
    expect((await send({ Action: 'Total-Supply' })).Messages[0].Data).toBe('30');
  });

  it('reloading the blueprint keeps balances and config', async () => {
    await token({ [ALICE]: '7' });
    await evalOk(booted, tokenBlueprint.source);
    expect(await balance(ALICE)).toBe('7');
    expect(await evalOk(booted, 'return Ticker, Name, Denomination')).toBe('TST\tTest Coin\t6');
    expect(outputText(await send({ Action: 'Info' }))).toBe('');
  });

  it('tokenBootCode rejects bad configs', () => {
    expect(() => tokenBootCode({ denomination: -1 })).toThrow(RangeError);
    expect(() => tokenBootCode({ balances: { a: '1.5' } })).toThrow(RangeError);
    expect(luaString('a"b\\c\n\u00e9')).toBe('"a\\"b\\\\c\\010\\195\\169"');
  });
});
