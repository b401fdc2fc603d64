import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '@ao/infra';
import { apiKeyFor, newTrader } from './support/platform-users.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';

// Agents through the platform API on the real units: a media verifier created from the catalogue,
// driven through its lifecycle with signed messages (each audited, each carrying the acting user),
// configured live, and its history re-derived from Arweave.

const ADMIN = { email: 'admin@example.com', password: 'admin password 1' };
type Tag = { name: string; value: string };
const tagOf = (tags: Tag[], name: string) => tags.find((t) => t.name === name)?.value;

describe('agents through the platform API', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let prisma: PrismaClient;
  let admin: { authorization: string };
  let adminId: string;
  let trader: { authorization: string };
  let agent: { id: string; processId: string };
  const http = () => platform.http();

  beforeAll(async () => {
    t = await createTestEnv({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RESULT_TIMEOUT_MS: '60000' });
    platform = await startTestPlatform(t.env);
    prisma = createPrismaClient(t.env.DATABASE_URL, 1);
    admin = await apiKeyFor(http, ADMIN.email, ADMIN.password);
    adminId = (await http().get('/api/me').set(admin).expect(200)).body.id;
    trader = (await newTrader(http, admin, 'trader@example.com')).auth;
    // The modules are published at boot (asynchronously).
    await until('the modules', async () => (await http().get('/info').expect(200)).body.modules['media-codec'], 60_000, 300);
  }, 180_000);

  afterAll(async () => {
    await prisma?.$disconnect();
    await platform?.close();
    await t?.cleanup();
  });

  it('lists the catalogue with schemas, defaults and hot keys', async () => {
    const list = (await http().get('/api/blueprints').set(trader).expect(200)).body as { name: string; hotKeys: string[]; defaults: Record<string, unknown> }[];
    const verifier = list.find((b) => b.name === 'media-verifier')!;
    expect(verifier.hotKeys).toContain('nearDuplicateMaxDistance');
    expect(verifier.defaults.nearDuplicateMaxDistance).toBe(10);
  });

  it('refuses bad creates naming the field and rule, leaving no agent and no process behind', async () => {
    const processes = await prisma.process.count();
    const bad = await http().post('/api/agents').set(admin).send({ blueprint: 'media-verifier', name: 'v-bad', config: { nearDuplicateMaxDistance: 99 } }).expect(400);
    expect(bad.body.details.fields).toEqual([expect.objectContaining({ field: 'config.nearDuplicateMaxDistance', rule: 'blueprint-schema' })]);
    expect((await http().post('/api/agents').set(admin).send({ blueprint: 'nope', name: 'v-bad' }).expect(400)).body.details.fields[0].field).toBe('blueprint');
    const mass = await http().post('/api/agents').set(admin).send({ blueprint: 'media-verifier', name: 'v-bad', status: 'running', createdBy: 'x' }).expect(400);
    expect(mass.body.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['createdBy', 'status']);
    expect((await http().post('/api/agents').set(admin).send({ blueprint: 'media-verifier', name: 'v-bad', cronInterval: '1-fortnight' }).expect(400)).body.details.fields[0].field).toBe('cronInterval');
    await http().post('/api/agents').set(trader).send({ blueprint: 'media-verifier', name: 'v-bad' }).expect(403);
    expect(await prisma.agent.count()).toBe(0);
    expect(await prisma.process.count()).toBe(processes);
  });

  it('creates a verifier once per Idempotency-Key, spawned by the platform with the acting user tagged', async () => {
    const body = { blueprint: 'media-verifier', name: 'verifier-1', config: { nearDuplicateMaxDistance: 8 }, cronInterval: '1-hour' };
    const first = await http().post('/api/agents').set(admin).set('idempotency-key', 'create-verifier-1').send(body).expect(201);
    const replay = await http().post('/api/agents').set(admin).set('idempotency-key', 'create-verifier-1').send(body).expect(201);
    expect(replay.body).toEqual(first.body);
    expect(await prisma.agent.count()).toBe(1);
    agent = first.body;
    expect(first.body).toMatchObject({ status: 'draft', blueprint: 'media-verifier', allowedActions: ['start', 'kill'], config: { nearDuplicateMaxDistance: 8, maxPixels: 25_000_000 } });
    await http().post('/api/agents').set(admin).send({ ...body, cronInterval: undefined }).expect(409);
    const info = (await http().get('/info').expect(200)).body;
    // The Process item is the log's first entry (nonce 0).
    const spawn = (await http().get(`/su/${agent.processId}`).expect(200)).body.edges[0].node.message;
    expect(spawn.owner.address).toBe(info.scheduler.address);
    expect(tagOf(spawn.tags, 'Acting-User')).toBe(adminId);
    expect(tagOf(spawn.tags, 'Blueprint')).toBe('media-verifier');
    const detail = (await http().get(`/api/agents/${agent.id}`).set(admin).expect(200)).body;
    expect(detail.cron).toEqual([expect.objectContaining({ interval: '1-hour', status: 'paused' })]);
    expect(detail.figures).toMatchObject({ status: 'Stopped' });
  });

  it('runs the lifecycle as a state machine of signed messages, 409 on illegal moves, each audited', async () => {
    const act = (action: string, status = 200) => http().post(`/api/agents/${agent.id}/${action}`).set(admin).expect(status);
    expect((await act('pause', 409)).body).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { status: 'draft', allowed: ['start', 'kill'] } });
    const started = (await act('start')).body;
    expect(started.agent).toMatchObject({ status: 'running', allowedActions: ['pause', 'kill'] });
    expect((await http().get(`/api/agents/${agent.id}`).set(admin).expect(200)).body.cron[0].status).toBe('active');
    await act('start', 409);
    await act('resume', 409);

    const patched = (await http().patch(`/api/agents/${agent.id}/config`).set(admin).send({ config: { nearDuplicateMaxDistance: 6 } }).expect(200)).body;
    expect(patched).toMatchObject({ applied: ['nearDuplicateMaxDistance'], agent: { configVersion: 1, config: { nearDuplicateMaxDistance: 6 } } });
    const state = (await http().get(`/api/agents/${agent.id}/state`).set(admin).expect(200)).body;
    expect(state.config.data).toMatchObject({ config: { nearDuplicateMaxDistance: 6 } });
    expect((await http().patch(`/api/agents/${agent.id}/config`).set(admin).send({ config: { nearDuplicateMaxDistance: -1 } }).expect(400)).body.details.fields[0].field).toBe('config.nearDuplicateMaxDistance');
    await http().patch(`/api/agents/${agent.id}/config`).set(trader).send({ config: { nearDuplicateMaxDistance: 5 } }).expect(403);

    expect((await act('pause')).body.agent.status).toBe('paused');
    expect((await http().get(`/api/agents/${agent.id}`).set(admin).expect(200)).body).toMatchObject({ figures: { status: 'Stopped' }, cron: [expect.objectContaining({ status: 'paused' })] });
    expect((await act('resume')).body.agent.status).toBe('running');
    const killed = (await act('kill')).body;
    expect(killed.agent).toMatchObject({ status: 'killed', allowedActions: [] });
    expect((await act('kill', 409)).body.code).toBe('ILLEGAL_TRANSITION');
    await act('start', 409);
    expect((await http().get(`/api/agents/${agent.id}`).set(admin).expect(200)).body).toMatchObject({ figures: { status: 'Killed' }, cron: [] });
    expect((await http().patch(`/api/agents/${agent.id}/config`).set(admin).send({ config: { nearDuplicateMaxDistance: 5 } }).expect(409)).body.code).toBe('AGENT_KILLED');

    const audit = (await http().get(`/api/agents/${agent.id}/audit`).set(admin).expect(200)).body.items as { action: string; messageId: string; actorId: string }[];
    expect(audit.map((a) => a.action).reverse()).toEqual(['create', 'subscribe-platform', 'start', 'configure', 'pause', 'resume', 'kill']);
    // Every audited message is in the agent's log, signed by the platform, naming the admin.
    const messages = (await http().get(`/api/agents/${agent.id}/messages`).set(admin).query({ limit: 200 }).expect(200)).body;
    const byId = new Map((messages.incoming as { id: string; actingUser: string; action: string }[]).map((m) => [m.id, m]));
    for (const entry of audit) {
      expect(entry.actorId).toBe(adminId);
      expect(byId.get(entry.messageId)?.actingUser, entry.action).toBe(adminId);
    }
    expect(byId.get(killed.messageId)?.action).toBe('Kill');
    const logs = (await http().get(`/api/agents/${agent.id}/logs`).set(admin).query({ limit: 3 }).expect(200)).body;
    expect(logs.items).toHaveLength(3);
    expect(logs.items[0]).toMatchObject({ messageId: killed.messageId, action: 'Kill', error: null });
    expect(logs.items[0].gasUsed).toBeGreaterThan(0);
    const older = (await http().get(`/api/agents/${agent.id}/logs`).set(admin).query({ limit: 3, cursor: logs.nextCursor }).expect(200)).body;
    expect(older.items[0].nonce).toBe(logs.items[2].nonce - 1);
  });

  it('lists agents by filter with cursor pagination', async () => {
    const second = (await http().post('/api/agents').set(admin).send({ blueprint: 'token', name: 'token-1', config: { ticker: 'TST', balances: { [adminId.replace(/-/g, '').padEnd(43, 'x')]: '100' } } }).expect(201)).body;
    expect(second.status).toBe('draft');
    expect((await http().post(`/api/agents/${second.id}/start`).set(admin).expect(422)).body.code).toBe('NO_LIFECYCLE');
    const page1 = (await http().get('/api/agents').set(admin).query({ limit: 1 }).expect(200)).body;
    expect(page1.items.map((a: { name: string }) => a.name)).toEqual(['token-1']);
    const page2 = (await http().get('/api/agents').set(admin).query({ limit: 1, cursor: page1.nextCursor }).expect(200)).body;
    expect(page2).toMatchObject({ items: [expect.objectContaining({ name: 'verifier-1' })], nextCursor: null });
    expect((await http().get('/api/agents').set(admin).query({ status: 'killed' }).expect(200)).body.items.map((a: { name: string }) => a.name)).toEqual(['verifier-1']);
    expect((await http().get('/api/agents').set(admin).query({ blueprint: 'token', owner: adminId }).expect(200)).body.items).toHaveLength(1);
    await http().get('/api/agents').set(trader).expect(403);
    await http().get('/api/agents').query({ status: 'sleeping' }).set(admin).expect(400);
    // live figures: a verifier has verdict counts (none yet) and no market figures; every agent its last activity
    const live = await until('the projection of the verifier', async () => {
      const items = (await http().get('/api/agents').set(admin).expect(200)).body.items as { name: string; live: Record<string, unknown> }[];
      const verifier = items.find((a) => a.name === 'verifier-1')!;
      return verifier.live.lastActivityAt ? items : undefined;
    }, 60_000, 300);
    expect(live.find((a) => a.name === 'verifier-1')!.live).toEqual({ pnl: null, returnBps: null, fills: null, lastTickAt: null, inventory: null, verdicts: {}, lastError: null, lastActivityAt: expect.any(String) });
    expect(live.find((a) => a.name === 'token-1')!.live).toMatchObject({ pnl: null, fills: null, verdicts: null, lastError: null });
  });

  it("is re-derived from Arweave: the verifier's whole history verifies", async () => {
    await until('the uploads of the agent', async () => {
      const u = (await http().get(`/su/processes/${agent.processId}`).expect(200)).body.uploads;
      return u.pending === 0 && u.uploaded === 0 && u.failed === 0;
    }, 120_000, 500);
    const verified = (await http().get(`/cu/verify/${agent.processId}`).query({ compare: 'true' }).expect(200)).body;
    expect(verified).toMatchObject({ ok: true, processId: agent.processId });
  }, 240_000);
});
