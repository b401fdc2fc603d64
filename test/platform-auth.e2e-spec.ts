import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, EnvError, IdentityVault, parseEnv, verifyPassword, type PrismaClient } from '@ao/infra';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

// Accounts on the real API, Postgres and Redis: the first admin from env, sessions with their CSRF
// token, API keys shown once and revocable, roles, idempotent creates, rate limits.

const ADMIN = { email: 'root@example.com', password: 'correct horse battery' };
const BREAK_GLASS = 'break-glass-token-for-tests';

describe('platform accounts and credentials', () => {
  let t: TestEnv;
  let api: INestApplication;
  let prisma: PrismaClient;
  const http = () => request(api.getHttpServer());
  let adminKey: string;

  beforeAll(async () => {
    t = await createTestEnv({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ADMIN_TOKEN: BREAK_GLASS, IDENTITY_KEY: Buffer.alloc(32, 7).toString('base64') });
    api = await createApiApp(t.env, { logger: false });
    await api.init();
    prisma = createPrismaClient(t.env.DATABASE_URL, 1);
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await api?.close();
    await t?.cleanup();
  });

  it('creates the first admin from ADMIN_EMAIL on first start, with an scrypt hash and a sealed ao key', async () => {
    const row = await prisma.user.findUniqueOrThrow({ where: { email: ADMIN.email } });
    expect(row.role).toBe('admin');
    expect(row.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword(ADMIN.password, row.passwordHash)).toBe(true);
    expect(await verifyPassword('wrong password!', row.passwordHash)).toBe(false);
    // The key decrypts only under IDENTITY_KEY, to a signer whose address is the user's.
    expect(new IdentityVault(t.env.IDENTITY_KEY).signer(row.aoKey!).address).toBe(row.aoAddress);
    expect(() => new IdentityVault(Buffer.alloc(32, 8).toString('base64')).signer(row.aoKey!)).toThrow();
  });

  it('logs in with a session cookie whose changes need the CSRF token, and issues API keys shown once', async () => {
    await http().post('/api/auth/login').send({ email: ADMIN.email, password: 'not the password' }).expect(401);
    await http().post('/api/auth/login').send({ email: 'nobody@example.com', password: ADMIN.password }).expect(401);
    const login = await http().post('/api/auth/login').send(ADMIN).expect(200);
    const cookie = login.headers['set-cookie'] as unknown as string[];
    expect(cookie[0]).toMatch(/^ao_session=.+; .*HttpOnly/);
    expect(login.body.user).toMatchObject({ email: ADMIN.email, role: 'admin', walletMode: 'platform' });
    expect((await http().get('/api/me').set('Cookie', cookie).expect(200)).body.email).toBe(ADMIN.email);
    // A cross-site form could carry the cookie but not the token.
    expect((await http().post('/api/keys').set('Cookie', cookie).send({ name: 'ci' }).expect(403)).body.code).toBe('FORBIDDEN');
    const created = await http().post('/api/keys').set('Cookie', cookie).set('x-csrf-token', login.body.csrfToken).send({ name: 'ci' }).expect(201);
    expect(created.body.secret).toMatch(/^aok_/);
    adminKey = created.body.secret;
    const listed = (await http().get('/api/keys').set('Cookie', cookie).expect(200)).body;
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(created.body.secret);
    expect(JSON.stringify(await prisma.apiKey.findMany())).not.toContain(created.body.secret);
    expect(listed[0].lastUsedAt).toBeNull();
    expect((await http().get('/api/me').set('authorization', `Bearer ${adminKey}`).expect(200)).body.role).toBe('admin');
    expect((await http().get('/api/keys').set('authorization', `Bearer ${adminKey}`).expect(200)).body[0].lastUsedAt).not.toBeNull();
    await http().post('/api/auth/logout').set('Cookie', cookie).set('x-csrf-token', login.body.csrfToken).expect(204);
    expect((await http().get('/api/me').set('Cookie', cookie).expect(401)).body.code).toBe('SESSION_EXPIRED');
  });

  it('gives traders their own keys only, and admins the user list', async () => {
    const trader = await http().post('/api/users').set('authorization', `Bearer ${adminKey}`).send({ email: 'Trader@Example.com', password: 'trader password 1', role: 'trader' }).expect(201);
    expect(trader.body).toMatchObject({ email: 'trader@example.com', role: 'trader', walletMode: 'platform' });
    const brought = await http().post('/api/users').set('authorization', `Bearer ${adminKey}`).send({ email: 'w@example.com', password: 'trader password 2', role: 'trader', walletAddress: 'A'.repeat(43) }).expect(201);
    expect(brought.body).toMatchObject({ walletMode: 'external', aoAddress: 'A'.repeat(43) });
    expect((await prisma.user.findUniqueOrThrow({ where: { email: 'w@example.com' } })).aoKey).toBeNull();
    const login = await http().post('/api/auth/login').send({ email: 'trader@example.com', password: 'trader password 1' }).expect(200);
    const key = (await http().post('/api/keys').set('Cookie', login.headers['set-cookie'] as unknown as string[]).set('x-csrf-token', login.body.csrfToken).send({ name: 'bot' }).expect(201)).body;
    const trader1 = { authorization: `Bearer ${key.secret}` };
    expect((await http().get('/api/users').set(trader1).expect(403)).body).toMatchObject({ code: 'FORBIDDEN', details: { role: 'trader', needs: 'admin' } });
    await http().get('/api/users').expect(401);
    // The admin's key is not the trader's to revoke.
    const adminKeyId = (await http().get('/api/keys').set('authorization', `Bearer ${adminKey}`).expect(200)).body[0].id;
    await http().delete(`/api/keys/${adminKeyId}`).set(trader1).expect(404);
    await http().get('/api/me').set('authorization', `Bearer ${adminKey}`).expect(200);
    await http().delete(`/api/keys/${key.id}`).set(trader1).expect(204);
    expect((await http().get('/api/me').set(trader1).expect(401)).body.code).toBe('KEY_REVOKED');
  });

  it('honours a revocation at once in every API process, though each keeps valid credentials briefly', async () => {
    // a second API process on the same Postgres and Redis, with a long cache so only revocation can end it
    const other = await createApiApp({ ...t.env, AUTH_CACHE_MS: 60_000 }, { logger: false });
    await other.init();
    try {
      const admin = { authorization: `Bearer ${adminKey}` };
      await http().post('/api/users').set(admin).send({ email: 'cached@example.com', password: 'trader password 3', role: 'trader' }).expect(201);
      const login = await request(other.getHttpServer()).post('/api/auth/login').send({ email: 'cached@example.com', password: 'trader password 3' }).expect(200);
      const cookie = login.headers['set-cookie'] as unknown as string[];
      const key = (await request(other.getHttpServer()).post('/api/keys').set('Cookie', cookie).set('x-csrf-token', login.body.csrfToken).send({ name: 'cached' }).expect(201)).body;
      const bearer = { authorization: `Bearer ${key.secret}` };
      // the other process has both credentials cached now: the database no longer decides alone
      await request(other.getHttpServer()).get('/api/me').set(bearer).expect(200);
      await request(other.getHttpServer()).get('/api/me').set('Cookie', cookie).expect(200);
      await prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: null } });
      await request(other.getHttpServer()).get('/api/me').set(bearer).expect(200);
      expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).lastUsedAt).toBeNull(); // answered from the cache
      // a cached session still needs its CSRF token for unsafe requests
      await request(other.getHttpServer()).post('/api/keys').set('Cookie', cookie).send({ name: 'no csrf' }).expect(403);
      // revoked through this process: the other one refuses the key on the next request
      await http().delete(`/api/keys/${key.id}`).set(bearer).expect(204);
      expect((await request(other.getHttpServer()).get('/api/me').set(bearer).expect(401)).body.code).toBe('KEY_REVOKED');
      // logged out through this process: the other one refuses the session at once too
      await http().post('/api/auth/logout').set('Cookie', cookie).set('x-csrf-token', login.body.csrfToken).expect(204);
      expect((await request(other.getHttpServer()).get('/api/me').set('Cookie', cookie).expect(401)).body.code).toBe('SESSION_EXPIRED');
    } finally {
      await other.close();
    }
  });

  it('refuses unknown fields (mass assignment) naming the field, and bad values naming the rule', async () => {
    const admin = { authorization: `Bearer ${adminKey}` };
    const res = await http().post('/api/keys').set(admin).send({ name: 'x', role: 'admin', userId: 'someone' }).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.details.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'role', rule: 'unknown-field' }), expect.objectContaining({ field: 'userId', rule: 'unknown-field' })]));
    const weak = await http().post('/api/users').set(admin).send({ email: 'a@b.co', password: 'short', role: 'root' }).expect(400);
    expect(weak.body.details.fields.map((f: { field: string; rule: string }) => `${f.field}/${f.rule}`).sort()).toEqual(['password/minLength', 'role/isIn']);
  });

  it('answers a replayed Idempotency-Key with the first answer and creates nothing twice', async () => {
    const admin = { authorization: `Bearer ${adminKey}`, 'idempotency-key': 'create-trader-2' };
    const body = { email: 'trader2@example.com', password: 'trader password 3', role: 'trader' };
    const first = await http().post('/api/users').set(admin).send(body).expect(201);
    const again = await http().post('/api/users').set(admin).send(body).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await prisma.user.count({ where: { email: body.email } })).toBe(1);
    expect((await http().post('/api/users').set(admin).send({ ...body, email: 'other@example.com' }).expect(422)).body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('keeps ADMIN_TOKEN as a break-glass admin on /api and the unit admin routes', async () => {
    expect((await http().get('/api/me').set('authorization', `Bearer ${BREAK_GLASS}`).expect(200)).body).toMatchObject({ email: 'break-glass', role: 'admin' });
    await http().get('/api/users').set('authorization', `Bearer ${BREAK_GLASS}`).expect(200);
    await http().get('/api/admin/cron').set('authorization', `Bearer ${BREAK_GLASS}`).expect(200);
    await http().get('/mu/failed').set('authorization', `Bearer ${adminKey}`).expect(200);
    await http().get('/api/admin/cron').set('authorization', 'Bearer wrong').expect(401);
  });

  it('refuses to start in production without IDENTITY_KEY, naming the variable', () => {
    expect(() => parseEnv({ ...t.vars, NODE_ENV: 'production', IDENTITY_KEY: '' })).toThrow(EnvError);
    expect(() => parseEnv({ ...t.vars, NODE_ENV: 'production', IDENTITY_KEY: '' })).toThrow(/IDENTITY_KEY/);
    expect(parseEnv({ ...t.vars, NODE_ENV: 'production', IDENTITY_KEY: 'ab'.repeat(32) }).IDENTITY_KEY).toBe('ab'.repeat(32));
  });
});

describe('rate limits', () => {
  let t: TestEnv;
  let api: INestApplication;

  beforeAll(async () => {
    t = await createTestEnv({ RATE_LIMIT_PER_IP: '5', RATE_LIMIT_WINDOW_S: '3600' });
    api = await createApiApp(t.env, { logger: false });
    await api.init();
  });

  afterAll(async () => {
    await api?.close();
    await t?.cleanup();
  });

  it('answers a burst over the per-IP limit with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 8; i++) {
      last = await request(api.getHttpServer()).get('/api/me');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(last!.body).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 5 } });
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
  });
});
