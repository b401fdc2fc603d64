import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '@ao/infra';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { CronModule } from '../apps/cron/src/cron.module.js';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

describe('GET /health with every service up', () => {
  let t: TestEnv;
  let api: INestApplication;
  let worker: INestApplicationContext;
  let cron: INestApplicationContext;

  beforeAll(async () => {
    t = await createTestEnv();
    api = await createApiApp(t.env, { logger: false });
    await api.init();
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.env), { logger: false });
    cron = await NestFactory.createApplicationContext(CronModule.forRoot(t.env), { logger: false });
    await worker.init();
    await cron.init();
    // Heartbeats are written asynchronously after boot: wait (bounded) for the first ones to land.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await request(api.getHttpServer()).get('/health')).status !== 200) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(async () => {
    await Promise.all([api?.close(), worker?.close(), cron?.close()]);
    await t?.cleanup();
  });

  it('answers 200 with every check up', async () => {
    const res = await request(api.getHttpServer()).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(Object.keys(res.body.checks).sort()).toEqual(['arweave', 'cron', 'postgres', 'redis', 'worker']);
    for (const check of Object.values(res.body.checks) as { status: string }[]) expect(check.status).toBe('up');
    expect(res.body.checks.arweave.reason).toMatch(/^height \d+$/);
  });

  it('reports the worker down once its heartbeat expires', async () => {
    await worker.close();
    const res = await request(api.getHttpServer()).get('/health').expect(503);
    expect(res.body.checks.worker).toEqual({ status: 'down', reason: expect.stringContaining('no worker heartbeat') });
    expect(res.body.checks.cron.status).toBe('up');
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.env), { logger: false });
    await worker.init();
    await request(api.getHttpServer()).get('/health').expect(200);
  });

  it('answers /info with the unit URLs and the scheduler address', async () => {
    const res = await request(api.getHttpServer()).get('/info').expect(200);
    expect(res.body.units).toEqual({ mu: 'http://127.0.0.1:3999/mu', cu: 'http://127.0.0.1:3999/cu', su: 'http://127.0.0.1:3999/su' });
    expect(res.body.scheduler.address).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.scheduler.keyType).toBe('ed25519');
    expect(res.body.gateway).toBe(t.env.ARWEAVE_URL);
  });

  it('documents /health and /info in OpenAPI', async () => {
    const res = await request(api.getHttpServer()).get('/docs/json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/health', '/info']));
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await request(api.getHttpServer()).get('/no/such/route').expect(404);
    expect(res.body).toEqual({ error: 'Cannot GET /no/such/route', code: 'NOT_FOUND' });
  });

  it('answers 413 in the same JSON shape when a body is over the limit', async () => {
    const res = await request(api.getHttpServer())
      .post('/info')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) }))
      .expect(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', error: expect.any(String) });
  });
});

describe('GET /health with Redis unreachable', () => {
  let t: TestEnv;
  let api: INestApplication;

  beforeAll(async () => {
    t = await createTestEnv();
    // Same database and gateway, but Redis pointed at a port where nothing listens.
    api = await createApiApp(parseEnv({ ...t.vars, REDIS_URL: 'redis://127.0.0.1:1' }), { logger: false });
    await api.init();
  });

  afterAll(async () => {
    await api?.close();
    await t?.cleanup();
  });

  it('answers 503 naming redis as down with a reason, the others as they are', async () => {
    const res = await request(api.getHttpServer()).get('/health').expect(503);
    expect(res.body.status).toBe('error');
    expect(res.body.checks.redis.status).toBe('down');
    expect(res.body.checks.redis.reason).toEqual(expect.any(String));
    expect(res.body.checks.postgres.status).toBe('up');
    expect(res.body.checks.arweave.status).toBe('up');
  });
});
