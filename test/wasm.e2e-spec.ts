import { join } from 'node:path';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDataItem, tokenModuleWasm, wasmModuleTags, type ItemSigner, type Tag } from '@ao/core';
import { ArweaveGateway, loadOrCreateWallet } from '@ao/infra';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { waitMined } from './support/verify-helpers.js';

/** A Lua process that counts the Credit-Notices it receives, and from whom. */
const WALLET = `
Credits = Credits or 0
Handlers.add("credit", "Credit-Notice", function(msg)
  Credits = Credits + tonumber(msg.Quantity)
  LastFrom = msg.From
end)
`;

describe('WASM processes through the pipeline: gateway module → MU → SU → CU → MU', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let su: string;
  let luaModule: string;
  let tokenModule: string;
  let brokenModule: string;
  let owner: ItemSigner;
  const http = () => platform.http();
  const mu = (raw: Uint8Array) => platform.mu(raw);
  const result = (processId: string, messageId: string) => platform.result(processId, messageId);
  const send = async (processId: string, tags: Tag[], data = '') => {
    const m = await messageItem(owner, processId, tags, data);
    expect((await mu(m.raw).expect(202)).body).toEqual({ id: m.id, message: m.id });
    return result(processId, m.id);
  };
  const spawn = async (module: string, extra: Tag[] = [], data = 'process') => {
    const p = await processItem(owner, su, extra, data, module);
    await mu(p.raw).expect(202);
    return p.id;
  };
  const luaEval = async (pid: string, code: string): Promise<string> =>
    (await http().post('/cu/dry-run').query({ 'process-id': pid }).send({ Target: pid, Owner: owner.address, Tags: [{ name: 'Action', value: 'Eval' }], Data: code }).expect(200)).body
      .Output.data;

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '20000' });
    platform = await startTestPlatform(t.env);
    const info = (await http().get('/info').expect(200)).body;
    su = info.scheduler.address;
    luaModule = info.modules['lua-5.4-aos'];
    owner = newUser();
    // The modules are published the way a user would: signed Type: Module items posted to the gateway.
    const key = await loadOrCreateWallet(join(inject('walletDir'), 'arweave-wallet.json'), 'arweave');
    const gateway = new ArweaveGateway(inject('arweaveUrl'), key.jwk as unknown as JWKInterface);
    await gateway.mint(owner.address, '1');
    const token = await createDataItem({ data: await tokenModuleWasm(), tags: wasmModuleTags([{ name: 'Name', value: 'token' }]) }, owner);
    const broken = await createDataItem({ data: 'print("I am not WebAssembly")', tags: wasmModuleTags([{ name: 'Name', value: 'broken' }]) }, owner);
    await gateway.postBundle([token.raw, broken.raw]);
    await waitMined(gateway, [token.id, broken.id]);
    tokenModule = token.id;
    brokenModule = broken.id;
  });

  afterAll(async () => {
    await Promise.all([platform?.close()]);
    await t?.cleanup();
  });

  it('runs a token process: results, outbox messages pushed to a Lua process, errors rolled back, dry-runs', async () => {
    const wallet = await spawn(luaModule, [{ name: 'On-Boot', value: 'Data' }], WALLET);
    expect((await result(wallet, wallet)).Error).toBeUndefined();
    const token = await spawn(tokenModule);
    const boot = await result(token, token);
    expect(boot).toMatchObject({ Output: 'no action', Messages: [] });
    expect(boot.GasUsed).toBeGreaterThan(0);

    expect((await send(token, [{ name: 'Action', value: 'Mint' }, { name: 'Quantity', value: '100' }])).Output).toBe('minted');
    const transfer = await send(token, [
      { name: 'Action', value: 'Transfer' },
      { name: 'Quantity', value: '30' },
      { name: 'Recipient', value: wallet },
    ]);
    expect(transfer.Error).toBeUndefined();
    expect(transfer.Messages).toEqual([
      {
        Target: wallet,
        Data: '',
        Tags: [
          { name: 'Data-Protocol', value: 'ao' },
          { name: 'Variant', value: 'ao.TN.1' },
          { name: 'Type', value: 'Message' },
          { name: 'Action', value: 'Credit-Notice' },
          { name: 'Sender', value: owner.address },
          { name: 'Quantity', value: '30' },
        ],
      },
    ]);
    const trap = await send(token, [{ name: 'Action', value: 'Trap' }, { name: 'Quantity', value: '1000' }]);
    expect(trap.Error).toMatch(/^the module trapped: unreachable/);
    const short = await send(token, [{ name: 'Action', value: 'Transfer' }, { name: 'Quantity', value: '71' }, { name: 'Recipient', value: wallet }]);
    expect(short.Error).toBe('insufficient balance');
    expect((await send(token, [{ name: 'Action', value: 'Balance' }])).Output).toBe('70');

    const page = (await http().get(`/cu/results/${token}`).query({ limit: 10 }).expect(200)).body;
    expect(page.pageInfo.hasNextPage).toBe(false);
    expect(page.edges.map((e: { cursor: string }) => e.cursor)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(page.edges[2].node.Messages[0].Target).toBe(wallet);
    expect(page.edges.every((e: { node: { GasUsed: number } }) => e.node.GasUsed > 0)).toBe(true);

    const state = (await http().get(`/cu/state/${token}`).expect(200)).body;
    const dry = (await http()
      .post('/cu/dry-run')
      .query({ 'process-id': token })
      .send({ Target: token, Owner: owner.address, Tags: [{ name: 'Action', value: 'Mint' }, { name: 'Quantity', value: '5' }] })
      .expect(200)).body;
    expect(dry.Output).toBe('minted');
    expect((await http().get(`/cu/state/${token}`).expect(200)).body).toEqual(state);

    // The MU pushed the Credit-Notice to the Lua process, with the token as a trusted From.
    const deadline = Date.now() + 20_000;
    let seen = '';
    while (Date.now() < deadline) {
      seen = await luaEval(wallet, 'return tostring(Credits) .. " " .. tostring(LastFrom)');
      if (seen.startsWith('30')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen).toBe(`30 ${token}`);
  });

  it('answers a clear error for a process whose module is not WebAssembly, and keeps serving others', async () => {
    const bad = await spawn(brokenModule);
    const res = await http().post('/cu/dry-run').query({ 'process-id': bad }).send({ Target: bad, Owner: owner.address, Tags: [] });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'MODULE_LOAD_FAILED' });
    expect(res.body.error).toMatch(/not a valid WebAssembly module/);
    const token = await spawn(tokenModule);
    expect((await send(token, [{ name: 'Action', value: 'Count' }])).Output).toBe('2');
  });

  it('records a module that cannot load on the process, so GET /cu/result answers the reason at once instead of 202 after the timeout', async () => {
    const bad = await spawn(brokenModule);
    const m = await messageItem(owner, bad, [{ name: 'Action', value: 'Count' }]);
    await mu(m.raw).expect(202);
    for (const id of [bad, m.id]) {
      // A wait that ran out would answer 202 (pending); 422 can only come from the failure recorded on the process.
      const res = await http().get(`/cu/result/${id}`).query({ 'process-id': bad });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'MODULE_LOAD_FAILED', details: { processId: bad, messageId: id } });
      expect(res.body.error).toMatch(/stopped before this message: cannot load module .*not a valid WebAssembly module/);
    }
  });
});
