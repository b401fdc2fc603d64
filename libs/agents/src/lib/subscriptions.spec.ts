import { bootAos, type BootedProcess, type EvalResult, type Tag } from '@ao/core';
import { afterEach, describe, expect, it } from 'vitest';
import { luaString } from '../blueprint.js';
import { bundleLua } from './lua-libs.js';

// lib/subscriptions.lua inside a small publisher: "Emit" publishes one event on a topic; pricing
// comes from globals the test sets with Eval, as an agent's config would.

const OWNER = 'owner-address-0000000000000000000000000000';
const PAY_TOKEN = 'pay-token-process-000000000000000000000000';
const OTHER_TOKEN = 'other-token-process-0000000000000000000000';
const ALICE = 'alice-address-000000000000000000000000000000';
const BOB = 'bob-address-00000000000000000000000000000000';
const CAROL = 'carol-address-00000000000000000000000000000';

const publisher = `
Price = Price or nil
Subscriptions.setup({
  blueprint = "test-publisher",
  topics = { "fills", "quotes", "status" },
  maxSubscribers = 3,
  pricing = function() return Price end,
})
Handlers.add("emit", "Emit", function(msg)
  Subscriptions.notify(msg.Topic, { n = msg.N }, msg)
end)
`;

const tagMap = (tags: Tag[]) => Object.fromEntries(tags.map((t) => [t.name, t.value]));

