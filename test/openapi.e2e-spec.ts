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
const BREAK_GLASS = 'openapi-test-break-glass-token';

describe('the OpenAPI document the dashboard is generated from', () => {
  let t: TestEnv;
  let api: INestApplication;

  beforeAll(async () => {
    t = await createTestEnv({ ADMIN_TOKEN: BREAK_GLASS });
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

  it('gives every operation a response schema and its error statuses, all errors as {error, code, details}', async () => {
    type Response = { content?: Record<string, { schema?: unknown }>; description?: string };
    type Operation = { responses: Record<string, Response>; parameters?: { in: string }[]; requestBody?: unknown; security?: unknown[] };
    const doc = (await request(api.getHttpServer()).get('/docs/json').expect(200)).body as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { required?: string[]; properties: Record<string, unknown> }> } };
    const ERROR_REF = '#/components/schemas/ErrorBodyDto';
    expect(doc.components.schemas.ErrorBodyDto.required).toEqual(['error', 'code']);
    expect(Object.keys(doc.components.schemas.ErrorBodyDto.properties)).toEqual(['error', 'code', 'details']);
    // identity routes answer constants: nothing of theirs can fail
    const cannotFail = new Set(['get /su', 'get /cu', 'get /mu']);
    // /health's 503 is its own report (which checks are down), not an error body
    const notErrorBody = new Set(['get /health 503']);
    const problems: string[] = [];
    let operations = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        operations += 1;
        const name = `${method} ${path}`;
        const statuses = Object.keys(op.responses);
        const ok = statuses.filter((s) => s.startsWith('2'));
        if (ok.length === 0) problems.push(`${name}: no 2xx`);
        for (const s of ok.filter((s) => s !== '204')) {
          const content = Object.values(op.responses[s].content ?? {});
          if (content.length === 0 || !content.every((c) => c.schema)) problems.push(`${name}: ${s} has no schema`);
        }
        const errors = statuses.filter((s) => Number(s) >= 400);
        if (errors.length === 0 && !cannotFail.has(name)) problems.push(`${name}: no error status`);
        for (const s of errors.filter((s) => !notErrorBody.has(`${name} ${s}`))) {
          if (!JSON.stringify(op.responses[s].content ?? {}).includes(ERROR_REF)) problems.push(`${name}: ${s} is not the error body`);
        }
        const needs = (status: string, why: boolean) => why && !statuses.includes(status) && problems.push(`${name}: no ${status}`);
        needs('400', Boolean(op.requestBody) && !['post /su', 'post /mu'].includes(name));
        needs('400', (op.parameters ?? []).some((p) => p.in === 'query'));
        needs('404', (op.parameters ?? []).some((p) => p.in === 'path'));
        if (path.startsWith('/api/')) {
          needs('429', true); // the per-IP limit counts every /api request
          needs('401', true);
        }
      }
    }
    expect(operations).toBeGreaterThanOrEqual(52);
    expect(problems).toEqual([]);
  });

  it('declares the status each route answers for a malformed path parameter, with the error body', async () => {
    const doc = (await request(api.getHttpServer()).get('/docs/json').expect(200)).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const mismatches: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.includes('{')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace(/\{[^}]+\}/g, 'not%20an%20id');
        const res = await request(api.getHttpServer())[method as 'get'](url).set('authorization', `Bearer ${BREAK_GLASS}`).set('content-type', 'application/json').send('{}');
        const declared = Object.keys(op.responses);
        if (res.status < 400 || res.status >= 500 || !declared.includes(String(res.status)) || typeof res.body.code !== 'string' || typeof res.body.error !== 'string') {
          mismatches.push(`${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 120)} (declared ${declared.join(',')})`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
