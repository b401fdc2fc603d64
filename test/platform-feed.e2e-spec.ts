import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, rebuildAgentEvents, type PrismaClient } from '@ao/infra';
import { apiKeyFor, newTrader } from './support/platform-users.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { SseClient } from './support/sse.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';

// Strategies, subscriptions and the live feed on the real units: a trader subscribes (a
// Register-Subscriber message signed as them), follows the agent's events over SSE, disconnects,
// resumes with Last-Event-ID and misses nothing. The oracle is the agent's own outbox: the
// Notify-On-Topic messages addressed to the trader in its results.

const ADMIN = { email: 'admin@example.com', password: 'admin password 1' };
type Tag = { name: string; value: string };

describe('strategies, subscriptions and the live feed', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let prisma: PrismaClient;
  let admin: { authorization: string };
  let traderA: { user: { id: string; aoAddress: string }; auth: { authorization: string } };
  let traderB: { user: { id: string; aoAddress: string }; auth: { authorization: string } };
  let agent: { id: string; processId: string };
  let strategyId: string;
  let subscriptionId: string;
  const configured: string[] = [];
  const http = () => platform.http();
  const patch = async (value: number) => {
    const res = await http().patch(`/api/agents/${agent.id}/config`).set(admin).send({ config: { nearDuplicateMaxDistance: value } }).expect(200);
    configured.push(res.body.messageId);
  };
  /** Event-Seqs of the Notify-On-Topic messages to `address` in the agent's results, in order (the oracle). */
  const notifiedTo = async (address: string) => {
    const seqs: number[] = [];
    const logs = (await http().get(`/api/agents/${agent.id}/logs`).set(admin).query({ limit: 200 }).expect(200)).body.items as { messageId: string; nonce: number }[];
    for (const entry of [...logs].sort((a, b) => a.nonce - b.nonce)) {
      const result = await platform.result(agent.processId, entry.messageId);
      for (const m of result.Messages as { Target: string; Tags: Tag[] }[]) {
        const tags = Object.fromEntries(m.Tags.map((x) => [x.name, x.value]));
        if (m.Target === address && tags.Action === 'Notify-On-Topic') seqs.push(Number(tags['Event-Seq']));
      }
    }
    return seqs;
  };

  beforeAll(async () => {
    t = await createTestEnv({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RESULT_TIMEOUT_MS: '60000', FEED_HEARTBEAT_MS: '300', PROJECTION_SWEEP_MS: '500' });
    platform = await startTestPlatform(t.env, { listen: true });
    prisma = createPrismaClient(t.env.DATABASE_URL, 1);
    admin = await apiKeyFor(http, ADMIN.email, ADMIN.password);
    traderA = await newTrader(http, admin, 'a@example.com');
    traderB = await newTrader(http, admin, 'b@example.com');
    await until('the modules', async () => (await http().get('/info').expect(200)).body.modules['media-codec'], 60_000, 300);
    agent = (await http().post('/api/agents').set(admin).send({ blueprint: 'media-verifier', name: 'verifier' }).expect(201)).body;
    await http().post(`/api/agents/${agent.id}/start`).set(admin).expect(200);
  }, 180_000);

  afterAll(async () => {
    await prisma?.$disconnect();
    await platform?.close();
    await t?.cleanup();
  });

  it('publishes the agent as a strategy traders can browse, not change', async () => {
    const body = { agentId: agent.id, title: 'Provenance alerts', description: 'Near-duplicate media', topics: ['config', 'status', 'duplicate-alerts'] };
    await http().post('/api/strategies').set(traderA.auth).send(body).expect(403);
    expect((await http().post('/api/strategies').set(admin).send({ ...body, topics: ['fills'] }).expect(400)).body.details.fields[0]).toMatchObject({ field: 'topics', rule: 'blueprint-topic' });
    const strategy = (await http().post('/api/strategies').set(admin).send(body).expect(201)).body;
    await http().post('/api/strategies').set(admin).send(body).expect(409);
    strategyId = strategy.id;
    const listed = (await http().get('/api/strategies').set(traderA.auth).expect(200)).body;
    expect(listed).toEqual([expect.objectContaining({ id: strategyId, status: 'running', topics: ['config', 'status', 'duplicate-alerts'] })]);
  });

  it("subscribes the trader's own ao identity with a Register-Subscriber message", async () => {
    const sub = (await http().post('/api/subscriptions').set(traderA.auth).set('idempotency-key', 'sub-1').send({ strategyId, topics: ['config', 'status'] }).expect(201)).body;
    expect(sub).toMatchObject({ status: 'active', subscriber: traderA.user.aoAddress, topics: ['config', 'status'] });
    subscriptionId = sub.id;
    const register = (await http().get(`/su/${sub.messageId}`).query({ 'process-id': agent.processId }).expect(200)).body.message;
    expect(register.owner.address).toBe(traderA.user.aoAddress);
    const state = (await http().get(`/api/agents/${agent.id}/state`).set(admin).expect(200)).body;
    expect(state.subscriptions.data).toEqual(expect.arrayContaining([expect.objectContaining({ subscriber: traderA.user.aoAddress, topics: ['config', 'status'] })]));
    expect((await http().post('/api/subscriptions').set(traderA.auth).send({ strategyId, topics: ['verifications'] }).expect(400)).body.details.fields[0].rule).toBe('strategy-topic');
  });

  it('keeps traders apart: B sees none of A’s subscriptions and cannot cancel them', async () => {
    expect((await http().get('/api/subscriptions').set(traderB.auth).expect(200)).body).toEqual([]);
    await http().delete(`/api/subscriptions/${subscriptionId}`).set(traderB.auth).expect(404);
    expect((await http().get('/api/subscriptions').set(traderA.auth).expect(200)).body).toHaveLength(1);
  });

  it('streams each event once, and after a reconnect with Last-Event-ID misses nothing', async () => {
    const url = `${platform.url}/api/feed`;
    const first = await SseClient.open(url, traderA.auth);
    await patch(1);
    await patch(2);
    await patch(3);
    const seen = await first.until(3);
    await until('a heartbeat', async () => first.comments > 1, 10_000, 100);
    await first.close();
    const lastId = seen[seen.length - 1].id!;
    // Missed while disconnected: two config events and a status event (pause).
    await patch(4);
    await patch(5);
    await http().post(`/api/agents/${agent.id}/pause`).set(admin).expect(200);
    const second = await SseClient.open(url, { ...traderA.auth, 'last-event-id': lastId });
    await second.until(3);
    await http().post(`/api/agents/${agent.id}/resume`).set(admin).expect(200);
    const all = [...seen, ...(await second.until(4))];
    await second.close();
    const events = all.map((e) => ({ id: e.id, topic: e.event, ...JSON.parse(e.data) }));
    expect(events.map((e) => e.topic)).toEqual(['config', 'config', 'config', 'config', 'config', 'status', 'status']);
    expect(events.map((e) => e.payload.values?.nearDuplicateMaxDistance ?? e.payload.status)).toEqual([1, 2, 3, 4, 5, 'Stopped', 'Running']);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // The oracle: exactly the events the agent addressed to the trader, in order.
    expect(events.map((e) => e.eventSeq)).toEqual(await notifiedTo(traderA.user.aoAddress));
    expect(events.every((e) => e.agentId === agent.id && e.processId === agent.processId)).toBe(true);
  });

  it('shows live figures from the projection, and rebuilds the projection from the log unchanged', async () => {
    const strategy = (await http().get(`/api/strategies/${strategyId}`).set(traderB.auth).expect(200)).body;
    expect(strategy.figures.events).toMatchObject({ config: 5, status: 3 });
    expect(strategy.figures.uptimeMs).toBeGreaterThan(0);
    const snapshot = async () => (await prisma.agentEvent.findMany({ orderBy: [{ processId: 'asc' }, { eventSeq: 'asc' }] })).map((e) => ({ p: e.processId, s: e.eventSeq, t: e.topic, m: e.messageId, d: e.payload }));
    const before = await snapshot();
    expect(before.length).toBeGreaterThanOrEqual(8);
    const figures = () => prisma.agentFigures.findMany({ orderBy: { processId: 'asc' } });
    const figuresBefore = await figures();
    expect(figuresBefore.find((f) => f.processId === agent.processId)).toMatchObject({ verdicts: {}, lastActivityAt: expect.any(Date) });
    const rebuilt = await rebuildAgentEvents(prisma);
    expect(rebuilt.events).toBe(before.length);
    expect(await snapshot()).toEqual(before);
    expect(await figures()).toEqual(figuresBefore);
  });

  it('unsubscribes with an Unsubscribe message; the feed then carries nothing more for it', async () => {
    await http().delete(`/api/subscriptions/${subscriptionId}`).set(traderA.auth).expect(204);
    expect((await http().get('/api/subscriptions').set(traderA.auth).expect(200)).body[0]).toMatchObject({ status: 'cancelled' });
    const state = (await http().get(`/api/agents/${agent.id}/state`).set(admin).expect(200)).body;
    expect(JSON.stringify(state.subscriptions.data)).not.toContain(traderA.user.aoAddress);
  });
});
