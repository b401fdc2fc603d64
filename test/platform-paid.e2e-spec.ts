import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { ArweaveSigner, createData } from 'arbundles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageItem, newUser } from './support/items.js';
import { apiKeyFor, newTrader } from './support/platform-users.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { SseClient } from './support/sse.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';

// A priced strategy on the real units. The agent sells access to its `config` topic for 100 units
// of a token (its own subscription config); the platform publishes it at that price. A trader who
// brought their own Arweave wallet signs both the payment (a Transfer to the token) and the
// Register-Subscriber with their key (arbundles, as aoconnect does), the platform only relays them;
// a trader whose key the platform holds is paid for by the platform signing as them. Unpaid,
// underpaid or unfunded subscriptions are refused with a code and cost nothing.

const ADMIN = { email: 'admin@example.com', password: 'admin password 1' };
const PRICE = '100';
type Tag = { name: string; value: string };
type Auth = { authorization: string };

/** An Arweave wallet the trader holds: an RSA key, signing ANS-104 items with arbundles. */
function arweaveWallet() {
  const jwk = generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 65537 }).privateKey.export({ format: 'jwk' }) as { n: string };
  const signer = new ArweaveSigner(jwk as never);
  return {
    address: createHash('sha256').update(Buffer.from(jwk.n, 'base64url')).digest('base64url'),
    /** A signed ao message, base64 (what POST /api/subscriptions takes). */
    async sign(target: string, tags: Record<string, string>): Promise<{ id: string; base64: string }> {
      const all: Tag[] = [{ name: 'Data-Protocol', value: 'ao' }, { name: 'Variant', value: 'ao.TN.1' }, { name: 'Type', value: 'Message' }, ...Object.entries(tags).map(([name, value]) => ({ name, value }))];
      const item = createData('', signer, { target, anchor: randomBytes(24).toString('base64url'), tags: all });
      await item.sign(signer);
      return { id: item.id, base64: Buffer.from(item.getRaw()).toString('base64') };
    },
  };
}

