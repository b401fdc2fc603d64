import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyProcess, type ItemSigner, type SignedDataItem } from '@ao/core';
import { ArweaveGateway, GatewayLogReader, loadOrCreateWallet } from '@ao/infra';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { newUser } from './support/items.js';
import { aosModuleItem, buildLog, signAssignments, type SignedLog, type SlotSpec } from './support/signed-log.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { lastLine, runVerifyCli, waitMined } from './support/verify-helpers.js';
import { until } from './support/until.js';
import { VerifyService } from '../apps/api/src/cu/verify.service.js';

const COUNTER = `
Count = Count or 0
Handlers.add("Inc", "Inc", function(msg) Count = Count + 1; msg.reply({ Data = tostring(Count) }) end)
`;
const INC = [{ name: 'Action', value: 'Inc' }];
const MAX_MESSAGES = 6;
// Lua's pattern matcher backtracking in C: a replay of this message never yields to the VM.
const RUNAWAY = `
Handlers.add("Hang", "Hang", function(msg) print(string.find(string.rep("a", 40), string.rep("a*", 40) .. "b")) end)
`;
const WALL_MS = 4_000;

describe('GET /cu/verify/{processId}: the verifier over HTTP', () => {
  let t: TestEnv;
  let api: INestApplication;
  let gateway: ArweaveGateway;
  let owner: ItemSigner;
  let moduleItem: SignedDataItem;
  const logs: Record<string, SignedLog> = {};
  const http = () => request(api.getHttpServer());

  /** Signs a log of `count` Inc messages (tampered with by `slot`) and posts it to the gateway as one bundle. */
  const upload = async (name: string, count: number, slot?: (s: SlotSpec) => SlotSpec, bootCode = COUNTER, tags = INC) => {
    const su = newUser();
    const log = await buildLog({ owner, su, moduleId: moduleItem.id, bootCode, messages: Array.from({ length: count }, () => ({ tags, data: 'inc' })) });
    await gateway.mint(su.address, '1');
    const assignments = await signAssignments(su, log.process.id, log.slots, slot);
    await gateway.postBundle([...log.messages.map((m) => m.raw), ...assignments.map((a) => a.raw)]);
    logs[name] = log;
    return [...log.messages, ...assignments].map((i) => i.id);
  };

  beforeAll(async () => {
    t = await createTestEnv({ VERIFY_MAX_MESSAGES: String(MAX_MESSAGES), CU_WALL_TIMEOUT_MS: String(WALL_MS), VERIFY_MAX_CONCURRENT: '2', VERIFY_MAX_PER_CLIENT: '1' });
    api = await createApiApp(t.env, { logger: false });
    await api.init();
    owner = newUser();
    const key = await loadOrCreateWallet(join(inject('walletDir'), 'arweave-wallet.json'), 'arweave');
    gateway = new ArweaveGateway(inject('arweaveUrl'), key.jwk as unknown as JWKInterface);
    // arlocal indexes a bundle's items at once only when their owners have a wallet there.
    await gateway.mint(owner.address, '1');
    moduleItem = await aosModuleItem(newUser());
    await gateway.postBundle([moduleItem.raw]);
    const ids = [moduleItem.id];
    ids.push(...(await upload('honest', 4)));
    ids.push(...(await upload('chain', 4, (s) => (s.nonce === 3 ? { ...s, hashChain: s.hashChain!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) } : s))));
    ids.push(...(await upload('long', MAX_MESSAGES)));
    ids.push(...(await upload('runaway', 1, undefined, RUNAWAY, [{ name: 'Action', value: 'Hang' }])));
    await waitMined(gateway, ids);
  });

  afterAll(async () => {
    await api?.close();
    await t?.cleanup();
  });

  it('answers ok:true for a good log, with the state hash the library and the CLI find', async () => {
    const pid = logs.honest.process.id;
    const res = await http().get(`/cu/verify/${pid}`).expect(200);
    const library = await verifyProcess(pid, { reader: new GatewayLogReader(new ArweaveGateway(inject('arweaveUrl'))) });
    expect(res.body).toEqual({ ok: true, processId: pid, messages: 5, lastNonce: 4, stateHash: library.stateHash, resultsHash: library.resultsHash });
    expect(res.body.stateHash).toMatch(/^[0-9a-f]{64}$/);
    const cli = await runVerifyCli([pid, '--gateway', inject('arweaveUrl')]);
    expect(lastLine(cli.stdout)).toBe(`verified ${pid}: 5 messages, state ${res.body.stateHash}`);
  });

  it('answers ok:false for a tampered log, at the nonce where it breaks and why', async () => {
    const pid = logs.chain.process.id;
    const res = await http().get(`/cu/verify/${pid}`).expect(200);
    expect(res.body).toMatchObject({ ok: false, processId: pid, lastNonce: 4, stateHash: null, resultsHash: null });
    expect(res.body.failure).toEqual({ nonce: 3, code: 'BAD_HASH_CHAIN', reason: expect.stringMatching(/^Hash-Chain \S+ at nonce 3 does not follow nonce 2/) });
  });

  it('with compare=true, reports the first nonce this CU cannot vouch for (it never ran a gateway-only process)', async () => {
    const pid = logs.honest.process.id;
    const res = await http().get(`/cu/verify/${pid}`).query({ compare: 'true' }).expect(200);
    expect(res.body).toMatchObject({ ok: false, messages: 1, failure: { nonce: 0, code: 'CU_MISMATCH', reason: 'the CU has no result for nonce 0' } });
  });

  it('bounds the work: a log longer than VERIFY_MAX_MESSAGES answers 413', async () => {
    const pid = logs.long.process.id;
    const res = await http().get(`/cu/verify/${pid}`).expect(413);
    expect(res.body).toEqual({
      error: `the log of ${pid} has more than ${MAX_MESSAGES} entries, the most verified here; verify it with npm run verify`,
      code: 'VERIFY_LOG_TOO_LONG',
      details: { processId: pid, maxMessages: MAX_MESSAGES },
    });
  });

  it('answers 404 for a process the gateway does not have, 400 for what is not an id or a bad flag', async () => {
    const unknown = 'U'.repeat(43);
    const res = await http().get(`/cu/verify/${unknown}`).expect(404);
    expect(res.body).toEqual({ error: `process ${unknown} is not on the gateway`, code: 'NOT_FOUND', details: { processId: unknown } });
    expect((await http().get('/cu/verify/not-an-id').expect(400)).body).toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await http().get(`/cu/verify/${unknown}`).query({ compare: 'yes' }).expect(400)).body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('replays off the API thread: /health and the ao routes answer while a runaway verification runs, which the backstop stops', async () => {
    const verifier = api.get(VerifyService);
    const pid = logs.runaway.process.id;
    let answered = false;
    const stuck = http()
      .get(`/cu/verify/${pid}`)
      .then((res) => {
        answered = true;
        return res;
      });
    await until('the verification running', async () => verifier.running === 1, 30_000, 20);
    // The replay is now in the runaway message (or about to be): the API keeps answering meanwhile.
    for (let i = 0; i < 5; i += 1) {
      // No worker runs in this file, so health reports it down (503): what matters is that it answers.
      const health = await http().get('/health');
      expect(health.body).toMatchObject({ status: expect.stringMatching(/^(ok|error)$/), checks: expect.any(Object) });
      await http().get('/su/').expect(200);
    }
    expect(answered).toBe(false);
    const res = await stuck;
    // Either the backstop stopped it, or metering ended the message in its deterministic Error result.
    if (res.status === 503) expect(res.body).toMatchObject({ code: 'EVALUATION_TIMEOUT', details: { processId: pid, call: 'verify' } });
    else expect(res.body).toMatchObject({ ok: true, processId: pid, messages: 2 });
    expect(verifier.running).toBe(0);
    // Nothing was left behind: the same verification of an honest log still answers.
    await http().get(`/cu/verify/${logs.honest.process.id}`).expect(200);
  });

  it('bounds verifications per client (429) and overall (503), each with Retry-After', async () => {
    const verifier = api.get(VerifyService);
    const pid = logs.runaway.process.id;
    const first = http().get(`/cu/verify/${pid}`);
    const firstDone = first.then((res) => res);
    await until('the first verification running', async () => verifier.running === 1, 30_000, 20);
    const again = await http().get(`/cu/verify/${logs.honest.process.id}`).expect(429);
    expect(again.headers['retry-after']).toBe('1');
    expect(again.body).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 1 } });
    // Another client takes the second place; a third finds none.
    const second = verifier.verify(pid, false, undefined, 'another-client').catch((error: unknown) => error);
    await until('the second verification running', async () => verifier.running === 2, 30_000, 20);
    await expect(verifier.verify(pid, false, undefined, 'third-client')).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    expect([200, 503]).toContain((await firstDone).status);
    const other = await second;
    if (other instanceof Error) expect(other).toMatchObject({ code: 'EVALUATION_TIMEOUT' });
    else expect(other).toMatchObject({ ok: true, processId: pid });
  });
});
