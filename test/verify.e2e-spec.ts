import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDataItem, verifyProcess, type ItemSigner, type SignedDataItem, type VerifyProgress } from '@ao/core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  ArweaveGateway,
  GatewayLogReader,
  HttpResultSource,
  createPrismaClient,
  isPortOpen,
  loadOrCreateWallet,
  startGatewayProcess,
  walletAddress,
  type EmbeddedGateway,
} from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { alterData, aosModuleItem, buildLog, forgingSigner, signAssignments, type SignedLog, type SlotSpec } from './support/signed-log.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { lastLine, runVerifyCli, waitMined } from './support/verify-helpers.js';

const COUNTER = `
Count = Count or 0
Handlers.add("Inc", "Inc", function(msg) Count = Count + 1; msg.reply({ Data = tostring(Count) }) end)
Handlers.add("Boom", "Boom", function(msg) Count = Count + 1000; error("boom") end)
Handlers.add("Ping", "Ping", function(msg) Send({ Target = msg.Peer, Action = "Pong", Data = "from " .. ao.id }) end)
Handlers.add("Pong", "Pong", function(msg) Pongs = (Pongs or 0) + 1; LastPongFrom = msg.From end)
`;
const INC = [{ name: 'Action', value: 'Inc' }];
const freePort = async () => {
  let port = 19900 + Math.floor(Math.random() * 500);
  while (await isPortOpen('127.0.0.1', port)) port += 1;
  return port;
};
const reader = (url = inject('arweaveUrl')) => new GatewayLogReader(new ArweaveGateway(url));