describe('a priced strategy, paid in a token, from a brought wallet and from a platform-held one', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let admin: Auth;
  const wallet = arweaveWallet();
  let brought: { user: { id: string; aoAddress: string }; auth: Auth };
  let held: { user: { id: string; aoAddress: string }; auth: Auth };
  let unfunded: { user: { id: string; aoAddress: string }; auth: Auth };
  let token: { id: string; processId: string };
  let agent: { id: string; processId: string };
  let strategyId: string;
  const http = () => platform.http();
  const balance = async (account: string) => {
    const body = (await http().post('/cu/dry-run').query({ 'process-id': token.processId }).send({ Target: token.processId, Owner: account, From: account, Tags: [{ name: 'Action', value: 'Balance' }, { name: 'Recipient', value: account }] }).expect(200)).body as { Messages: { Tags: Tag[] }[] };
    return body.Messages[0].Tags.find((x) => x.name === 'Balance')?.value;
  };
  const subscribers = async () => (await http().get(`/api/agents/${agent.id}/state`).set(admin).expect(200)).body.subscriptions.data as { subscriber: string; paidUntil?: number; topics: string[] }[];
  const register = () => wallet.sign(agent.processId, { Action: 'Register-Subscriber', Topics: JSON.stringify(['config']) });
  const payment = (quantity: string, from = wallet) => from.sign(token.processId, { Action: 'Transfer', Recipient: agent.processId, Quantity: quantity, 'X-Action': 'Pay-For-Subscription' });

  beforeAll(async () => {
    t = await createTestEnv({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RESULT_TIMEOUT_MS: '60000', FEED_HEARTBEAT_MS: '300', PROJECTION_SWEEP_MS: '500' });
    platform = await startTestPlatform(t.env, { listen: true });
    admin = await apiKeyFor(http, ADMIN.email, ADMIN.password);
    brought = await newTrader(http, admin, 'brought@example.com', wallet.address);
    held = await newTrader(http, admin, 'held@example.com');
    unfunded = await newTrader(http, admin, 'unfunded@example.com');
    await until('the modules', async () => (await http().get('/info').expect(200)).body.modules['media-codec'], 60_000, 300);
    token = (await http().post('/api/agents').set(admin).send({ blueprint: 'token', name: 'pay', config: { name: 'Pay', ticker: 'PAY', balances: { [wallet.address]: '1000', [held.user.aoAddress]: '1000' } } }).expect(201)).body;
    const pricing = { subscriptionToken: token.processId, subscriptionPrice: PRICE, subscriptionPeriodMs: 3_600_000, paidTopics: ['config'] };
    agent = (await http().post('/api/agents').set(admin).send({ blueprint: 'media-verifier', name: 'paid-verifier', config: pricing }).expect(201)).body;
    await http().post(`/api/agents/${agent.id}/start`).set(admin).expect(200);
  }, 180_000);

  afterAll(async () => {
    await platform?.close();
    await t?.cleanup();
  });

  it("publishes the agent only at its own price", async () => {
    const body = { agentId: agent.id, title: 'Paid config', description: 'Every accepted Configure', topics: ['config'] };
    const wrong = (await http().post('/api/strategies').set(admin).send({ ...body, price: '50', token: token.processId }).expect(400)).body;
    expect(wrong.details.fields[0]).toMatchObject({ field: 'price', rule: 'agent-pricing' });
    expect((await http().post('/api/strategies').set(admin).send(body).expect(400)).body.details.fields[0].rule).toBe('agent-pricing');
    strategyId = (await http().post('/api/strategies').set(admin).send({ ...body, price: PRICE, token: token.processId }).expect(201)).body.id;
  });

  it('refuses an unpaid or underpaid subscription from a brought wallet, and sends nothing', async () => {
    const signedItem = (await register()).base64;
    const unpaid = (await http().post('/api/subscriptions').set(brought.auth).send({ strategyId, signedItem }).expect(402)).body;
    expect(unpaid).toMatchObject({ code: 'PAYMENT_REQUIRED', details: { price: PRICE, token: token.processId, recipient: agent.processId } });
    const under = (await http().post('/api/subscriptions').set(brought.auth).send({ strategyId, signedItem, paymentItem: (await payment('99')).base64 }).expect(402)).body;
    expect(under).toMatchObject({ code: 'UNDERPAID', details: { price: PRICE, quantity: '99' } });
    // a payment someone else signed is not the user's
    const stranger = await messageItem(newUser(), token.processId, [{ name: 'Action', value: 'Transfer' }, { name: 'Recipient', value: agent.processId }, { name: 'Quantity', value: PRICE }, { name: 'X-Action', value: 'Pay-For-Subscription' }], '');
    const foreign = (await http().post('/api/subscriptions').set(brought.auth).send({ strategyId, signedItem, paymentItem: Buffer.from(stranger.raw).toString('base64') }).expect(400)).body;
    expect(foreign.details.fields[0]).toMatchObject({ field: 'paymentItem', rule: 'pay-for-subscription' });
    // a platform-held identity may not hand in items
    await http().post('/api/subscriptions').set(held.auth).send({ strategyId, paymentItem: (await payment(PRICE)).base64 }).expect(400);
    expect(await balance(wallet.address)).toBe('1000');
    expect((await subscribers()).map((s) => s.subscriber)).not.toContain(wallet.address);
    expect((await http().get('/api/subscriptions').set(brought.auth).expect(200)).body).toEqual([]);
  });

  it('subscribes a brought wallet that signs its own payment, and feeds it the paid topic', async () => {
    const pay = await payment(PRICE);
    const sub = (await http().post('/api/subscriptions').set(brought.auth).send({ strategyId, signedItem: (await register()).base64, paymentItem: pay.base64 }).expect(201)).body;
    expect(sub).toMatchObject({ status: 'active', subscriber: wallet.address, topics: ['config'], paymentMessageId: pay.id });
    // both items are the trader's own, relayed as signed
    expect((await http().get(`/su/${pay.id}`).query({ 'process-id': token.processId }).expect(200)).body.message.owner.address).toBe(wallet.address);
    expect((await http().get(`/su/${sub.messageId}`).query({ 'process-id': agent.processId }).expect(200)).body.message.owner.address).toBe(wallet.address);
    expect(await balance(wallet.address)).toBe('900');
    expect(await balance(agent.processId)).toBe(PRICE);
    const row = (await subscribers()).find((s) => s.subscriber === wallet.address)!;
    expect(row.topics).toEqual(['config']);
    expect(row.paidUntil).toBeGreaterThan(Date.now());

    const feed = await SseClient.open(`${platform.url}/api/feed`, brought.auth);
    const patched = (await http().patch(`/api/agents/${agent.id}/config`).set(admin).send({ config: { nearDuplicateMaxDistance: 7 } }).expect(200)).body;
    const [event] = await feed.until(1, 120_000);
    await feed.close();
    expect(event.event).toBe('config');
    const data = JSON.parse(event.data);
    expect(data).toMatchObject({ agentId: agent.id, messageId: patched.messageId, payload: { values: { nearDuplicateMaxDistance: 7 } } });
    // the agent itself delivered it to the paid-up wallet: a Notify-On-Topic in the Configure's result
    const result = await platform.result(agent.processId, patched.messageId);
    const notified = (result.Messages as { Target: string; Tags: Tag[] }[]).filter((m) => m.Target === wallet.address && m.Tags.some((x) => x.name === 'Action' && x.value === 'Notify-On-Topic'));
    expect(notified.map((m) => m.Tags.find((x) => x.name === 'Event-Seq')?.value)).toEqual([String(data.eventSeq)]);
  }, 240_000);

  it('pays from a platform-held wallet, and refuses one without funds', async () => {
    const sub = (await http().post('/api/subscriptions').set(held.auth).send({ strategyId }).expect(201)).body;
    expect(sub.paymentMessageId).toEqual(expect.any(String));
    expect(await balance(held.user.aoAddress)).toBe('900');
    expect((await subscribers()).find((s) => s.subscriber === held.user.aoAddress)?.paidUntil).toBeGreaterThan(Date.now());
    // paid up already: subscribing again (other topics) does not pay twice
    await http().post('/api/subscriptions').set(held.auth).send({ strategyId, topics: ['config'] }).expect(201);
    expect(await balance(held.user.aoAddress)).toBe('900');

    const poor = (await http().post('/api/subscriptions').set(unfunded.auth).send({ strategyId }).expect(422)).body;
    expect(poor).toMatchObject({ code: 'PAYMENT_FAILED' });
    expect(poor.error).toMatch(/Insufficient Balance/);
    expect((await http().get('/api/subscriptions').set(unfunded.auth).expect(200)).body).toEqual([]);
    expect((await subscribers()).map((s) => s.subscriber)).not.toContain(unfunded.user.aoAddress);
  }, 240_000);
});
