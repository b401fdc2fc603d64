import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { QUEUE_NAMES, createRedis, parseEnv } from '@ao/infra';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { messageItem, newUser, processItem } from './support/items.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { until } from './support/until.js';

const ADMIN = 'test-admin-token';
const CODE = `
Handlers.add("Ping", "Ping", function(msg) Send({ Target = msg.Peer, Action = "Pong" }) end)
Handlers.add("Pong", "Pong", function(msg) Pongs = (Pongs or 0) + 1 end)
`;

/**
 * The real gateway behind a switch: while `infoDown`, GET /info (where the SU reads the block height
 * it stamps on assignments) answers 503; everything else is forwarded untouched.
 */
async function gatewaySwitch(upstream: string): Promise<{ url: string; state: { infoDown: boolean; refused: number }; close(): Promise<void> }> {
  const target = new URL(upstream);
  const state = { infoDown: true, refused: 0 };
  const server: Server = createServer((req, res) => {
    if (state.infoDown && req.method === 'GET' && req.url?.split('?')[0] === '/info') {
      state.refused += 1;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('gateway unavailable (test switch)');
      return;
    }
    const up = forward({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (error) => res.writeHead(502).end(error.message));
    req.pipe(up);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

type FailedJob = { queue: string; id: string; name: string; data: { processId?: string }; reason: string; attempts: number; failedAt: number | null };

describe('dead letters: a job that exhausts its retries is listed with its reason, and an admin retry completes it', () => {
  let t: TestEnv;
  let api: INestApplication;
  let worker: INestApplicationContext;
  let gateway: Awaited<ReturnType<typeof gatewaySwitch>>;
  let pushQueue: Queue;
  let redis: ReturnType<typeof createRedis>;
  let owner: ItemSigner;
  const http = () => request(api.getHttpServer());
  const admin = { authorization: `Bearer ${ADMIN}` };
  const mu = (raw: Uint8Array) => http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(raw));
  const failed = async () => (await http().get('/mu/failed').set(admin).expect(200)).body as FailedJob[];

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '30000', ADMIN_TOKEN: ADMIN });
    gateway = await gatewaySwitch(t.env.ARWEAVE_URL);
    // The API schedules users' messages with the gateway as is; the worker, which schedules the
    // pushes of outbox messages, reaches it through the switch.
    api = await createApiApp(t.env, { logger: false });
    await api.init();
    const workerEnv = parseEnv({ ...t.vars, ARWEAVE_URL: gateway.url });
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(workerEnv), { logger: process.env.TEST_LOGS ? ['log', 'warn', 'error'] : false });
    await worker.init();
    redis = createRedis(t.env.REDIS_URL, 'producer');
    pushQueue = new Queue(QUEUE_NAMES.push, { connection: redis, prefix: t.env.REDIS_PREFIX });
    owner = newUser();
  });

  afterAll(async () => {
    await Promise.all([api?.close(), worker?.close(), pushQueue?.close()]);
    redis?.disconnect();
    await gateway?.close();
    await t?.cleanup();
  });

  it('a push that cannot read the block height fails 8 times, is listed, and once the gateway is back the retried job delivers the message', async () => {
    const info = (await http().get('/info').expect(200)).body;
    const spawn = async () => {
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], CODE, info.modules['lua-5.4-aos']);
      await mu(p.raw).expect(202);
      expect((await http().get(`/cu/result/${p.id}`).query({ 'process-id': p.id }).expect(200)).body.Error).toBeUndefined();
      return p.id;
    };
    const a = await spawn();
    const b = await spawn();
    const pongs = async () =>
      (await http().post('/cu/dry-run').query({ 'process-id': b }).send({ Target: b, Owner: owner.address, Tags: [{ name: 'Action', value: 'Eval' }], Data: 'return tostring(Pongs)' }).expect(200))
        .body.Output.data;

    const ping = await messageItem(owner, a, [{ name: 'Action', value: 'Ping' }, { name: 'Peer', value: b }]);
    await mu(ping.raw).expect(202);
    const result = (await http().get(`/cu/result/${ping.id}`).query({ 'process-id': a }).expect(200)).body;
    expect(result.Messages).toEqual([expect.objectContaining({ Target: b })]);

    // Eight attempts with exponential backoff from 500 ms: about a minute.
    const dead = await until(
      'the push of a to be a dead letter',
      async () => (await failed()).find((j) => j.queue === QUEUE_NAMES.push && j.data.processId === a),
      150_000,
      1_000,
    );
    expect(dead).toMatchObject({ name: 'push', attempts: 8, failedAt: expect.any(Number) });
    expect(dead.reason).toMatch(/^Cannot read the block height: /);
    expect(gateway.state.refused).toBeGreaterThanOrEqual(8);
    // Nothing was delivered meanwhile: b's log holds only its own slot.
    expect((await http().get(`/su/${b}/latest`).expect(200)).body.message.id).toBe(b);
    expect(await pongs()).toBe('nil');

    // Admins only; unknown queues and jobs are 404s.
    await http().get('/mu/failed').expect(401);
    await http().post(`/mu/failed/${dead.queue}/${dead.id}/retry`).expect(401);
    expect((await http().post(`/mu/failed/no-such-queue/${dead.id}/retry`).set(admin).expect(404)).body).toMatchObject({ code: 'NOT_FOUND' });
    expect((await http().post(`/mu/failed/${dead.queue}/no-such-job/retry`).set(admin).expect(404)).body).toMatchObject({ code: 'NOT_FOUND' });

    // The cause fixed, the admin's retry runs the same job again, and it completes.
    gateway.state.infoDown = false;
    expect((await http().post(`/mu/failed/${dead.queue}/${dead.id}/retry`).set(admin).expect(202)).body).toEqual({ retried: dead.id, queue: dead.queue });
    await until('the retried job to complete', async () => (await (await pushQueue.getJob(dead.id))?.getState()) === 'completed', 60_000);
    await until('the Pong to be evaluated by b', async () => (await pongs()) === '1', 60_000);
    expect((await failed()).some((j) => j.id === dead.id && j.queue === dead.queue)).toBe(false);
    // Once completed it is no dead letter any more: a second retry is a 404.
    await http().post(`/mu/failed/${dead.queue}/${dead.id}/retry`).set(admin).expect(404);
    const log = (await http().get(`/su/${b}`).expect(200)).body.edges.map((e: { node: { message: { tags: { name: string; value: string }[] } } }) => e.node.message.tags);
    expect(log.filter((tags: { name: string; value: string }[]) => tags.some((t) => t.name === 'Action' && t.value === 'Pong'))).toHaveLength(1);
  }, 240_000);
});