describe('verify: anyone can reproduce a process from the gateway alone', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let cuUrl: string;
  let owner: ItemSigner;
  const http = () => platform.http();

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000' });
    platform = await startTestPlatform(t.env, { listen: true });
    cuUrl = `${platform.url}/cu`;
    owner = newUser();
  });

  afterAll(async () => {
    await Promise.all([platform?.close()]);
    await t?.cleanup();
  });

  describe('a process built through the platform', () => {
    let a: string;
    let b: string;

    const send = async (pid: string, tags: { name: string; value: string }[]) => {
      const m = await messageItem(owner, pid, tags);
      await http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(m.raw)).expect(202);
      return (await http().get(`/cu/result/${m.id}`).query({ 'process-id': pid }).expect(200)).body;
    };
    const spawn = async (su: string, moduleId: string) => {
      const p = await processItem(owner, su, [{ name: 'On-Boot', value: 'Data' }], COUNTER, moduleId);
      await http().post('/mu/').set('content-type', 'application/octet-stream').send(Buffer.from(p.raw)).expect(202);
      await http().get(`/cu/result/${p.id}`).query({ 'process-id': p.id }).expect(200);
      return p.id;
    };
    const uploaded = async (pid: string) => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const u = (await http().get(`/su/processes/${pid}`).expect(200)).body.uploads;
        if (u.pending === 0 && u.uploaded === 0 && u.failed === 0 && u.confirmed > 0) return;
        if (Date.now() > deadline) throw new Error(`uploads of ${pid} not confirmed: ${JSON.stringify(u)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    };

    beforeAll(async () => {
      const info = (await http().get('/info').expect(200)).body;
      const moduleId = info.modules['lua-5.4-aos'];
      [a, b] = [await spawn(info.scheduler.address, moduleId), await spawn(info.scheduler.address, moduleId)];
      await send(a, INC);
      await send(a, INC);
      expect((await send(a, [{ name: 'Action', value: 'Boom' }])).Error).toMatch(/boom/);
      await send(a, [{ name: 'Action', value: 'Ping' }, { name: 'Peer', value: b }]);
      await send(a, INC);
      // b receives a Pong pushed (and signed) by the MU on a's behalf.
      const deadline = Date.now() + 30_000;
      let latest = (await http().get(`/su/${b}/latest`).expect(200)).body;
      while (latest.message.id === b) {
        if (Date.now() > deadline) throw new Error('the Pong never reached b');
        await new Promise((r) => setTimeout(r, 200));
        latest = (await http().get(`/su/${b}/latest`).expect(200)).body;
      }
      await http().get(`/cu/result/${latest.message.id}`).query({ 'process-id': b }).expect(200);
      await Promise.all([uploaded(a), uploaded(b)]);
      await waitMined(new ArweaveGateway(inject('arweaveUrl')), [moduleId]);
    });

    it('verifies as a library, with the state hash and results the CU serves', async () => {
      const progress: VerifyProgress[] = [];
      const report = await verifyProcess(a, { reader: reader(), compareWith: new HttpResultSource(cuUrl), onProgress: (p) => progress.push(p) });
      expect(report).toMatchObject({ ok: true, messages: 6, lastNonce: 5, cuCompared: 6 });
      expect(report.stateHash).toBe((await http().get(`/cu/state/${a}`).expect(200)).body.stateHash);
      expect(progress.at(-1)).toEqual({ phase: 'messages', done: 6, total: 6 });
      // A pushed message verifies like any other: From is a, because the module owner pushed it.
      const pushed = await verifyProcess(b, { reader: reader(), compareWith: new HttpResultSource(cuUrl) });
      expect(pushed).toMatchObject({ ok: true, messages: 2, cuCompared: 2 });
      const dry = await http().post('/cu/dry-run').query({ 'process-id': b }).send({ Target: b, Owner: owner.address, Tags: [{ name: 'Action', value: 'Eval' }], Data: 'return LastPongFrom' }).expect(200);
      expect(dry.body.Output.data).toBe(a);
    });

    it('GET /cu/verify?compare=true agrees with this CU on every result and the state hash', async () => {
      const state = (await http().get(`/cu/state/${a}`).expect(200)).body.stateHash;
      const res = await http().get(`/cu/verify/${a}`).query({ compare: 'true' }).expect(200);
      expect(res.body).toMatchObject({ ok: true, processId: a, messages: 6, lastNonce: 5, stateHash: state, compared: 6 });
      expect(res.body.failure).toBeUndefined();
    });

    it('verifies with the CLI (exit 0, one summary line) and names the first nonce where a CU differs', async () => {
      const state = (await http().get(`/cu/state/${a}`).expect(200)).body.stateHash;
      const ok = await runVerifyCli([a, '--gateway', inject('arweaveUrl'), '--cu', cuUrl]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toBe(`verified ${a}: 6 messages, state ${state}\n`);
      expect(ok.stderr).toMatch(/messages: 6\/6 checked and evaluated/);
      const prisma = createPrismaClient(t.env.DATABASE_URL);
      try {
        await prisma.$executeRaw`UPDATE results SET result = jsonb_set(result, '{Output}', '"forged"') WHERE process_id = ${a} AND nonce = 2`;
      } finally {
        await prisma.$disconnect();
      }
      const differs = await runVerifyCli([a, `--gateway=${inject('arweaveUrl')}`, `--cu=${cuUrl}`]);
      expect(differs.code).toBe(1);
      expect(differs.stdout).toBe(`FAILED ${a} at nonce 2: the CU's result differs from the replay (Output)\n`);
      // Without the CU the log itself still verifies.
      expect((await runVerifyCli([a, '--gateway', inject('arweaveUrl')])).code).toBe(0);
    });
  });

  describe('logs tampered with on the gateway', () => {
    const logs: Record<string, SignedLog> = {};
    let lying: EmbeddedGateway;
    let lyingDir: string;
    let gateway: ArweaveGateway;
    let moduleItem: SignedDataItem;

    /**
     * Builds a 5-slot log (process + 4 Inc) and uploads it, after the tampering asked for: `signer`
     * signs the message of a nonce, `replace` swaps a message's bytes after assignment, `slot`
     * changes an assignment before it is signed, `drop` leaves one out. Answers the ids uploaded.
     */
    const upload = async (
      name: string,
      tamper: { signer?: Record<number, ItemSigner>; replace?: (log: SignedLog) => Promise<Map<number, Uint8Array>>; slot?: (s: SlotSpec) => SlotSpec; drop?: number } = {},
    ) => {
      const su = newUser();
      const messages = [1, 2, 3, 4].map((nonce) => ({ tags: INC, data: 'inc', signer: tamper.signer?.[nonce] }));
      const log = await buildLog({ owner, su, moduleId: moduleItem.id, bootCode: COUNTER, messages });
      const replaced = (await tamper.replace?.(log)) ?? new Map<number, Uint8Array>();
      await gateway.mint(su.address, '1');
      const assignments = (await signAssignments(su, log.process.id, log.slots, tamper.slot)).filter((_, position) => position !== tamper.drop);
      const raws = [...log.messages.map((m, nonce) => replaced.get(nonce) ?? m.raw), ...assignments.map((x) => x.raw)];
      await gateway.postBundle(raws);
      logs[name] = log;
      return raws.map((raw) => parseDataItem(raw).id);
    };

    beforeAll(async () => {
      // A gateway that serves what it is given: an honest one skips items that do not verify, so the
      // forged and altered messages would only be missing there. Here they are served as uploaded,
      // and the verifier has to catch them itself.
      lyingDir = await mkdtemp(join(tmpdir(), 'ao-lying-gw-'));
      lying = await startGatewayProcess({ port: await freePort(), dataDir: lyingDir, mineIntervalMs: 250, verifyItems: false });
      const key = await loadOrCreateWallet(join(inject('walletDir'), 'arweave-wallet.json'), 'arweave');
      gateway = new ArweaveGateway(lying.url, key.jwk as unknown as JWKInterface);
      await gateway.mint(walletAddress(key.jwk), String(10n ** 18n));
      await gateway.mint(owner.address, '1');
      moduleItem = await aosModuleItem(newUser());
      await gateway.postBundle([moduleItem.raw]);
      const ids = [moduleItem.id];
      ids.push(...(await upload('honest')));
      // (a) the message at nonce 2 carries the owner's key but another key's signature
      ids.push(...(await upload('forged', { signer: { 2: forgingSigner(owner, newUser()) } })));
      ids.push(...(await upload('missing', { drop: 3 })));
      ids.push(...(await upload('swapped', { slot: (s) => (s.nonce === 2 ? { ...s, nonce: 3 } : s.nonce === 3 ? { ...s, nonce: 2 } : s) })));
      ids.push(...(await upload('chain', { slot: (s) => (s.nonce === 3 ? { ...s, hashChain: s.hashChain!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) } : s) })));
      // (e) the message at nonce 4 as assigned, then altered on the gateway (signature, hence id, kept)
      ids.push(...(await upload('altered', { replace: async (log) => new Map([[4, alterData(log.messages[4], 'INC')]]) })));
      // ... or altered and signed again by its owner: a new id, and the assigned one is gone
      ids.push(...(await upload('resigned', { replace: async (log) => new Map([[4, (await messageItem(owner, log.process.id, INC, 'INC')).raw]]) })));
      await waitMined(gateway, ids);
    });

    afterAll(async () => {
      await lying?.stop();
      if (lyingDir) await rm(lyingDir, { recursive: true, force: true });
    });

    it('passes an honest log and reports each tampering at its nonce with its reason', async () => {
      const honest = await verifyProcess(logs.honest.process.id, { reader: reader(lying.url) });
      expect(honest).toMatchObject({ ok: true, messages: 5, lastNonce: 4 });
      const failure = async (name: string) => (await verifyProcess(logs[name].process.id, { reader: reader(lying.url) })).failure;
      expect(await failure('forged')).toMatchObject({ nonce: 2, code: 'BAD_MESSAGE_SIGNATURE', reason: expect.stringMatching(/signature does not verify/) });
      expect(await failure('missing')).toMatchObject({ nonce: 3, code: 'MISSING_NONCE', reason: 'no assignment for nonce 3: the log has a gap' });
      expect(await failure('swapped')).toMatchObject({ nonce: 2, code: 'OUT_OF_ORDER', reason: expect.stringMatching(/stamped after nonce 3.*out of order/) });
      expect(await failure('chain')).toMatchObject({ nonce: 3, code: 'BAD_HASH_CHAIN', reason: expect.stringMatching(/does not follow nonce 2/) });
      expect(await failure('altered')).toMatchObject({ nonce: 4, code: 'BAD_MESSAGE_SIGNATURE', reason: `message ${logs.altered.messages[4].id}: signature does not verify` });
      expect(await failure('resigned')).toMatchObject({ nonce: 4, code: 'MISSING_MESSAGE', reason: `message ${logs.resigned.messages[4].id} assigned at nonce 4 is not on the gateway` });
    });

    it('the CLI says the same: exit 0 with the summary for the honest log, exit 1 with FAILED for a tampered one', async () => {
      const honest = await runVerifyCli([logs.honest.process.id, '--gateway', lying.url]);
      expect(honest.code).toBe(0);
      expect(lastLine(honest.stdout)).toMatch(new RegExp(`^verified ${logs.honest.process.id}: 5 messages, state [0-9a-f]{64}$`));
      const chain = await runVerifyCli([logs.chain.process.id, '--gateway', lying.url]);
      expect(chain.code).toBe(1);
      expect(chain.stdout).toMatch(new RegExp(`^FAILED ${logs.chain.process.id} at nonce 3: Hash-Chain \\S+ at nonce 3 does not follow nonce 2 \\(expected \\S+\\)\\n$`));
    });
  });

  describe('bad input: one error line, exit 2, no stack trace', () => {
    let garbage: Server;
    let garbageUrl: string;

    beforeAll(async () => {
      garbage = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not a gateway</html>'));
      await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
      garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => garbage.close(() => r())));

    it.each([
      ['an unknown process id', () => ['U'.repeat(43), '--gateway', inject('arweaveUrl')], /^error: process U{43} is not on the gateway$/],
      ['an unreachable gateway', () => ['U'.repeat(43), '--gateway', 'http://127.0.0.1:9'], /^error: gateway http:\/\/127\.0\.0\.1:9 unreachable/],
      ['a gateway answering garbage', () => ['U'.repeat(43), '--gateway', garbageUrl], /^error: gateway http:\/\/127\.0\.0\.1:\d+ answered GraphQL \(items by id\) with something unreadable/],
      ['a malformed process id', () => ['not-an-id', '--gateway', inject('arweaveUrl')], /^error: not-an-id is not a process id/],
    ])('%s', async (_name, args, message) => {
      const run = await runVerifyCli(args());
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(message);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    });
  });
});