describe('lib/subscriptions.lua', () => {
  let booted: BootedProcess;
  afterEach(() => booted?.process.close());

  async function boot(): Promise<void> {
    booted = await bootAos({ bootCode: bundleLua(['subscriptions'], publisher) });
  }
  const send = (tags: Record<string, string>, from: string, extra: Record<string, unknown> = {}): Promise<EvalResult> =>
    booted.process.evaluate(booted.msgs.message(tags, { From: from, Owner: from, ...extra }));
  const owner = (code: string) => booted.process.evaluate(booted.msgs.eval(code, { From: OWNER, Owner: OWNER }));
  const emit = (topic: string, n: string) => send({ Action: 'Emit', Topic: topic, N: n }, OWNER);

  it('registers wallets and processes, notifies each subscriber of a topic once, in sorted id order, with Event-Seq', async () => {
    await boot();
    for (const who of [CAROL, ALICE, BOB]) {
      const r = await send({ Action: 'Register-Subscriber', Topics: who === BOB ? '["quotes"]' : '["fills","quotes"]' }, who);
      expect(tagMap(r.Messages[0].Tags)).toMatchObject({ Action: 'Register-Subscriber-Confirmation', Subscriber: who, Status: 'OK' });
    }
    const fills = await emit('fills', '1');
    expect(fills.Messages.map((m) => m.Target)).toEqual([ALICE, CAROL]);
    for (const m of fills.Messages) {
      expect(tagMap(m.Tags)).toMatchObject({ Action: 'Notify-On-Topic', Topic: 'fills', 'Event-Seq': '1', Blueprint: 'test-publisher' });
      expect(JSON.parse(m.Data ?? '')).toEqual({ n: '1', timestamp: expect.any(Number) });
    }
    const quotes = await emit('quotes', '2');
    expect(quotes.Messages.map((m) => m.Target)).toEqual([ALICE, BOB, CAROL]);
    expect(quotes.Messages.every((m) => tagMap(m.Tags)['Event-Seq'] === '2')).toBe(true);
    // nobody on status: no message, but the counter still advances
    expect((await emit('status', '3')).Messages).toEqual([]);
    expect(tagMap((await emit('fills', '4')).Messages[0].Tags)['Event-Seq']).toBe('4');
  });

  it('re-registering replaces the topic set; unknown topics and bad Topics are errors that change nothing', async () => {
    await boot();
    await send({ Action: 'Register-Subscriber', Topics: '["fills","quotes"]' }, ALICE);
    const again = await send({ Action: 'Register-Subscriber', Topics: '["status"]' }, ALICE);
    expect(tagMap(again.Messages[0].Tags).Topics).toBe('["status"]');
    expect((await emit('fills', '1')).Messages).toEqual([]);
    for (const topics of ['["nope"]', 'not json', '[]', '{"a":1}', '[1]']) {
      const bad = await send({ Action: 'Register-Subscriber', Topics: topics }, ALICE);
      expect(tagMap(bad.Messages[0].Tags)).toMatchObject({ Action: 'Register-Subscriber-Error', Error: expect.any(String) });
    }
    const list = await send({ Action: 'Get-Subscriptions' }, BOB);
    expect(JSON.parse(list.Messages[0].Data ?? '')).toEqual([{ subscriber: ALICE, topics: ['status'], whitelisted: false }]);
  });

  it('Unsubscribe removes some or all topics', async () => {
    await boot();
    await send({ Action: 'Register-Subscriber', Topics: '["fills","quotes"]' }, ALICE);
    await send({ Action: 'Register-Subscriber', Topics: '["fills"]' }, BOB);
    const some = await send({ Action: 'Unsubscribe', Topics: '["fills"]' }, ALICE);
    expect(tagMap(some.Messages[0].Tags)).toMatchObject({ Action: 'Unsubscribe-Confirmation', Topics: '["quotes"]' });
    expect((await emit('fills', '1')).Messages.map((m) => m.Target)).toEqual([BOB]);
    await send({ Action: 'Unsubscribe' }, BOB);
    expect((await emit('fills', '2')).Messages).toEqual([]);
    const rows = JSON.parse((await send({ Action: 'Get-Subscriptions' }, BOB)).Messages[0].Data ?? '');
    expect(rows).toEqual([{ subscriber: ALICE, topics: ['quotes'], whitelisted: false }]);
  });

  it('the Owner may register a wallet on its behalf (whitelisted); others cannot name a Subscriber', async () => {
    await boot();
    const byOwner = await send({ Action: 'Register-Subscriber', Topics: '["fills"]', Subscriber: CAROL }, OWNER);
    expect(tagMap(byOwner.Messages[0].Tags)).toMatchObject({ Subscriber: CAROL, Whitelisted: 'true' });
    const spoof = await send({ Action: 'Register-Subscriber', Topics: '["fills"]', Subscriber: CAROL }, BOB);
    expect(tagMap(spoof.Messages[0].Tags)).toMatchObject({ Subscriber: BOB, Whitelisted: 'false' });
    // whitelisted subscribers get paid topics for free
    await owner(`Price = { token = ${luaString(PAY_TOKEN)}, price = "100", periodMs = 1000 }`);
    expect((await emit('fills', '1')).Messages.map((m) => m.Target)).toEqual([CAROL]);
  });

  it('paid topics: a Credit-Notice from the payment token buys floor(q * period / price) ms for the X-Subscriber', async () => {
    await boot();
    await owner(`Price = { token = ${luaString(PAY_TOKEN)}, price = "300", periodMs = 1000, paidTopics = { "fills" } }`);
    await send({ Action: 'Register-Subscriber', Topics: '["fills","quotes"]' }, ALICE);
    // unpaid: quotes (free) arrive, fills (paid) do not
    expect((await emit('quotes', '1')).Messages.map((m) => m.Target)).toEqual([ALICE]);
    expect((await emit('fills', '2')).Messages).toEqual([]);
    // Bob pays 1000 for Alice: 1000 * 1000 / 300 = 3333.33 -> 3333 ms from now
    const paid = await send({ Action: 'Credit-Notice', Sender: BOB, Quantity: '1000', 'X-Action': 'Pay-For-Subscription', 'X-Subscriber': ALICE }, PAY_TOKEN, { Timestamp: 1_800_000_000_000 });
    expect(paid.Messages).toHaveLength(1);
    expect(paid.Messages[0].Target).toBe(BOB);
    expect(tagMap(paid.Messages[0].Tags)).toMatchObject({ Action: 'Pay-For-Subscription-Confirmation', Subscriber: ALICE, 'Paid-Until': String(1_800_000_000_000 + 3333) });
    const during = await send({ Action: 'Emit', Topic: 'fills', N: '3' }, OWNER, { Timestamp: 1_800_000_003_332 });
    expect(during.Messages.map((m) => m.Target)).toEqual([ALICE]);
    const after = await send({ Action: 'Emit', Topic: 'fills', N: '4' }, OWNER, { Timestamp: 1_800_000_003_333 });
    expect(after.Messages).toEqual([]);
    // a payment before expiry extends from paidUntil, not from now
    await send({ Action: 'Credit-Notice', Sender: ALICE, Quantity: '300', 'X-Action': 'Pay-For-Subscription' }, PAY_TOKEN, { Timestamp: 1_800_000_001_000 });
    const rows = JSON.parse((await send({ Action: 'Get-Subscriptions' }, BOB)).Messages[0].Data ?? '');
    expect(rows[0]).toMatchObject({ subscriber: ALICE, paidUntil: 1_800_000_003_333 + 1000 });
  });

  it('refunds the wrong token, an unpriced agent and a full agent exactly, with X-Error; never tonumber', async () => {
    await boot();
    const huge = (2n ** 200n + 1n).toString();
    const unpriced = await send({ Action: 'Credit-Notice', Sender: ALICE, Quantity: huge, 'X-Action': 'Pay-For-Subscription' }, PAY_TOKEN);
    const refund = unpriced.Messages.find((m) => tagMap(m.Tags).Action === 'Transfer')!;
    expect(refund.Target).toBe(PAY_TOKEN);
    expect(tagMap(refund.Tags)).toMatchObject({ Recipient: ALICE, Quantity: huge, 'X-Error': expect.stringMatching(/no subscriptions/) });
    await owner(`Price = { token = ${luaString(PAY_TOKEN)}, price = "1", periodMs = 1 }`);
    const wrong = await send({ Action: 'Credit-Notice', Sender: ALICE, Quantity: '5', 'X-Action': 'Pay-For-Subscription' }, OTHER_TOKEN);
    const back = wrong.Messages.find((m) => tagMap(m.Tags).Action === 'Transfer')!;
    expect(back.Target).toBe(OTHER_TOKEN);
    expect(tagMap(back.Tags)).toMatchObject({ Recipient: ALICE, Quantity: '5', 'X-Error': expect.stringMatching(/accepted in/) });
    expect(wrong.Messages.find((m) => m.Target === ALICE)).toBeDefined();
    for (const who of [ALICE, BOB, CAROL]) await send({ Action: 'Register-Subscriber', Topics: '["fills"]' }, who);
    const full = await send({ Action: 'Register-Subscriber', Topics: '["fills"]' }, 'dave-address-0000000000000000000000000000000');
    expect(tagMap(full.Messages[0].Tags)).toMatchObject({ Action: 'Register-Subscriber-Error', Error: expect.stringMatching(/limit/) });
    const fullPay = await send({ Action: 'Credit-Notice', Sender: 'dave', Quantity: '7', 'X-Action': 'Pay-For-Subscription' }, PAY_TOKEN);
    expect(tagMap(fullPay.Messages[0].Tags)).toMatchObject({ Action: 'Transfer', Recipient: 'dave', Quantity: '7' });
  });

  it('subscriber state survives a re-boot of the same code', async () => {
    await boot();
    await send({ Action: 'Register-Subscriber', Topics: '["fills"]' }, BOB);
    await emit('fills', '1');
    await owner(bundleLua(['subscriptions'], publisher));
    const r = await emit('fills', '2');
    expect(r.Messages.map((m) => [m.Target, tagMap(m.Tags)['Event-Seq']])).toEqual([[BOB, '2']]);
  });
});
