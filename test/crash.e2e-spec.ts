import { spawn, type ChildProcess } from 'node:child_process';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeUnit, verifyProcess, type CommittedResult, type ComputeStore, type EvaluationHead, type ItemSigner } from '@ao/core';
import {
  ArweaveGateway,
  HttpResultSource,
  PrismaComputeStore,
  PrismaSchedulerStore,
  StoreModuleLoader,
  createEvaluators,
  createPrismaClient,
  loadWallets,
  type PrismaClient,
} from '@ao/infra';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { messageItem, newUser, processItem } from './support/items.js';
import { StoreLogReader } from './support/store-log-reader.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const PROCESSES = 50;
const MESSAGES = 5_000;
const KILLS = 3;
const WORKER = new URL('../apps/worker/dist/main.js', import.meta.url).pathname;

// Every Ping makes its process send one Pong to a peer; both counters show up in results, so a
// message applied twice or lost changes what a clean replay computes.
const PINGER = `
Pings = Pings or 0
Pongs = Pongs or 0
Handlers.add("Ping", "Ping", function(msg)
  Pings = Pings + 1
  Send({ Target = msg.Peer, Action = "Pong", N = tostring(Pings) })
end)
Handlers.add("Pong", "Pong", function(msg)
  Pongs = Pongs + 1
  print("pong " .. Pongs .. " from " .. msg.From .. " #" .. msg.N)
end)
`;

/** Replays a log from Postgres in a fresh evaluator and keeps results in memory: the clean replay. */
class ReplayStore implements ComputeStore {
  readonly results = new Map<number, CommittedResult>();
  /** Entries past this nonce stay hidden (the replay stops there first, to compare the state hash the worker recorded). */
  upTo = Number.POSITIVE_INFINITY;
  private head = -1;
  constructor(private readonly source: PrismaComputeStore) {}
  getProcess(id: string) {
    return this.source.getProcess(id);
  }
  async readLog(id: string, after: number, limit: number) {
    return (await this.source.readLog(id, after, limit)).filter((e) => e.nonce <= this.upTo);
  }
  async evaluationHead(): Promise<EvaluationHead> {
    return { nonce: this.head };
  }
  async commit(_id: string, results: CommittedResult[]): Promise<void> {
    for (const r of results) this.results.set(r.nonce, r);
    this.head = results.at(-1)?.nonce ?? this.head;
  }
  async markBroken(_id: string, nonce: number, error: string): Promise<void> {
    throw new Error(`clean replay found a broken log at ${nonce}: ${error}`);
  }
}

const count = async (prisma: PrismaClient, sql: string) => Number((await prisma.$queryRawUnsafe<{ n: bigint }[]>(sql))[0].n);

