import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { apiKeyFor, newTrader } from './support/platform-users.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

// The authorization matrix, generated from the OpenAPI document: every platform route (and the
// unit admin routes) × {anonymous, trader A, trader B, admin, revoked key}, expected statuses
// written once per route below. Then fuzzed bodies and queries on every route: never a 5xx.

type Access = 'public' | 'user' | 'admin';
type Who = 'anonymous' | 'traderA' | 'traderB' | 'admin' | 'revoked';
/** Who may call the route, and what an allowed caller gets for the probe request (ids that do not exist, empty bodies). */
const ROUTES: Record<string, { access: Access; ok: number; body?: object; query?: object; owner?: 'keyOfA' }> = {
  'POST /api/auth/login': { access: 'public', ok: 400, body: {} },
  'POST /api/auth/logout': { access: 'user', ok: 204 },
  'GET /api/me': { access: 'user', ok: 200 },
  'GET /api/keys': { access: 'user', ok: 200 },
  'POST /api/keys': { access: 'user', ok: 400, body: {} },
  'DELETE /api/keys/{id}': { access: 'user', ok: 404, owner: 'keyOfA' },
  'GET /api/users': { access: 'admin', ok: 200 },
  'POST /api/users': { access: 'admin', ok: 400, body: {} },
  'GET /api/admin/cron': { access: 'admin', ok: 200 },
  'POST /api/admin/cron/{processId}/pause': { access: 'admin', ok: 404 },
  'POST /api/admin/cron/{processId}/resume': { access: 'admin', ok: 404 },
  'GET /api/feed': { access: 'user', ok: 400, query: { lastEventId: 'not-an-id' } },
  'GET /api/blueprints': { access: 'user', ok: 200 },
  'POST /api/agents': { access: 'admin', ok: 400, body: {} },
  'GET /api/agents': { access: 'admin', ok: 200 },
  'GET /api/agents/{id}': { access: 'admin', ok: 404 },
  'PATCH /api/agents/{id}/config': { access: 'admin', ok: 400, body: {} },
  'POST /api/agents/{id}/{action}': { access: 'admin', ok: 404 },
  'GET /api/agents/{id}/logs': { access: 'admin', ok: 404 },
  'GET /api/agents/{id}/state': { access: 'admin', ok: 404 },
  'GET /api/agents/{id}/messages': { access: 'admin', ok: 404 },
  'GET /api/agents/{id}/events': { access: 'admin', ok: 404 },
  'GET /api/agents/{id}/audit': { access: 'admin', ok: 404 },
  'POST /api/strategies': { access: 'admin', ok: 400, body: {} },
  'GET /api/strategies': { access: 'user', ok: 200 },
  'GET /api/strategies/{id}': { access: 'user', ok: 404 },
  'DELETE /api/strategies/{id}': { access: 'admin', ok: 404 },
  'POST /api/subscriptions': { access: 'user', ok: 400, body: {} },
  'GET /api/subscriptions': { access: 'user', ok: 200 },
  'DELETE /api/subscriptions/{id}': { access: 'user', ok: 404 },
  'POST /api/venues/{processId}/orders': { access: 'user', ok: 400, body: {} },
  'DELETE /api/venues/{processId}/orders/{orderId}': { access: 'user', ok: 404 },
  'POST /api/venues/{processId}/deposits': { access: 'user', ok: 400, body: {} },
  'POST /api/media': { access: 'user', ok: 400, body: {} },
  'POST /api/media/{mediaId}/verifications': { access: 'user', ok: 400, body: {} },
  'GET /mu/failed': { access: 'admin', ok: 200 },
  'POST /mu/failed/{queue}/{id}/retry': { access: 'admin', ok: 404 },
};

function expected(route: (typeof ROUTES)[string], who: Who): number {
  if (who === 'revoked') return 401;
  if (who === 'anonymous') return route.access === 'public' ? route.ok : 401;
  if (route.access === 'admin' && who !== 'admin') return 403;
  if (route.owner === 'keyOfA' && who === 'traderA') return 204;
  return route.ok;
}

const ADMIN = { email: 'admin@example.com', password: 'admin password 1' };
const UUID = '0190b3c4-0000-7000-8000-000000000000';
const PID = 'P'.repeat(43);

