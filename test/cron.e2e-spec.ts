import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { ArweaveGateway, createPrismaClient, parseEnv, type PrismaClient } from '@ao/infra';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { TICK_COUNTER, expectAccounted, settledTicks, startCron, sumMissed, suLog, tag, tickRows, tickState, until, type Tag, type TickRow } from './support/cron-helpers.js';
import { messageItem, newUser, processItem } from './support/items.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { waitMined } from './support/verify-helpers.js';

const SECOND = 1_000;
const admin = { authorization: 'Bearer test-admin-token' };
describe('cron: ticks as real messages, exactly once', () => {
  let t: TestEnv;
  let api: INestApplication;
  let worker: INestApplicationContext;
  let crons: INestApplicationContext[] = [];
  let prisma: PrismaClient;
  let su: string;
  let moduleId: string;
  let owner: ItemSigner;
  const http = () => request(api.getHttpServer());
  const stopCrons = async () => void (await Promise.all(crons.splice(0).map((c) => c.close())));
  const ownerItem = (pid: string, signer = owner) => messageItem(signer, pid, [{ name: 'Action', value: 'Monitor' }], '');
  /** POST or DELETE /mu/monitor/{pid} with an item the signer signed for the process; answers the body after checking the status. */
  const control = async (method: 'post' | 'delete', pid: string, status: number, signer = owner) => {
    const raw = Buffer.from((await ownerItem(pid, signer)).raw);
    const res = await http()[method](`/mu/monitor/${pid}`).set('content-type', 'application/octet-stream').send(raw);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    return res.body;
  };
  const monitor = (pid: string, status = 201, signer = owner) => control('post', pid, status, signer);
  const unmonitor = (pid: string, status = 200, signer = owner) => control('delete', pid, status, signer);
  const registration = async (pid: string) => (await http().get('/api/admin/cron').set(admin).expect(200)).body.find((r: { processId: string }) => r.processId === pid);
  const spawn = async (tags: Tag[]) => {
    const p = await processItem(owner, su, [{ name: 'On-Boot', value: 'Data' }, ...tags], TICK_COUNTER, moduleId);
    await http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(p.raw)).expect(202);
    expect((await http().get(`/cu/result/${p.id}`).query({ 'process-id': p.id }).expect(200)).body.Error).toBeUndefined();
    return p.id;
  };
  const cronProcess = (policy?: string) =>
    spawn([{ name: 'Cron-Interval', value: '1-second' }, { name: 'Cron-Tag-Action', value: 'Tick' }, ...(policy ? [{ name: 'Cron-Missed-Policy', value: policy }] : [])]);
  const emitted = async (pid: string) => (await tickRows(prisma, pid)).filter((r) => r.nonce !== null);
  /** Waits until the handler has seen every emitted tick, then answers both views. */
  const evaluated = async (pid: string) => {
    const rows = await settledTicks(prisma, pid);
    const state = await until(`${pid} to evaluate ${rows.length} ticks`, async () => {
      const s = await tickState(api, pid, owner.address);
      return s.ticks === rows.length ? s : undefined;
    });
    return { rows, state };
  };
  /** The tick rows are the tick messages in the SU log, one each, signed by the platform, flagged Cron. */
  const expectLogMatches = async (pid: string, rows: TickRow[], interval = '1-second', timeTag = 'Cron-Tick-Time') => {
    const ticks = (await suLog(api, pid)).filter((m) => tag(m.tags, 'Action') === 'Tick');
    expect(ticks.map((m) => ({ id: m.id, nonce: m.nonce, tick: Number(tag(m.tags, timeTag)) }))).toEqual(
      rows.map((r) => ({ id: r.messageId, nonce: r.nonce, tick: r.tick })),
    );
    for (const m of ticks) {
      expect(m.owner).toBe(su);
      expect(tag(m.tags, 'Cron')).toBe('true');
      expect(tag(m.tags, 'Cron-Interval')).toBe(interval);
    }
    return ticks;
  };

  beforeAll(async () => {
    // The platform default is coalesce; processes choose catch-up with their Cron-Missed-Policy tag.
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000', ADMIN_TOKEN: 'test-admin-token', CRON_MISSED_POLICY: 'coalesce' });
    api = await createApiApp(t.env, { logger: false });
    await api.init();
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.env), { logger: process.env.TEST_LOGS ? ['log', 'warn', 'error'] : false });
    await worker.init();
    prisma = createPrismaClient(t.env.DATABASE_URL);
    const info = (await http().get('/info').expect(200)).body;
    su = info.scheduler.address;
    moduleId = info.modules['lua-5.4-aos'];
    owner = newUser();
  });

  afterEach(stopCrons);

  afterAll(async () => {
    await stopCrons();
    await Promise.all([api?.close(), worker?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  it('emits every 1-second tick once with two cron replicas, and after 5 s of downtime applies each missed-tick policy exactly', async () => {
    const coalesce = await cronProcess();
    const catchUp = await cronProcess('catch-up');
    crons = await startCron(t.env, 2);
    const monitored = await monitor(coalesce);
    expect(monitored.registrations).toEqual([expect.objectContaining({ processId: coalesce, interval: '1-second', policy: 'coalesce', status: 'active', tickTags: [{ name: 'Action', value: 'Tick' }] })]);
    const monitoredToo = await monitor(catchUp);
    expect(monitoredToo.registrations[0]).toMatchObject({ policy: 'catch-up' });
    // The first tick is the first aligned second after monitoring (ticks are aligned to the spawn time).
    const start = { [coalesce]: monitored.registrations[0].nextTick, [catchUp]: monitoredToo.registrations[0].nextTick };

    // Ten seconds of ticks, both replicas planning every second.
    const observeUntil = Date.now() + 10 * SECOND;
    for (const pid of [coalesce, catchUp]) {
      await until(`ticks of ${pid} up to ${observeUntil}`, async () => (await emitted(pid)).some((r) => r.tick >= observeUntil));
    }

    // Downtime begins: no replica for five seconds, then two again. The first stretch is checked
    // once no replica runs, so the rows, the handler's count and the log are one snapshot.
    await stopCrons();
    const stoppedAt = Date.now();
    for (const pid of [coalesce, catchUp]) {
      const { rows, state } = await evaluated(pid);
      expectAccounted(rows, start[pid], SECOND);
      expect(rows.length + sumMissed(rows)).toBeGreaterThanOrEqual(10);
      expect(state).toMatchObject({ ticks: rows.length, missed: sumMissed(rows), notCron: 0, times: rows.map((r) => r.tick) });
      await expectLogMatches(pid, rows);
    }
    // Catch-up never skips: every aligned second since monitoring is its own tick, once.
    expect((await emitted(catchUp)).every((r) => r.missed === 0)).toBe(true);

    const before = { [coalesce]: (await settledTicks(prisma, coalesce)).length, [catchUp]: (await settledTicks(prisma, catchUp)).length };
    const lastBefore = { [coalesce]: (await registration(coalesce)).lastTick, [catchUp]: (await registration(catchUp)).lastTick };
    // The downtime itself is the scenario, so this one wait is a plain five seconds (or none left).
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + 5 * SECOND - Date.now())));
    for (const pid of [coalesce, catchUp]) expect((await tickRows(prisma, pid)).length).toBe(before[pid]);
    const restartedAt = Date.now();
    crons = await startCron(t.env, 2);
    for (const pid of [coalesce, catchUp]) {
      await until(`ticks of ${pid} after the restart`, async () => (await emitted(pid)).some((r) => r.tick >= restartedAt + 2 * SECOND));
    }
    await stopCrons();

    // catch-up: every tick missed while down is emitted, each on its own, after the restart.
    const c = await evaluated(catchUp);
    expectAccounted(c.rows, start[catchUp], SECOND);
    expect(c.rows.every((r) => r.missed === 0)).toBe(true);
    const caughtUp = c.rows.filter((r) => r.tick > lastBefore[catchUp] && r.tick <= restartedAt);
    expect(caughtUp.length).toBeGreaterThanOrEqual(4);
    for (const r of caughtUp) expect(r.createdAt.getTime()).toBeGreaterThanOrEqual(restartedAt - SECOND);
    expect(c.state).toMatchObject({ ticks: c.rows.length, missed: 0, notCron: 0, times: c.rows.map((r) => r.tick) });
    await expectLogMatches(catchUp, c.rows);

    // coalesce: the stretch missed while down becomes one tick whose Missed counts the ticks it stands for.
    const k = await evaluated(coalesce);
    expectAccounted(k.rows, start[coalesce], SECOND);
    const jump = k.rows.find((r) => r.tick > lastBefore[coalesce])!;
    expect(jump.createdAt.getTime()).toBeGreaterThanOrEqual(restartedAt - SECOND);
    expect(jump.tick).toBeGreaterThan(restartedAt - SECOND);
    expect(jump.missed).toBe((jump.tick - lastBefore[coalesce]) / SECOND - 1);
    expect(jump.missed).toBeGreaterThanOrEqual(4);
    expect(k.state).toMatchObject({ ticks: k.rows.length, missed: sumMissed(k.rows), notCron: 0, times: k.rows.map((r) => r.tick) });
    const coalesced = (await expectLogMatches(coalesce, k.rows)).find((m) => Number(tag(m.tags, 'Cron-Tick-Time')) === jump.tick)!;
    expect(tag(coalesced.tags, 'Missed')).toBe(String(jump.missed));

    // Every tick message reaches the gateway (the worker's upload stage bundles it to arlocal).
    const gateway = new ArweaveGateway(t.env.ARWEAVE_URL);
    const ids = [...c.rows, ...k.rows].map((r) => r.messageId!);
    await waitMined(gateway, ids, 120_000);
    const onGateway = await gateway.graphql<{ transactions: { edges: { node: { id: string; owner: { address: string }; tags: Tag[] } }[] } }>(
      'query($ids: [ID!]) { transactions(ids: $ids, first: 100) { edges { node { id owner { address } tags { name value } } } } }',
      { ids: [coalesced.id] },
    );
    expect(onGateway.transactions.edges[0].node).toMatchObject({ id: coalesced.id, owner: { address: su } });
    expect(tag(onGateway.transactions.edges[0].node.tags, 'Missed')).toBe(String(jump.missed));
  });

  it('lists registrations with their last and next tick for admins; pause, resume and DELETE /mu/monitor stop and restart ticks at once', async () => {
    const pid = await cronProcess('catch-up');
    const clock = await cronProcess(); // keeps ticking: "no tick" is judged against its ticks, not a sleep
    const moreTicks = async (n: number) => {
      const seen = (await emitted(clock)).length;
      await until(`${n} more ticks of the control process`, async () => (await emitted(clock)).length >= seen + n);
    };
    crons = await startCron(t.env, 2);
    const start = (await monitor(pid)).registrations[0].nextTick;
    await monitor(clock);
    await until('two ticks', async () => (await emitted(pid)).length >= 2);

    await http().get('/api/admin/cron').expect(401);
    await http().get('/api/admin/cron').set({ authorization: 'Bearer wrong' }).expect(401);
    const active = await registration(pid);
    expect(active).toMatchObject({ interval: '1-second', unit: 'ms', period: SECOND, policy: 'catch-up', status: 'active' });
    expect(active.lastTick).toBeGreaterThanOrEqual(start + SECOND);
    expect(active.nextTick).toBeGreaterThan(active.lastTick);
    expect((active.nextTick - active.origin) % SECOND).toBe(0);

    // Pause: once answered, nothing more is emitted; the listing shows where it stopped.
    expect((await http().post(`/api/admin/cron/${pid}/pause`).set(admin).expect(200)).body).toEqual({ processId: pid, paused: 1 });
    const frozen = await tickRows(prisma, pid);
    expect(frozen.every((r) => r.nonce !== null)).toBe(true);
    const last = frozen[frozen.length - 1].tick;
    expect(await registration(pid)).toMatchObject({ status: 'paused', lastTick: last, nextTick: last + SECOND });
    const logLength = (await suLog(api, pid)).length;
    await moreTicks(3);
    expect(await tickRows(prisma, pid)).toEqual(frozen);
    expect((await suLog(api, pid)).length).toBe(logLength);

    // Resume: the seconds missed while paused follow the policy (catch-up: each one), then it goes on.
    const resumedAt = Date.now();
    expect((await http().post(`/api/admin/cron/${pid}/resume`).set(admin).expect(200)).body).toEqual({ processId: pid, resumed: 1 });
    await until('ticks after the resume', async () => (await emitted(pid)).some((r) => r.tick >= resumedAt + SECOND));
    // Paused again so the rows and the handler's count are one snapshot (ticks keep coming otherwise).
    await http().post(`/api/admin/cron/${pid}/pause`).set(admin).expect(200);
    const resumed = await evaluated(pid);
    expectAccounted(resumed.rows, start, SECOND);
    expect(resumed.rows.every((r) => r.missed === 0)).toBe(true);
    expect(resumed.rows.filter((r) => r.tick > last && r.tick < resumedAt).length).toBeGreaterThanOrEqual(2);
    expect(resumed.state.ticks).toBe(resumed.rows.length);
    // Ticking again, so the DELETE below stops a live registration.
    await http().post(`/api/admin/cron/${pid}/resume`).set(admin).expect(200);
    const lastResumed = resumed.rows[resumed.rows.length - 1].tick;
    await until('ticks after the second resume', async () => (await emitted(pid)).some((r) => r.tick > lastResumed));

    // DELETE: only the owner; once answered, no tick of the process is emitted any more.
    expect((await unmonitor(pid, 403, newUser())).code).toBe('FORBIDDEN');
    expect(await unmonitor(pid)).toEqual({ processId: pid, removed: 1 });
    expect(await registration(pid)).toBeUndefined();
    const stopped = await tickRows(prisma, pid);
    expect(stopped.every((r) => r.nonce !== null)).toBe(true);
    const stoppedLog = (await suLog(api, pid)).length;
    await moreTicks(3);
    expect(await tickRows(prisma, pid)).toEqual(stopped);
    expect((await suLog(api, pid)).length).toBe(stoppedLog);
    await http().post(`/api/admin/cron/${pid}/pause`).set(admin).expect(404);
    // Monitoring again starts with the next second; the unmonitored stretch is not back-filled.
    const again = (await monitor(pid)).registrations[0];
    expect(again.nextTick).toBeGreaterThan(Date.now() - SECOND);
    expect((again.nextTick - stopped[stopped.length - 1].tick) % SECOND).toBe(0);
  });

  it('refuses malformed or too short intervals and strangers with 400/403 {error, code, details}, registering nothing', async () => {
    const refused = async (pid: string, status: number, signer = owner) => {
      const body = await monitor(pid, status, signer);
      expect(Object.keys(body).sort()).toEqual(['code', 'details', 'error']);
      expect(await prisma.cronRegistration.count({ where: { processId: pid } })).toBe(0);
      return body;
    };
    const cases: [string[], RegExp][] = [
      [['0-seconds'], /"0-seconds" must be a positive whole number/],
      [['5-fortnights'], /"5-fortnights" has unknown unit "fortnight/],
      [['seconds'], /"seconds" must look like "5-minutes"/],
      [['-seconds'], /"-seconds" must look like/],
      [['500-milliseconds'], /"500-milliseconds" is below the platform minimum of 1000 ms/],
      [['1-minute', '5-fortnights'], /"5-fortnights" has unknown unit/], // one bad interval spoils the lot
    ];
    for (const [intervals, error] of cases) {
      const pid = await spawn([...intervals.map((value) => ({ name: 'Cron-Interval', value })), { name: 'Cron-Tag-Action', value: 'Tick' }]);
      const body = await refused(pid, 400);
      expect(body).toMatchObject({ code: 'INVALID_REQUEST', details: { interval: expect.any(String) } });
      expect(body.error).toMatch(error);
    }
    expect((await refused(await spawn([]), 400)).error).toMatch(/has no Cron-Interval tag/);
    const badPolicy = await spawn([{ name: 'Cron-Interval', value: '1-minute' }, { name: 'Cron-Missed-Policy', value: 'sometimes' }]);
    expect((await refused(badPolicy, 400)).error).toMatch(/Cron-Missed-Policy "sometimes"/);

    const pid = await cronProcess();
    // Nobody but the platform can make a tick: a user's Tick tagged Cron=true is handled with msg.Cron false.
    const forged = await messageItem(owner, pid, [{ name: 'Action', value: 'Tick' }, { name: 'Cron', value: 'true' }], '');
    await http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(forged.raw)).expect(202);
    await http().get(`/cu/result/${forged.id}`).query({ 'process-id': pid }).expect(200);
    expect(await tickState(api, pid, owner.address)).toMatchObject({ ticks: 1, notCron: 1 });
    expect(await refused(pid, 403, newUser())).toMatchObject({ code: 'FORBIDDEN', details: { processId: pid, owner: owner.address } });
    const elsewhere = await messageItem(owner, await cronProcess(), [], '');
    const wrongTarget = await http().post(`/mu/monitor/${pid}`).set('content-type', 'application/octet-stream').send(Buffer.from(elsewhere.raw)).expect(400);
    expect(wrongTarget.body).toMatchObject({ code: 'INVALID_REQUEST', error: expect.stringMatching(/must target the process/) });
    expect((await http().post(`/mu/monitor/${pid}`).set('content-type', 'application/octet-stream').expect(400)).body.code).toBe('INVALID_ITEM');
    expect(await prisma.cronRegistration.count({ where: { processId: pid } })).toBe(0);

    // The minimum is the platform's: an API configured with 5 s refuses 2-seconds and accepts 5-seconds.
    const strict = await createApiApp(parseEnv({ ...t.vars, CRON_MIN_INTERVAL_MS: '5000' }), { logger: false });
    await strict.init();
    try {
      const post = async (p: string) =>
        request(strict.getHttpServer()).post(`/mu/monitor/${p}`).set('content-type', 'application/octet-stream').send(Buffer.from((await ownerItem(p)).raw));
      const two = await spawn([{ name: 'Cron-Interval', value: '2-seconds' }]);
      expect((await post(two)).body).toMatchObject({ code: 'INVALID_REQUEST', error: expect.stringMatching(/below the platform minimum of 5000 ms/), details: { minimumMs: 5000 } });
      expect((await post(await spawn([{ name: 'Cron-Interval', value: '5-seconds' }]))).status).toBe(201);
    } finally {
      await strict.close();
    }
  });

  it('ticks N-blocks intervals against the gateway height, aligned to the height the process was spawned at', async () => {
    const pid = await spawn([
      { name: 'Cron-Interval', value: '2-blocks' },
      { name: 'Cron-Tag-Action', value: 'Tick' },
      { name: 'Cron-Tag-Echo', value: 'yes' },
      { name: 'Cron-Missed-Policy', value: 'catch-up' },
    ]);
    crons = await startCron(t.env, 2);
    const reg = (await monitor(pid)).registrations[0];
    expect(reg).toMatchObject({ unit: 'blocks', period: 2, origin: Number((await prisma.process.findUniqueOrThrow({ where: { id: pid } })).blockHeight) });
    await until('three block ticks', async () => (await emitted(pid)).length >= 3, 60_000);
    await stopCrons();
    const { rows, state } = await evaluated(pid);
    expectAccounted(rows, reg.nextTick, 2);
    expect(rows.every((r) => r.missed === 0)).toBe(true);
    expect((reg.nextTick - reg.origin) % 2).toBe(0);
    expect(rows[rows.length - 1].tick).toBeLessThanOrEqual(await new ArweaveGateway(t.env.ARWEAVE_URL).blockHeight());
    expect(state).toMatchObject({ ticks: rows.length, missed: 0, notCron: 0, times: rows.map((r) => r.tick) });
    await expectLogMatches(pid, rows, '2-blocks', 'Cron-Tick-Height');
    // Each tick's outbox (a Tock to itself) is cranked through the MU like any message's.
    await until('a Tock for every tick', async () => (await tickState(api, pid, owner.address)).tocks === rows.length);
    const tocks = (await suLog(api, pid)).filter((m) => tag(m.tags, 'Action') === 'Tock');
    expect(tocks.map((m) => tag(m.tags, 'From-Process'))).toEqual(rows.map(() => pid));
  });
});
