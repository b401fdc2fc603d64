import { createHash, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connect, createDataItemSigner, serializeCron } from '@permaweb/aoconnect';
import { connect as schedulerUtils } from '@permaweb/ao-scheduler-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ArweaveGateway } from '@ao/infra';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { CronModule } from '../apps/cron/src/cron.module.js';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * aoconnect's SU readers locate an SU with ao-scheduler-utils' module-level `locate`, which captured
 * the global fetch when it was imported, asks the public testnet router first and then arweave.net's
 * GraphQL. Offline, the router answers that it does not know the process (as it does for any process
 * it does not route) and GraphQL is our gateway's; every other request goes out unchanged.
 */
const offline = vi.hoisted(() => {
  const realFetch = globalThis.fetch;
  const state = { graphql: '', restore: () => void (globalThis.fetch = realFetch) };
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith('https://su-router.ao-testnet.xyz')) return new Response('{"error":"unknown process"}', { status: 404 });
    if (url === 'https://arweave.net/graphql' && state.graphql) return realFetch(state.graphql, init);
    return realFetch(input, init);
  }) as typeof fetch;
  return state;
});

/** The process a user writes in aos: a counter, a read-only query, a cron handler, and assignments it accepts. */
const COUNTER = `
Count = Count or 0
Ticks = Ticks or 0
Handlers.add("Inc", "Inc", function(msg)
  Count = Count + 1
  msg.reply({ Data = tostring(Count) })
end)
Handlers.add("Count", "Count", function(msg)
  msg.reply({ Data = tostring(Count), Ticks = tostring(Ticks) })
end)
Handlers.add("Tick", function(msg) return msg.Cron and msg.Action == "Tick" end, function(msg)
  Ticks = Ticks + 1
end)
ao.addAssignable("incs", { Action = "Inc" })
`;

type Tag = { name: string; value: string };
type Tags = Tag[];
type Result = { Output?: unknown; Messages: { Target: string; Data: string; Tags: Tags }[]; Spawns: unknown[]; Error?: string };
type Page = { edges: { cursor: string; node: Result }[] };
/** aoconnect's legacy-mode API (its bundled typings only describe the mainnet one). */
interface LegacyAo {
  spawn(args: { module: string; scheduler: string; signer: unknown; tags?: Tags; data?: string }): Promise<string>;
  message(args: { process: string; signer: unknown; tags?: Tags; data?: string }): Promise<string>;
  result(args: { process: string; message: string }): Promise<Result>;
  results(args: { process: string; from?: string; to?: string; sort?: 'ASC' | 'DESC'; limit?: number }): Promise<Page>;
  dryrun(args: { process: string; tags?: Tags; data?: string }): Promise<Result>;
  assign(args: { process: string; message: string }): Promise<string>;
  monitor(args: { process: string; signer: unknown }): Promise<string>;
  unmonitor(args: { process: string; signer: unknown }): Promise<string>;
  /** With both flags: the message id and the Nonce aoconnect read from the SU's assignment. */
  message(args: { process: string; signer: unknown; tags?: Tags; returnAssignmentSlot: true; returnMessageId: true }): Promise<{ slot: string; id: string }>;
  getMessageById(args: { processId: string; messageId: string }): Promise<{ message: { id: string }; assignment: { id: string; tags: Tags } }>;
  getLastSlot(args: { processId: string }): Promise<string>;
}
const getJson = async (url: string, init?: RequestInit): Promise<any> => (await fetch(url, init)).json();
const tag = (tags: Tags | undefined, name: string) => tags?.find((t) => t.name === name)?.value;

/** Polls `probe` until it answers something other than undefined (the gateway indexes uploads a few seconds late). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** An Arweave wallet (RSA-4096 JWK), as aoconnect users hold; made off the event loop, which the in-process worker and cron share. */
const newWallet = async () => (await promisify(generateKeyPair)('rsa', { modulusLength: 4096, publicExponent: 65537 })).privateKey.export({ format: 'jwk' });