describe('authorization matrix and fuzzed input', () => {
  let t: TestEnv;
  let api: INestApplication;
  let document: { paths: Record<string, Record<string, unknown>> };
  const headers: Record<Who, Record<string, string>> = { anonymous: {}, traderA: {}, traderB: {}, admin: {}, revoked: {} };
  let keyOfA = '';
  const http = () => request(api.getHttpServer());
  const operations = () =>
    Object.entries(document.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .filter((op) => op.includes(' /api/') || op.includes(' /mu/failed'));
  const call = (op: string, who: Who, body?: unknown, query?: object) => {
    const [method, template] = op.split(' ');
    const path = template.replace('{processId}', PID).replace('{action}', 'start').replace('{orderId}', PID).replace('{mediaId}', PID).replace('{queue}', 'evaluate').replace('{id}', op.startsWith('DELETE /api/keys') ? keyOfA : UUID);
    let req = http()[method.toLowerCase() as 'get'](path).set(headers[who]);
    if (query) req = req.query(query);
    return body === undefined ? req : req.set('content-type', 'application/json').send(JSON.stringify(body));
  };

  beforeAll(async () => {
    t = await createTestEnv({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RATE_LIMIT_PER_IP: '100000', RATE_LIMIT_PER_KEY: '100000' });
    api = await createApiApp(t.env, { logger: false });
    await api.init();
    document = (await http().get('/docs/json').expect(200)).body;
    headers.admin = await apiKeyFor(http, ADMIN.email, ADMIN.password);
    const a = await newTrader(http, headers.admin, 'a@example.com');
    headers.traderA = a.auth;
    headers.traderB = (await newTrader(http, headers.admin, 'b@example.com')).auth;
    const revoked = await newTrader(http, headers.admin, 'r@example.com');
    headers.revoked = revoked.auth;
    const keys = (await http().get('/api/keys').set(revoked.auth).expect(200)).body;
    await http().delete(`/api/keys/${keys[0].id}`).set(revoked.auth).expect(204);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await t?.cleanup();
  });

  it('covers every route of the OpenAPI document once', () => {
    expect(operations().sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('answers every route × caller with the expected status (0 mismatches)', async () => {
    const mismatches: string[] = [];
    // Trader A last: its own call revokes the key the others try.
    for (const who of ['anonymous', 'revoked', 'traderB', 'admin', 'traderA'] as Who[]) {
      for (const op of operations()) {
        const route = ROUTES[op];
        // A spare key of A for DELETE /api/keys/{id}, made fresh so A's own header stays valid.
        if (route.owner === 'keyOfA') keyOfA = (await http().post('/api/keys').set(headers.traderA).send({ name: 'spare' }).expect(201)).body.id;
        // Logout with a key is a no-op for keys; with a session it ends it (the matrix uses keys).
        const res = await call(op, who, route.body, route.query);
        const want = expected(route, who);
        if (res.status !== want) mismatches.push(`${op} as ${who}: ${res.status} (want ${want}) ${JSON.stringify(res.body)}`);
        if (res.status >= 400) expect(res.body, `${op} as ${who}`).toMatchObject({ error: expect.any(String), code: expect.any(String) });
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('never answers a fuzzed body or query with a 5xx', async () => {
    const json = fc.oneof(fc.object({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.record({ name: fc.string(), blueprint: fc.constantFrom('media-verifier', 'token', 'x'), config: fc.object({ maxDepth: 1 }), topics: fc.array(fc.string()), strategyId: fc.uuid(), agentId: fc.uuid(), email: fc.emailAddress(), password: fc.string(), role: fc.string() }, { requiredKeys: [] }));
    const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'blueprint', 'owner', 'topic', 'lastEventId'), fc.string({ maxLength: 30 }));
    for (const op of operations()) {
      if (op === 'GET /api/feed') continue; // a valid query opens a stream; its validation is in the matrix
      await fc.assert(
        fc.asyncProperty(json, query, async (body, q) => {
          const res = await call(op, 'admin', op.startsWith('GET') ? undefined : body, q);
          expect(res.status, `${op} ${JSON.stringify(body)} ${JSON.stringify(q)}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
        }),
        { numRuns: 12, seed: 23 },
      );
    }
  }, 300_000);
});
