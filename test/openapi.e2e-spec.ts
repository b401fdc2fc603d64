import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * The dashboard's API client is generated from apps/web/src/api/openapi.json. This test fails when
 * the API's document (served at /docs/json) differs from that copy: run `npm run openapi:update`
 * (it reruns this test with -u, which rewrites the copy, then regenerates the client's types).
 */
describe('the OpenAPI document the dashboard is generated from', () => {
  let t: TestEnv;
  let api: INestApplication;

  beforeAll(async () => {
    t = await createTestEnv();
    api = await createApiApp(t.env, { logger: false });
    await api.init();
  });

  afterAll(async () => {
    await api?.close();
    await t?.cleanup();
  });

  it('is the one the API serves at /docs/json', async () => {
    const res = await request(api.getHttpServer()).get('/docs/json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    await expect(`${JSON.stringify(res.body, null, 2)}\n`).toMatchFileSnapshot('../apps/web/src/api/openapi.json');
  });
});
