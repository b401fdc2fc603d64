import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import type { Env } from '@ao/infra';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';

/** The API (not listening; driven through supertest) and a worker in this process, on one test env. */
export interface TestPlatform {
  api: INestApplication;
  worker: INestApplicationContext;
  http(): ReturnType<typeof request>;
  /** POST /mu/ with a raw signed item. */
  mu(raw: Uint8Array): request.Test;
  /** GET /cu/result of a message, expecting 200; the result's body. */
  result(processId: string, messageId: string): Promise<any>;
  close(): Promise<void>;
}

export async function startTestPlatform(env: Env): Promise<TestPlatform> {
  const api = await createApiApp(env, { logger: false });
  await api.init();
  const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(env), { logger: process.env.TEST_LOGS ? ['log', 'warn', 'error'] : false });
  await worker.init();
  const http = () => request(api.getHttpServer());
  return {
    api,
    worker,
    http,
    mu: (raw) => http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(raw)),
    result: async (processId, messageId) => (await http().get(`/cu/result/${messageId}`).query({ 'process-id': processId }).expect(200)).body,
    close: async () => {
      await Promise.all([api.close(), worker.close()]);
    },
  };
}
