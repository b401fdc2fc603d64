import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { runVerifyCli } from './support/verify-helpers.js';

/**
 * Hostile processes (docs/limits.md): each attack runs in one process while a bystander process
 * keeps answering; each hostile message ends in a result (an Error where a limit bit), the hostile
 * process goes on with its next message, and `npm run verify --cu` reproduces every result from the
 * gateway alone (the second, independent evaluation of each message).
 */
const HOSTILE = `
Handlers.add("Pattern", "Pattern", function(msg) print(("a"):rep(5000):find(".-.-.-.-.-.-.-b")) end)
Handlers.add("HashBomb", "HashBomb", function(msg) local L = {} for i = 1, 40 do L = {[{L}] = true, [{L, 1}] = true} end Bomb = L print("armed") end)
Handlers.add("MemBomb", "MemBomb", function(msg) local t = {} for i = 1, 1e9 do t[i] = ("m"):rep(1000) .. i end end)
Handlers.add("Bytes", "Bytes", function(msg) local b = {} for i = 0, 255 do b[#b + 1] = string.char(i) end print(table.concat(b)) end)
Handlers.add("Nul", "Nul", function(msg) print("a\\0b") end)
Handlers.add("NulError", "NulError", function(msg) error("a\\0b", 0) end)
Handlers.add("Deep", "Deep", function(msg) local t = {} local c = t for i = 1, 100000 do c.n = {} c = c.n end Deep = t print("deep") end)
Handlers.add("Inc", "Inc", function(msg) N = (N or 0) + 1 print("n=" .. N) end)
`;
const BYSTANDER = `Handlers.add("Inc", "Inc", function(msg) N = (N or 0) + 1 print("n=" .. N) end)`;
const LIMITS = [
  { name: 'Compute-Limit', value: '20000000' },
  { name: 'Memory-Limit', value: '67108864' },
];

describe('hostile processes cannot stop a process, a thread or verification', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let owner: ItemSigner;
  let info: { scheduler: { address: string }; modules: Record<string, string> };
  let hostile: string;
  let bystander: string;
  let bystanderCount = 0;
  const http = () => platform.http();

  const spawn = async (code: string, tags = LIMITS, moduleId = info.modules['lua-5.4-aos']) => {
    const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }, ...tags], code, moduleId);
    await platform.mu(p.raw).expect(202);
    return p.id;
  };
  const send = async (pid: string, tags: { name: string; value: string }[], data = '') => {
    const m = await messageItem(owner, pid, tags, data);
    await platform.mu(m.raw).expect(202);
    return (await http().get(`/cu/result/${m.id}`).query({ 'process-id': pid }).expect(200)).body;
  };
  const action = (pid: string, name: string) => send(pid, [{ name: 'Action', value: name }]);
  /** The bystander answers (bounded by RESULT_TIMEOUT_MS: a 202 fails the test), with the next count. */
  const bystanderAnswers = async () => {
    bystanderCount += 1;
    expect((await action(bystander, 'Inc')).Output.data).toBe(`n=${bystanderCount}`);
  };

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '30000', CU_STATE_HASH_INTERVAL_MS: '0', CU_MODULE_WAIT_MS: '2000' });
    platform = await startTestPlatform(t.env, { listen: true });
    owner = newUser();
    info = (await http().get('/info').expect(200)).body;
    hostile = await spawn(HOSTILE);
    bystander = await spawn(BYSTANDER);
    await http().get(`/cu/result/${hostile}`).query({ 'process-id': hostile }).expect(200);
    await http().get(`/cu/result/${bystander}`).query({ 'process-id': bystander }).expect(200);
  });

  afterAll(async () => {
    await platform?.close();
    await t?.cleanup();
  });

  it('a backtracking pattern ends out of gas; the process goes on', async () => {
    expect((await action(hostile, 'Pattern')).Error).toMatch(/out of gas/);
    await bystanderAnswers();
    expect((await action(hostile, 'Inc')).Output.data).toBe('n=1');
  });

  it('a state-hash bomb commits (its state hashes linearly) and the process goes on', async () => {
    const r = await action(hostile, 'HashBomb');
    expect(r.Error).toBeUndefined();
    await bystanderAnswers();
    expect((await action(hostile, 'Inc')).Output.data).toBe('n=2');
    expect((await http().get(`/cu/state/${hostile}`).expect(200)).body.stateHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a memory bomb ends in an error, the state rolled back', async () => {
    expect((await action(hostile, 'MemBomb')).Error).toMatch(/not enough memory|out of gas/);
    await bystanderAnswers();
    expect((await action(hostile, 'Inc')).Output.data).toBe('n=3');
  });

  it('output with every byte value, NUL in Output, Error and Data is stored and served', async () => {
    const bytes = await action(hostile, 'Bytes');
    // bytes 0..127 are text as they are; a lone byte >= 128 is not UTF-8 and reads as U+FFFD (docs/limits.md)
    const expected = Array.from({ length: 256 }, (_, i) => (i < 128 ? String.fromCharCode(i) : '\uFFFD')).join('');
    expect(bytes.Output.data).toBe(expected);
    expect((await action(hostile, 'Nul')).Output.data).toBe('a\u0000b');
    expect((await action(hostile, 'NulError')).Error).toContain('a\u0000b');
    // no Action: the default handler takes it (into the Inbox)
    expect((await send(hostile, [], 'hi\u0000there')).Error).toBeUndefined();
    await bystanderAnswers();
    expect((await action(hostile, 'Inc')).Output.data).toBe('n=4');
    const page = (await http().get(`/cu/results/${hostile}`).query({ sort: 'DESC', limit: 10 }).expect(200)).body;
    expect(page.edges.map((e: { node: { Output: { data?: string } } }) => e.node.Output.data)).toContain('a\u0000b');
  });

  it('a deep structure in the state: the message commits, the state hash is a fixed outcome', async () => {
    expect((await action(hostile, 'Deep')).Error).toBeUndefined();
    await bystanderAnswers();
    expect((await action(hostile, 'Inc')).Output.data).toBe('n=5');
  });

  it('a process whose module exists nowhere is recorded as such after CU_MODULE_WAIT_MS (422 with the reason)', async () => {
    const orphan = await spawn('', [], randomBytes(32).toString('base64url'));
    let res = await http().get(`/cu/result/${orphan}`).query({ 'process-id': orphan });
    for (let i = 0; i < 20 && res.status === 202; i++) res = await http().get(`/cu/result/${orphan}`).query({ 'process-id': orphan });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'MODULE_LOAD_FAILED', error: expect.stringMatching(/not on this SU nor on the gateway, \d+ s after the process was created/) });
    await bystanderAnswers();
  });

  it('verify reproduces every result of the hostile process from the gateway, and its state hash', async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const u = (await http().get(`/su/processes/${hostile}`).expect(200)).body.uploads;
      if (u.pending === 0 && u.uploaded === 0 && u.failed === 0 && u.confirmed > 0) break;
      if (Date.now() > deadline) throw new Error(`uploads of ${hostile} not confirmed: ${JSON.stringify(u)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const state = (await http().get(`/cu/state/${hostile}`).expect(200)).body.stateHash;
    const run = await runVerifyCli([hostile, '--gateway', inject('arweaveUrl'), '--cu', `${platform.url}/cu`], 300_000);
    expect(run.stdout).toBe(`verified ${hostile}: 14 messages, state ${state}\n`);
    expect(run.code).toBe(0);
  }, 320_000);
});
