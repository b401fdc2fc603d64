import type { AddressInfo } from 'node:net';
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
  /** The API's base URL when started with `listen` (else undefined). */
  url?: string;
  /** POST /mu/ with a raw signed item. */
  mu(raw: Uint8Array): request.Test;
  /** GET /cu/result of a message, expecting 200; the result's body. */
  result(processId: string, messageId: string): Promise<any>;
  close(): Promise<void>;
}

/** `listen`: the API also listens on a free local port (for clients that need a URL), given as `url`. */
export async function startTestPlatform(env: Env, options: { listen?: boolean } = {}): Promise<TestPlatform> {
  const api = await createApiApp(env, { logger: false });
  if (options.listen) await api.listen(0, '127.0.0.1');
  else await api.init();
  const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(env), { logger: process.env.TEST_LOGS ? ['log', 'warn', 'error'] : false });
  await worker.init();
  const http = () => request(api.getHttpServer());
  const address = options.listen ? (api.getHttpServer().address() as AddressInfo) : undefined;
  return {
    api,
    worker,
    url: address ? `http://127.0.0.1:${address.port}` : undefined,
    http,
    mu: (raw) => http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(raw)),
    result: async (processId, messageId) => (await http().get(`/cu/result/${messageId}`).query({ 'process-id': processId }).expect(200)).body,
    close: async () => {
      await Promise.all([api.close(), worker.close()]);
    },
  };
}
