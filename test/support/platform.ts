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
    close: async () => {
      await Promise.all([api.close(), worker.close()]);
    },
  };
}
