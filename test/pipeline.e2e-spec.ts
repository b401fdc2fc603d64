import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { QUEUE_NAMES, createPrismaClient, createRedis } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const COUNTER = `
Count = Count or 0
Handlers.add("Inc", "Inc", function(msg)
  Count = Count + 1
  msg.reply({ Data = tostring(Count) })
end)
Handlers.add("Get", "Get", function(msg) print("count=" .. Count) end)
Handlers.add("Ping", "Ping", function(msg)
  Send({ Target = msg.Peer, Action = "Pong", Data = "from " .. ao.id })
end)
Handlers.add("Pong", "Pong", function(msg)
  Pongs = (Pongs or 0) + 1
  LastPongFrom = msg.From
end)
Handlers.add("Boom", "Boom", function(msg)
  Count = Count + 1000
  error("boom")
end)
Handlers.add("Child", "Child", function(msg)
  Spawn(ao.env.Module.Id, { Data = "Handlers.add('Hi', 'Hi', function(m) m.reply({ Data = 'hi from child' }) end)", ["On-Boot"] = "Data" })
end)
Handlers.add("Spawned", "Spawned", function(msg) Child = msg.Process end)
Handlers.add("Loop", "Loop", function(msg)
  Loops = (Loops or 0) + 1
  Send({ Target = ao.id, Action = "Loop" })
end)
`;