describe('@permaweb/aoconnect, unmodified, against our MU, CU, SU and gateway', () => {
  let t: TestEnv;
  let api: INestApplication;
  let worker: INestApplicationContext;
  let cron: INestApplicationContext;
  let base: string;
  let info: { units: { mu: string; cu: string; su: string }; gateway: string; scheduler: { address: string; location: { id: string; url: string } }; modules: Record<string, string> };
  let ao: LegacyAo;
  let gateway: ArweaveGateway;
  let signer: unknown;
  let wallet: string;
  let moduleId: string;

  const spawn = async (extra: Tags = []) => {
    const pid = await ao.spawn({
      module: moduleId,
      scheduler: info.scheduler.address,
      signer,
      // What aos puts on a process: a name, the MU's wallet as an Authority (here the platform's one
      // signing wallet, which /info names as the scheduler), and boot code.
      tags: [{ name: 'Name', value: 'counter' }, { name: 'Authority', value: info.scheduler.address }, { name: 'On-Boot', value: 'Data' }, ...extra],
      data: COUNTER,
    });
    const boot = await ao.result({ process: pid, message: pid });
    expect(boot.Error).toBeUndefined();
    return pid;
  };
  const send = async (process: string, action: string, data?: string) => {
    const id = await ao.message({ process, signer, tags: [{ name: 'Action', value: action }], ...(data ? { data } : {}) });
    return { id, result: await ao.result({ process, message: id }) };
  };
  const count = async (process: string) => {
    const dry = await ao.dryrun({ process, tags: [{ name: 'Action', value: 'Count' }] });
    return { count: Number(dry.Messages[0].Data), ticks: Number(tag(dry.Messages[0].Tags, 'Ticks')) };
  };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await createTestEnv({ PUBLIC_URL: base, RESULT_TIMEOUT_MS: '20000', ADMIN_TOKEN: 'test-admin-token', CRON_MIN_INTERVAL_MS: '1000' });
    api = await createApiApp(t.env, { logger: false });
    await api.listen(port, '127.0.0.1');
    const quiet = { logger: process.env.TEST_LOGS ? (['log', 'warn', 'error'] as ('log' | 'warn' | 'error')[]) : (false as const) };
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.env), quiet);
    await worker.init();
    cron = await NestFactory.createApplicationContext(CronModule.forRoot(t.env), quiet);
    await cron.init();
    info = await getJson(`${base}/info`);
    offline.graphql = `${info.gateway}/graphql`;
    expect(info.units).toEqual({ mu: `${base}/mu`, cu: `${base}/cu`, su: `${base}/su` });
    moduleId = info.modules['lua-5.4-aos'];
    gateway = new ArweaveGateway(info.gateway);
    ao = connect({ MODE: 'legacy', MU_URL: info.units.mu, CU_URL: info.units.cu, GATEWAY_URL: info.gateway }) as unknown as LegacyAo;
    const jwk = await newWallet();
    signer = createDataItemSigner(jwk);
    wallet = createHash('sha256').update(Buffer.from(jwk.n!, 'base64url')).digest('base64url');
    // The worker uploads the module and the Scheduler-Location a few seconds after boot: aoconnect
    // looks both up through the gateway's GraphQL, so they must be indexed before it is used.
    await until('the module on the gateway', async () => ((await gateway.hasItem(moduleId)) ? true : undefined));
    await until('our Scheduler-Location on the gateway', async () => {
      const found = await schedulerUtils({ GRAPHQL_URL: `${info.gateway}/graphql` }).raw(info.scheduler.address);
      return found?.url === info.units.su ? found : undefined;
    });
  });

  afterAll(async () => {
    await Promise.all([api?.close(), worker?.close(), cron?.close()]);
    await t?.cleanup();
    offline.restore();
  });

  it('spawns a process from the module and scheduler it finds on the gateway, and the process can be located the way ao clients do', async () => {
    // aoconnect reads the module's tags from the gateway: an unknown id, or an ao item that is not
    // a Module (our Scheduler-Location), is refused before anything is sent to the MU.
    await expect(ao.spawn({ module: 'M'.repeat(43), scheduler: info.scheduler.address, signer, data: 'x' })).rejects.toThrow(/Invalid Return/);
    await expect(ao.spawn({ module: info.scheduler.location.id, scheduler: info.scheduler.address, signer, data: 'x' })).rejects.toThrow(/Tag 'Type'.*Module/);

    const pid = await spawn();
    expect(pid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Our SU is found from the scheduler address the way ao clients find it (scheduler-utils, which aoconnect uses).
    const su = schedulerUtils({ GRAPHQL_URL: `${info.gateway}/graphql` });
    expect(await su.validate(info.scheduler.address)).toBe(true);
    const located = await su.locate(pid, info.scheduler.address);
    expect(located).toEqual({ url: info.units.su, address: info.scheduler.address });
    // With redirects followed, scheduler-utils asks the SU `GET /su?process-id=`: no redirect, same URL.
    const followed = await schedulerUtils({ GRAPHQL_URL: `${info.gateway}/graphql`, followRedirects: true }).locate(pid, info.scheduler.address);
    expect(followed.url).toBe(info.units.su);
    // The SU has the process, signed by the wallet aoconnect signed with, with the tags aoconnect adds.
    const proc = await getJson(`${located.url}/processes/${pid}`);
    expect(proc.owner.address).toBe(wallet);
    expect(tag(proc.tags, 'Type')).toBe('Process');
    expect(tag(proc.tags, 'Module')).toBe(moduleId);
    expect(tag(proc.tags, 'SDK')).toBe('aoconnect');
    // Once uploaded, the Process item is findable by the query aoconnect's locate runs for a process id.
    const node = await until('the process item on the gateway', async () => {
      const data = await gateway.graphql<{ transactions: { edges: { node: { tags: Tags } }[] } }>(
        `query ($ids: [ID!]!) { transactions(ids: $ids, tags: [{ name: "Data-Protocol", values: ["ao"] }]) { edges { node { tags { name value } } } } }`,
        { ids: [pid] },
      );
      return data.transactions.edges[0]?.node;
    });
    expect(tag(node.tags, 'Scheduler')).toBe(info.scheduler.address);
  });

  it('sends messages and reads their results: the handler\'s reply to the signer', async () => {
    const pid = await spawn();
    const first = await send(pid, 'Inc');
    expect(first.result.Error).toBeUndefined();
    expect(first.result.Messages).toHaveLength(1);
    expect(first.result.Messages[0]).toMatchObject({ Target: wallet, Data: '1' });
    const second = await send(pid, 'Inc', 'with data');
    expect(second.result.Messages[0].Data).toBe('2');
    // The message is in the SU log under the id aoconnect computed, after the process's slot 0.
    const entry = await getJson(`${info.units.su}/${second.id}?process-id=${pid}`);
    expect(entry.message.id).toBe(second.id);
    expect(tag(entry.assignment.tags, 'Nonce')).toBe('2');
  });

  it('dry-runs against the latest state without changing it', async () => {
    const pid = await spawn();
    await send(pid, 'Inc');
    await send(pid, 'Inc');
    expect((await count(pid)).count).toBe(2);
    const dryInc = await ao.dryrun({ process: pid, tags: [{ name: 'Action', value: 'Inc' }] });
    expect(dryInc.Messages[0].Data).toBe('3');
    expect((await count(pid)).count).toBe(2);
    expect((await send(pid, 'Inc')).result.Messages[0].Data).toBe('3');
    expect((await count(pid)).count).toBe(3);
  });

  it('pages results with cursors, ascending and descending', async () => {
    const pid = await spawn();
    for (let i = 1; i <= 4; i += 1) await send(pid, 'Inc');
    const page = await ao.results({ process: pid, sort: 'ASC', limit: 2 });
    expect(page.edges.map((e) => e.cursor)).toEqual(['0', '1']);
    expect(page.edges[1].node.Messages[0].Data).toBe('1');
    const next = await ao.results({ process: pid, from: page.edges[1].cursor, sort: 'ASC', limit: 10 });
    expect(next.edges.map((e) => e.node.Messages[0].Data)).toEqual(['2', '3', '4']);
    const latest = await ao.results({ process: pid, sort: 'DESC', limit: 1 });
    expect(latest.edges[0]).toMatchObject({ cursor: '4' });
    expect(latest.edges[0].node.Messages[0].Data).toBe('4');
    const bounded = await ao.results({ process: pid, from: '1', to: '3', sort: 'ASC' });
    expect(bounded.edges.map((e) => e.cursor)).toEqual(['2', '3']);
  });

  it('assigns a message sent to one process onto another, which evaluates it', async () => {
    const a = await spawn();
    const b = await spawn();
    const sent = await send(a, 'Inc');
    expect(sent.result.Messages[0].Data).toBe('1');
    const assignment = await ao.assign({ process: b, message: sent.id });
    expect(assignment).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const inB = await ao.result({ process: b, message: sent.id });
    expect(inB.Error).toBeUndefined();
    expect(inB.Messages[0]).toMatchObject({ Target: wallet, Data: '1' });
    expect((await count(b)).count).toBe(1);
    expect((await count(a)).count).toBe(1);
  });

  it("reads our SU's assignments with aoconnect's own SU reader: the slot, the assignment by id, the last slot", async () => {
    await readAssignments();
  });

  const readAssignments = async () => {
    const pid = await spawn();
    const first = await send(pid, 'Inc');
    // The process must be on the gateway for aoconnect to find its Scheduler tag.
    await until('the process on the gateway', async () => ((await gateway.hasItem(pid)) ? true : undefined));
    const sent = await ao.message({ process: pid, signer, tags: [{ name: 'Action', value: 'Inc' }], returnAssignmentSlot: true, returnMessageId: true });
    expect(sent).toEqual({ slot: '2', id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const previous = (await ao.getMessageById({ processId: pid, messageId: first.id })).assignment;
    const node = await ao.getMessageById({ processId: pid, messageId: sent.id });
    expect(node.message.id).toBe(sent.id);
    // The reference SU's tag list and order (servers/su Builder::gen_assignment), with its value formats.
    expect(node.assignment.tags.map((t) => t.name)).toEqual(['Process', 'Epoch', 'Nonce', 'Hash-Chain', 'Block-Height', 'Timestamp', 'Data-Protocol', 'Type', 'Variant', 'Message']);
    expect(Object.fromEntries(node.assignment.tags.map((t) => [t.name, t.value]))).toEqual({
      Process: pid,
      Epoch: '0',
      Nonce: '2',
      // SHA-256 of the decoded previous assignment id and previous link, as the reference chains them.
      'Hash-Chain': createHash('sha256').update(Buffer.from(previous.id, 'base64url')).update(Buffer.from(tag(previous.tags, 'Hash-Chain')!, 'base64url')).digest('base64url'),
      'Block-Height': expect.stringMatching(/^\d{12}$/),
      Timestamp: expect.stringMatching(/^\d{13}$/),
      'Data-Protocol': 'ao',
      Type: 'Assignment',
      Variant: 'ao.TN.1',
      Message: sent.id,
    });
    expect(Number(tag(node.assignment.tags, 'Timestamp'))).toBeGreaterThan(Number(tag(previous.tags, 'Timestamp')));
    expect(Number(tag(node.assignment.tags, 'Block-Height'))).toBeGreaterThanOrEqual(Number(tag(previous.tags, 'Block-Height')));
    expect(await ao.getLastSlot({ processId: pid })).toBe('2');
  };

  it('monitor starts cron ticks for the owner only; unmonitor stops them', async () => {
    const pid = await spawn(serializeCron({ interval: '1-second', tags: [{ name: 'Action', value: 'Tick' }] }));
    expect(await count(pid)).toEqual({ count: 0, ticks: 0 });
    const stranger = createDataItemSigner(await newWallet());
    await expect(ao.monitor({ process: pid, signer: stranger })).rejects.toThrow(/^403: .*owner/);

    expect(await ao.monitor({ process: pid, signer })).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const admin = { authorization: 'Bearer test-admin-token' };
    const registrations = await getJson(`${base}/api/admin/cron`, { headers: admin });
    expect(registrations).toEqual([expect.objectContaining({ processId: pid, interval: '1-second', status: 'active', tickTags: [{ name: 'Action', value: 'Tick' }] })]);
    await expect(ao.unmonitor({ process: pid, signer: stranger })).rejects.toThrow(/^403: .*owner/);
    const ticking = await until('two cron ticks evaluated', async () => {
      const c = await count(pid);
      return c.ticks >= 2 ? c : undefined;
    }, 30_000);
    expect(ticking.count).toBe(0);
    // A second ticking process is the clock "no more ticks" is judged against, not a sleep.
    const clock = await spawn(serializeCron({ interval: '1-second', tags: [{ name: 'Action', value: 'Tick' }] }));
    await ao.monitor({ process: clock, signer });
    const clockTicks = async (n: number) => {
      const seen = (await count(clock)).ticks;
      await until(`${n} more ticks of the clock`, async () => ((await count(clock)).ticks >= seen + n ? true : undefined), 30_000);
    };

    expect(await ao.unmonitor({ process: pid, signer })).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await getJson(`${base}/api/admin/cron`, { headers: admin })).map((r: { processId: string }) => r.processId)).toEqual([clock]);
    // Once a tick already on its way has landed (two clock ticks later), the log must not grow
    // while the clock ticks three more times.
    const nonce = async () => Number(tag((await getJson(`${info.units.su}/${pid}/latest`)).assignment.tags, 'Nonce'));
    await clockTicks(2);
    const before = await nonce();
    await clockTicks(3);
    expect(await nonce()).toBe(before);
    await ao.unmonitor({ process: clock, signer });
  });
});