describe('crash safety: workers killed with SIGKILL mid-run', () => {
  let t: TestEnv;
  let api: INestApplication;
  let prisma: PrismaClient;
  // Uploads to the gateway are left out (tested in su.e2e-spec.ts): 15,000 items would only load the
  // gateway the other test files share. Two worker processes share the queues (as `npm run worker` started twice would); the kills hit
  // them in turn. `worker` is the one the next kill or SIGTERM goes to.
  let worker: ChildProcess | undefined;
  let second: ChildProcess | undefined;
  let workerLog = '';
  let owner: ItemSigner;
  const http = () => request(api.getHttpServer());
  const mu = (raw: Uint8Array) => http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(raw));

  const launch = () => {
    const child = spawn(process.execPath, [WORKER], { env: { ...process.env, ...t.vars, WORKER_CONCURRENCY: '8', WORKER_QUEUES: 'evaluate,push,cron', CU_STATE_HASH_INTERVAL_MS: '1000' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (workerLog = (workerLog + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return child;
  };
  const startWorker = () => {
    worker = launch();
  };
  /** After a kill: a fresh worker takes the place of the survivor in the rotation, the survivor is next. */
  const rotate = () => {
    const survivor = second;
    second = launch();
    worker = survivor;
  };
  const alive = (child: ChildProcess | undefined) => child !== undefined && child.exitCode === null && child.signalCode === null;
  /** SIGKILLs the next worker; true only when its exit confirms the kill landed (a worker already gone does not count). */
  const killWorker = async (): Promise<boolean> => {
    const dying = worker;
    if (!alive(dying) || !dying) return false;
    const exited = new Promise<NodeJS.Signals | null>((r) => dying.once('exit', (_code, signal) => r(signal)));
    dying.kill('SIGKILL');
    return (await exited) === 'SIGKILL';
  };

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '60000', MU_MAX_BACKLOG: '1000000' });
    api = await createApiApp(t.env, { logger: false });
    // Listening: the verifier compares its replay with the CU over HTTP, as `npm run verify -- --cu` does.
    await api.listen(0, '127.0.0.1');
    prisma = createPrismaClient(t.env.DATABASE_URL);
    owner = newUser();
    startWorker();
    second = launch();
  });

  afterAll(async () => {
    await killWorker();
    if (alive(second)) second!.kill('SIGKILL');
    await Promise.all([api?.close(), prisma?.$disconnect()]);
    await t?.cleanup();
  });

  it('loses nothing and applies nothing twice: 5,000 ping-pongs over 50 processes, two workers, three SIGKILLs', async () => {
    const info = (await http().get('/info').expect(200)).body;
    const pids: string[] = [];
    for (let i = 0; i < PROCESSES; i += 1) {
      const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], PINGER, info.modules['lua-5.4-aos']);
      await mu(p.raw).expect(202);
      pids.push(p.id);
    }

    // Send everything with 16 requests in flight; kill and restart the worker while it works.
    const accepted: string[] = [];
    let next = 0;
    const sender = async () => {
      while (next < MESSAGES) {
        const k = next++;
        const target = pids[k % PROCESSES];
        const peer = pids[(k * 7 + 1) % PROCESSES === k % PROCESSES ? (k + 1) % PROCESSES : (k * 7 + 1) % PROCESSES];
        const m = await messageItem(owner, target, [{ name: 'Action', value: 'Ping' }, { name: 'Peer', value: peer }]);
        const res = await mu(m.raw);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        accepted.push(m.id);
      }
    };
    let kills = 0;
    const killer = (async () => {
      for (let i = 0; i < KILLS; i += 1) {
        // Kill once a slice of the work is in: during sending and while the backlog drains.
        const threshold = ((i + 1) * MESSAGES) / (KILLS + 1);
        while (accepted.length < threshold) await new Promise((r) => setTimeout(r, 50));
        if (await killWorker()) kills += 1;
        rotate();
      }
    })();
    await Promise.all([...Array.from({ length: 16 }, sender), killer]);
    expect(kills).toBe(KILLS);

    // Wait until every log entry has a result and every outbox has been relayed.
    const deadline = Date.now() + 300_000;
    let status = { assignments: 0, results: 0, pending: 0, pushes: 0 };
    while (Date.now() < deadline) {
      status = {
        assignments: await count(prisma, 'SELECT count(*) AS n FROM assignments'),
        results: await count(prisma, 'SELECT count(*) AS n FROM results'),
        pending: await count(prisma, "SELECT count(*) AS n FROM results WHERE crank_status = 'pending'"),
        pushes: await count(prisma, "SELECT count(*) AS n FROM pushes WHERE status = 'done'"),
      };
      if (status.pushes === MESSAGES && status.pending === 0 && status.results === status.assignments) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (status.pushes !== MESSAGES || status.results !== status.assignments) console.log(workerLog.slice(-5_000));

    const ids = `ARRAY['${accepted.join("','")}']`;
    const userAssignments = await count(prisma, `SELECT count(*) AS n FROM assignments WHERE message_id = ANY(${ids})`);
    const userDistinct = await count(prisma, `SELECT count(DISTINCT message_id) AS n FROM assignments WHERE message_id = ANY(${ids})`);
    const pushedAssigned = await count(prisma, "SELECT count(*) AS n FROM assignments a JOIN pushes p ON p.item_id = a.message_id WHERE p.kind = 'message'");
    const pushedDistinct = await count(prisma, "SELECT count(DISTINCT a.message_id) AS n FROM assignments a JOIN pushes p ON p.item_id = a.message_id WHERE p.kind = 'message'");
    console.log(
      `crash test: 2 workers, ${kills} SIGKILLs; ${accepted.length} accepted, ${userAssignments} assigned; ${status.pushes} pushes done, ` +
        `${pushedAssigned} pushed messages assigned; ${status.results} results for ${status.assignments} log entries`,
    );
    expect(accepted).toHaveLength(MESSAGES);
    expect(userAssignments).toBe(MESSAGES);
    expect(userDistinct).toBe(MESSAGES);
    expect(status.pushes).toBe(MESSAGES);
    expect(pushedAssigned).toBe(MESSAGES);
    expect(pushedDistinct).toBe(MESSAGES);
    expect(status.results).toBe(status.assignments);
    expect(status.assignments).toBe(PROCESSES + 2 * MESSAGES);
    expect(status.pending).toBe(0);

    // Each process's committed results and state hash equal a clean replay of its log.
    const log = new PrismaSchedulerStore(prisma);
    const loader = new StoreModuleLoader(log, new ArweaveGateway(t.env.ARWEAVE_URL));
    const platform = (await loadWallets(t.env)).signing.address;
    let compared = 0;
    for (const pid of pids) {
      const replay = new ReplayStore(new PrismaComputeStore(prisma, log));
      const cu = new ComputeUnit(replay, loader, createEvaluators(), {
        maxLive: 1,
        batchSize: 500,
        defaults: { gas: t.env.CU_GAS_DEFAULT, memoryBytes: t.env.CU_MEMORY_DEFAULT },
        maxima: { gas: t.env.CU_GAS_MAX, memoryBytes: t.env.CU_MEMORY_MAX },
        platformAddresses: [platform],
      });
      // The worker records its state hash now and then (CU_STATE_HASH_INTERVAL_MS, 1 s for this test's
      // workers), with the nonce it is for: the clean replay stops there, compares, then goes on to the end.
      const head = await prisma.cuProcess.findUniqueOrThrow({ where: { processId: pid } });
      expect(head.stateHashNonce, pid).not.toBeNull();
      replay.upTo = Number(head.stateHashNonce);
      await cu.evaluate(pid);
      expect(head.stateHash, `${pid} state at nonce ${replay.upTo}`).toBe((await cu.stateHash(pid)).hash);
      replay.upTo = Number.POSITIVE_INFINITY;
      await cu.evaluate(pid);
      cu.close();
      const committed = await prisma.result.findMany({ where: { processId: pid }, orderBy: { nonce: 'asc' }, select: { nonce: true, result: true } });
      expect(committed.map((r) => Number(r.nonce))).toEqual([...replay.results.keys()]);
      for (const row of committed) {
        expect(row.result, `${pid} nonce ${row.nonce}`).toEqual(JSON.parse(JSON.stringify(replay.results.get(Number(row.nonce))!.result)));
      }
      compared += committed.length;
    }
    console.log(`crash test: ${compared} results and ${pids.length} state hashes equal a clean replay`);

    // And each log verifies as `npm run verify -- <pid> --cu <url>` checks it: signatures, hash chain,
    // nonces, timestamps and heights never going back whichever worker or API scheduled the entry,
    // then a replay whose results and state hash the CU must serve. The log is read from the SU's
    // store (this test does not upload): the verifier trusts it no more than a gateway.
    const { port } = api.getHttpServer().address() as { port: number };
    const cuUrl = `http://127.0.0.1:${port}/cu`;
    const reader = new StoreLogReader(log);
    for (const pid of pids) {
      const report = await verifyProcess(pid, { reader, evaluators: createEvaluators(), compareWith: new HttpResultSource(cuUrl) });
      expect(report.failure, `verify ${pid}`).toBeUndefined();
      const lastNonce = Number((await prisma.process.findUniqueOrThrow({ where: { id: pid } })).lastNonce);
      expect(report).toMatchObject({ ok: true, lastNonce, messages: lastNonce + 1 });
      expect(report.cuCompared, pid).toBeGreaterThanOrEqual(lastNonce);
    }
    console.log(`crash test: ${pids.length} processes verify, the CU agreeing`);
  }, 600_000);

  it('SIGTERM lets in-flight jobs finish and leaves nothing active or stalled', async () => {
    const info = (await http().get('/info').expect(200)).body;
    // One worker for this part, so "nothing active" is about the one that was asked to stop.
    if (alive(second)) {
      const done = new Promise((r) => second!.once('exit', r));
      second!.kill('SIGTERM');
      await done;
    }
    if (!alive(worker)) startWorker();
    const { Queue } = await import('bullmq');
    const queues = ['cu-evaluate', 'mu-push'].map((name) => new Queue(name, { connection: { host: '127.0.0.1', port: 6379 }, prefix: t.env.REDIS_PREFIX }));
    // Jobs a SIGKILLed worker held in the test before stay active until their lock expires and the
    // stall checker hands them back (lockDuration 10 s + stalledInterval 5 s): wait them out, so
    // that "nothing active" below is about the worker asked to stop here.
    const leftovers = Date.now() + 60_000;
    while ((await Promise.all(queues.map((q) => q.getActiveCount()))).some((n) => n > 0) && Date.now() < leftovers) await new Promise((r) => setTimeout(r, 250));
    const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], PINGER, info.modules['lua-5.4-aos']);
    await mu(p.raw).expect(202);
    const sent: string[] = [];
    for (let i = 0; i < 300; i += 1) {
      const m = await messageItem(owner, p.id, [{ name: 'Action', value: 'Ping' }, { name: 'Peer', value: p.id }]);
      await mu(m.raw).expect(202);
      sent.push(m.id);
    }
    const dying = worker!;
    const exited = new Promise<number | null>((r) => dying.once('exit', (code) => r(code)));
    // Let it get busy first, then ask it to stop: exit code 0 means every held job was finished.
    while ((await count(prisma, `SELECT count(*) AS n FROM results WHERE process_id = '${p.id}'`)) < 50) await new Promise((r) => setTimeout(r, 20));
    dying.kill('SIGTERM');
    expect(await exited, workerLog.slice(-2_000)).toBe(0);
    expect(workerLog).toContain('stopped cleanly');
    for (const queue of queues) {
      // Nothing was left mid-flight for the stall checker to find.
      expect(await queue.getActiveCount(), queue.name).toBe(0);
      await queue.close();
    }
    // A new worker picks up whatever was still waiting; every message gets its result, once.
    startWorker();
    const deadline = Date.now() + 120_000;
    let done = 0;
    while (Date.now() < deadline) {
      done = await count(prisma, `SELECT count(*) AS n FROM results WHERE process_id = '${p.id}'`);
      const pushes = await count(prisma, `SELECT count(*) AS n FROM pushes WHERE from_process = '${p.id}' AND status = 'done'`);
      if (done === 1 + 2 * sent.length && pushes === sent.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(done).toBe(1 + 2 * sent.length);
  }, 300_000);
});