describe('pipeline: MU → SU → CU → MU', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let su: string;
  let moduleId: string;
  let owner: ItemSigner;
  const http = () => platform.http();
  const mu = (raw: Uint8Array) => platform.mu(raw);
  const result = (processId: string, messageId: string) => platform.result(processId, messageId);
  const send = async (processId: string, action: string, extra: { name: string; value: string }[] = [], data = '') => {
    const m = await messageItem(owner, processId, [{ name: 'Action', value: action }, ...extra], data);
    expect((await mu(m.raw).expect(202)).body).toEqual({ id: m.id, message: m.id });
    return { id: m.id, result: await result(processId, m.id) };
  };
  const spawn = async () => {
    const p = await processItem(owner, su, [{ name: 'On-Boot', value: 'Data' }, { name: 'Name', value: 'counter' }], COUNTER, moduleId);
    await mu(p.raw).expect(202);
    const boot = await result(p.id, p.id);
    expect(boot.Error).toBeUndefined();
    return p.id;
  };

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000', ADMIN_TOKEN: 'test-admin-token', MAX_CRANK_DEPTH: '5' });
    platform = await startTestPlatform(t.env);
    const info = (await http().get('/info').expect(200)).body;
    su = info.scheduler.address;
    moduleId = info.modules['lua-5.4-aos'];
    expect(moduleId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    owner = newUser();
  });

  afterAll(async () => {
    await Promise.all([platform?.close()]);
    await t?.cleanup();
  });

  it('evaluates messages through aos Handlers and answers results, replies included', async () => {
    const pid = await spawn();
    const first = await send(pid, 'Inc', [{ name: 'Reference', value: '7' }]);
    expect(first.result.Error).toBeUndefined();
    expect(first.result.Messages).toHaveLength(1);
    expect(first.result.Messages[0]).toMatchObject({ Target: owner.address, Data: '1' });
    // aos: a reply carries the request's Reference as X-Reference, and its own Reference from the process counter.
    expect(first.result.Messages[0].Tags).toEqual(expect.arrayContaining([{ name: 'X-Reference', value: '7' }, { name: 'Reference', value: '1' }]));
    await send(pid, 'Inc');
    const get = await send(pid, 'Get');
    expect(get.result.Output.data).toContain('count=2');
    // GET /cu/result is answered by the API's fast path; a conditional request goes through Nest's
    // route instead: both answer the same.
    const url = `/cu/result/${get.id}?process-id=${pid}`;
    const fast = await http().get(url).expect(200);
    const nest = await http().get(url).set('if-none-match', '"none"').expect(200);
    expect(fast.body).toEqual(get.result);
    expect(nest.body).toEqual(fast.body);
    expect(nest.headers.etag).toBeDefined();
    expect(fast.headers.etag).toBeUndefined();
    expect(fast.headers['content-type']).toBe(nest.headers['content-type']);
    const page = (await http().get(`/cu/results/${pid}`).query({ limit: 2 }).expect(200)).body;
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.edges).toHaveLength(2);
    const next = (await http().get(`/cu/results/${pid}`).query({ limit: 10, from: page.edges[1].cursor }).expect(200)).body;
    expect(next.edges.map((e: any) => Number(e.cursor))).toEqual([2, 3]);
  });

  it('leaves the state as it was when a handler errors', async () => {
    const pid = await spawn();
    await send(pid, 'Inc');
    const boom = await send(pid, 'Boom');
    expect(boom.result.Error).toMatch(/boom/);
    const get = await send(pid, 'Get');
    expect(get.result.Output.data).toContain('count=1');
  });

  it('dry-runs against the latest state without changing it: 1,000 dry-runs interleaved with writes', async () => {
    const pid = await spawn();
    const dryInc = () =>
      http().post('/cu/dry-run').query({ 'process-id': pid }).send({ Target: pid, Owner: owner.address, Tags: [{ name: 'Action', value: 'Inc' }] }).expect(200);
    for (let write = 1; write <= 10; write += 1) {
      expect((await send(pid, 'Inc')).result.Messages[0].Data).toBe(String(write));
      const before = (await http().get(`/cu/state/${pid}`).expect(200)).body;
      const answers = await Promise.all(Array.from({ length: 100 }, dryInc));
      // Each dry-run sees the committed state plus its own message, and nothing of the others.
      for (const a of answers) expect(a.body.Messages[0].Data).toBe(String(write + 1));
      expect((await http().get(`/cu/state/${pid}`).expect(200)).body).toEqual(before);
    }
    expect((await send(pid, 'Inc')).result.Messages[0].Data).toBe('11');
  });

  it('relays outbox messages to other processes with a trusted From', async () => {
    const a = await spawn();
    const b = await spawn();
    await send(a, 'Ping', [{ name: 'Peer', value: b }]);
    const deadline = Date.now() + 20_000;
    let output = '';
    while (Date.now() < deadline) {
      const dry = (await http().post('/cu/dry-run').query({ 'process-id': b }).send({ Target: b, Owner: owner.address, Tags: [{ name: 'Action', value: 'Eval' }], Data: 'return tostring(Pongs) .. " " .. tostring(LastPongFrom)' }).expect(200)).body;
      output = dry.Output.data;
      if (output.startsWith('1')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toBe(`1 ${a}`);
    // This worker runs every stage, so evaluate jobs crank their own results: no push job was
    // ever queued (BullMQ numbers a queue's jobs from a counter it creates with the first one).
    const redis = createRedis(t.env.REDIS_URL, 'producer', { enableOfflineQueue: true });
    try {
      expect(await redis.get(`${t.env.REDIS_PREFIX}:${QUEUE_NAMES.push}:id`)).toBeNull();
      expect(await redis.get(`${t.env.REDIS_PREFIX}:${QUEUE_NAMES.evaluate}:id`)).not.toBeNull();
    } finally {
      redis.disconnect();
    }
  });

  it('does not trust a From-Process tag on an item the user signed', async () => {
    const a = await spawn();
    const b = await spawn();
    const spoof = await messageItem(owner, b, [{ name: 'Action', value: 'Pong' }, { name: 'From-Process', value: a }]);
    await mu(spoof.raw).expect(202);
    await result(b, spoof.id);
    const dry = (await http().post('/cu/dry-run').query({ 'process-id': b }).send({ Target: b, Owner: owner.address, Tags: [{ name: 'Action', value: 'Eval' }], Data: 'return tostring(Pongs) .. " " .. tostring(LastPongFrom)' }).expect(200)).body;
    expect(dry.Output.data).toBe(`1 ${owner.address}`);
  });

  it('bounds a process that messages itself in a loop by MAX_CRANK_DEPTH and records why on the result', async () => {
    const pid = await spawn();
    await send(pid, 'Loop');
    const prisma = createPrismaClient(t.env.DATABASE_URL);
    try {
      const deadline = Date.now() + 20_000;
      let stopped: { nonce: bigint; error: string | null } | null = null;
      while (Date.now() < deadline && !stopped) {
        stopped = await prisma.result.findFirst({ where: { processId: pid, crankStatus: 'failed' }, select: { nonce: true, error: true } });
        if (!stopped) await new Promise((r) => setTimeout(r, 200));
      }
      expect(stopped?.error).toMatch(/exceeds MAX_CRANK_DEPTH 5/);
      // The user's Loop plus five pushed ones were evaluated; the sixth was never sent.
      const loops = (await http().post('/cu/dry-run').query({ 'process-id': pid }).send({ Target: pid, Owner: owner.address, Tags: [{ name: 'Action', value: 'Eval' }], Data: 'return Loops' }).expect(200)).body;
      expect(loops.Output.data).toBe('6');
      expect(await prisma.assignment.count({ where: { processId: pid } })).toBe(7);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('spawns a child process and tells the parent', async () => {
    const parent = await spawn();
    await send(parent, 'Child');
    const deadline = Date.now() + 20_000;
    let child = 'nil';
    while (Date.now() < deadline && child === 'nil') {
      const dry = (await http().post('/cu/dry-run').query({ 'process-id': parent }).send({ Target: parent, Owner: owner.address, Tags: [{ name: 'Action', value: 'Eval' }], Data: 'return tostring(Child)' }).expect(200)).body;
      child = dry.Output.data;
      if (child === 'nil') await new Promise((r) => setTimeout(r, 200));
    }
    expect(child).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hi = await send(child, 'Hi');
    expect(hi.result.Messages[0].Data).toBe('hi from child');
  });

  it('answers bad CU requests with a 4xx and the error shape', async () => {
    const pid = await spawn();
    const malformed = await http().post('/cu/dry-run').query({ 'process-id': pid }).set('content-type', 'application/json').send('{"Target": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: expect.any(String), code: expect.any(String) });
    const unknown = 'U'.repeat(43);
    const noProcess = await http().post('/cu/dry-run').query({ 'process-id': unknown }).send({ Target: unknown, Owner: owner.address, Tags: [] });
    expect(noProcess.status).toBe(404);
    expect(noProcess.body.code).toBe('NOT_FOUND');
    for (const conditional of [{}, { 'if-none-match': '"none"' }]) {
      const missing = await http().get(`/cu/result/${unknown}`).query({ 'process-id': pid }).set(conditional);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ code: 'NOT_FOUND', error: expect.any(String) });
    }
    expect((await http().get(`/cu/results/${unknown}`)).status).toBe(404);
    // A Lua syntax error in Eval is an Error in the result, not a failed request or a dead worker.
    const broken = await send(pid, 'Eval', [], 'this is not lua');
    expect(broken.result.Error).toMatch(/syntax|expected|unexpected/i);
    expect((await send(pid, 'Inc')).result.Messages[0].Data).toBe('1');
  });

  it('refuses bad items at the MU before anything is queued', async () => {
    const good = await messageItem(owner, await spawn(), [{ name: 'Action', value: 'Inc' }]);
    const res = await http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(good.raw).subarray(0, 100));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: expect.any(String), code: 'INVALID_ITEM' });
    const garbage = await http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from('not an item'));
    expect(garbage.status).toBe(400);
    expect(garbage.body.code).toMatch(/^(INVALID_ITEM|UNSUPPORTED_SIGNATURE)$/);
    // Nothing of the refused items reached the log.
    expect((await http().get(`/su/${good.id}`).query({ 'process-id': good.target })).status).toBe(404);
  });
});
