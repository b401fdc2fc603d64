import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { messageItem, newUser, processItem } from './support/items.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const LIMIT = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An API on its own test environment with `vars`, and no worker until `startWorker`: nothing
 * accepted is evaluated or uploaded before then, so the backlogs only grow.
 */
function apiWithoutWorker(vars: Record<string, string>) {
  let t: TestEnv;
  let api: INestApplication;
  let worker: INestApplicationContext | undefined;
  const owner: ItemSigner = newUser();
  const http = () => request(api.getHttpServer());

  beforeAll(async () => {
    t = await createTestEnv({ ...vars, RESULT_TIMEOUT_MS: '30000' });
    api = await createApiApp(t.env, { logger: false });
    await api.init();
  });

  afterAll(async () => {
    await Promise.all([api?.close(), worker?.close()]);
    await t?.cleanup();
  });

  const mu = (raw: Uint8Array) => http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(raw));
  return {
    owner,
    http,
    mu,
    /**
     * Posts new messages to `processId` until one is refused (the backlog is measured once a
     * second, so the refusal may come late on a loaded machine: bounded polling); `accepted` gets
     * the ids taken meanwhile. Returns the refused item and the answer.
     */
    async postUntilRefused(processId: string, accepted: string[] = []) {
      let refused = await messageItem(owner, processId, [{ name: 'Action', value: 'N' }]);
      let res = await mu(refused.raw);
      for (const deadline = Date.now() + 30_000; res.status === 202 && Date.now() < deadline; res = await mu(refused.raw)) {
        accepted.push(refused.id);
        await sleep(250);
        refused = await messageItem(owner, processId, [{ name: 'Action', value: 'N' }]);
      }
      return { refused, res };
    },
    /** Posts `raw` again every 250 ms until it is accepted or `timeoutMs` passes; the last status. */
    async postUntilAccepted(raw: Uint8Array, timeoutMs: number): Promise<number> {
      let status = 0;
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(250)) {
        status = (await mu(raw)).status;
        if (status === 202) break;
      }
      return status;
    },
    async startWorker(): Promise<void> {
      worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.env), { logger: false });
      await worker.init();
    },
  };
}

describe('MU backpressure', () => {
  const { owner, http, mu, postUntilRefused, postUntilAccepted, startWorker } = apiWithoutWorker({ MU_MAX_BACKLOG: String(LIMIT) });

  it('refuses with 503 and Retry-After past the backlog limit, stores nothing refused, and accepts again once caught up', async () => {
    // No worker yet: everything accepted stays unevaluated.
    const info = (await http().get('/info').expect(200)).body;
    const proc = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], 'Handlers.add("n", "N", function(m) N = (N or 0) + 1 end)', info.modules['lua-5.4-aos']);
    await mu(proc.raw).expect(202);
    const accepted: string[] = [];
    for (let i = 0; i < LIMIT + 5; i += 1) {
      const m = await messageItem(owner, proc.id, [{ name: 'Action', value: 'N' }]);
      const res = await mu(m.raw);
      if (res.status === 202) accepted.push(m.id);
      else expect(res.status).toBe(503);
    }
    expect(accepted.length).toBeGreaterThanOrEqual(LIMIT);

    // Once the backlog is measured, the next item is refused, honestly (items taken meanwhile count).
    const { refused, res } = await postUntilRefused(proc.id, accepted);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ code: 'BACKPRESSURE', error: expect.any(String), details: { limit: LIMIT } });
    expect(res.body.details.backlog).toBeGreaterThan(LIMIT);
    expect((await http().get(`/su/${refused.id}`).query({ 'process-id': proc.id })).status).toBe(404);

    // A worker catches up; the same item is then accepted and every accepted one is evaluated.
    await startWorker();
    expect(await postUntilAccepted(refused.raw, 60_000)).toBe(202);
    const result = (await http().get(`/cu/result/${refused.id}`).query({ 'process-id': proc.id }).expect(200)).body;
    expect(result.Error).toBeUndefined();
    const count = (await http().post('/cu/dry-run').query({ 'process-id': proc.id }).send({ Target: proc.id, Owner: owner.address, Tags: [{ name: 'Action', value: 'Eval' }], Data: 'return N' }).expect(200)).body;
    expect(count.Output.data).toBe(String(accepted.length + 1));
  });
});

describe('upload backpressure (UPLOAD_MAX_BACKLOG)', () => {
  const UPLOAD_LIMIT = 6;
  const { owner, http, mu, postUntilRefused, postUntilAccepted, startWorker } = apiWithoutWorker({ UPLOAD_MAX_BACKLOG: String(UPLOAD_LIMIT) });

  it('refuses with 503 while more items than the limit wait for the gateway, and accepts again once they are posted', async () => {
    // No worker yet: nothing is uploaded, every accepted message adds two items (it and its assignment).
    const info = (await http().get('/info').expect(200)).body;
    const proc = await processItem(owner, info.scheduler.address, [], 'Handlers.add("n", "N", function(m) end)', info.modules['lua-5.4-aos']);
    await mu(proc.raw).expect(202);
    const { refused, res } = await postUntilRefused(proc.id);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ code: 'BACKPRESSURE', error: expect.any(String), details: { uploadLimit: UPLOAD_LIMIT } });
    expect(res.body.details.uploadBacklog).toBeGreaterThan(UPLOAD_LIMIT);
    expect((await http().get(`/su/${refused.id}`).query({ 'process-id': proc.id })).status).toBe(404);

    // A worker posts the backlog; the same item is then accepted.
    await startWorker();
    expect(await postUntilAccepted(refused.raw, 120_000)).toBe(202);
  });
});
