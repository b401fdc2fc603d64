import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ItemSigner } from '@ao/core';
import { messageItem, newUser, processItem } from './support/items.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { runVerifyCli } from './support/verify-helpers.js';

/**
 * Bytes the stores cannot hold as text still travel exactly: a signed item with a NUL in a tag
 * (ANS-104 tags are byte strings) is accepted, scheduled and evaluated with the byte in place;
 * a process's outbox message with a NUL in a tag is pushed and evaluated by its target; a binary
 * Data reaches Lua as its bytes; and `verify --cu` reproduces both logs from the gateway.
 */
const SEER = `
local function stat(d)
  local h = 0
  for i = 1, #d do h = (h * 31 + string.byte(d, i)) % 4294967296 end
  return tostring(#d), tostring(h)
end
Handlers.add("Look", "Look", function(msg)
  local note = msg.Tags["No\\0te"] or ""
  local len, h = stat(msg.Data)
  msg.reply({ Action = "Seen", NoteLen = tostring(#note), NulAt = tostring(note:find("\\0", 1, true)), DataLen = len, DataHash = h })
end)
Handlers.add("Relay", "Relay", function(msg)
  Send({ Target = msg.To, Action = "Look", ["No\\0te"] = "re\\0layed" })
end)
`;

function statOf(bytes: Uint8Array): { len: string; hash: string } {
  let h = 0;
  for (const b of bytes) h = (h * 31 + b) % 4294967296;
  return { len: String(bytes.length), hash: String(h) };
}

describe('NUL in tags and binary Data travel exactly, end to end', () => {
  let t: TestEnv;
  let platform: TestPlatform;
  let owner: ItemSigner;
  let info: { scheduler: { address: string }; modules: Record<string, string> };
  const http = () => platform.http();

  const spawn = async () => {
    const p = await processItem(owner, info.scheduler.address, [{ name: 'On-Boot', value: 'Data' }], SEER, info.modules['lua-5.4-aos']);
    await platform.mu(p.raw).expect(202);
    await http().get(`/cu/result/${p.id}`).query({ 'process-id': p.id }).expect(200);
    return p.id;
  };
  const tagOf = (r: { Messages: { Tags: { name: string; value: string }[] }[] }, name: string) => r.Messages[0]?.Tags.find((x) => x.name === name)?.value;

  beforeAll(async () => {
    t = await createTestEnv({ RESULT_TIMEOUT_MS: '30000', CU_STATE_HASH_INTERVAL_MS: '0' });
    platform = await startTestPlatform(t.env, { listen: true });
    owner = newUser();
    info = (await http().get('/info').expect(200)).body;
  });

  afterAll(async () => {
    await platform?.close();
    await t?.cleanup();
  });

  let first: string;
  let second: string;

  it('an item with a NUL in a tag name and value is accepted, scheduled and evaluated with the byte in place', async () => {
    first = await spawn();
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 8)) & 0xff;
    const m = await messageItem(owner, first, [{ name: 'Action', value: 'Look' }, { name: 'No\u0000te', value: 'a\u0000b' }], data);
    await platform.mu(m.raw).expect(202);
    const r = (await http().get(`/cu/result/${m.id}`).query({ 'process-id': first }).expect(200)).body;
    expect(r.Error).toBeUndefined();
    expect([tagOf(r, 'NoteLen'), tagOf(r, 'NulAt'), tagOf(r, 'DataLen'), tagOf(r, 'DataHash')]).toEqual(['3', '2', statOf(data).len, statOf(data).hash]);
    // the SU serves the tags as signed (JSON carries U+0000 as \u0000)
    const log = (await http().get(`/su/${first}`).expect(200)).body;
    expect(log.edges[1].node.message.tags).toContainEqual({ name: 'No\u0000te', value: 'a\u0000b' });
  });

  it("a process's outbox message with a NUL in a tag is pushed and evaluated by its target", async () => {
    second = await spawn();
    const m = await messageItem(owner, first, [{ name: 'Action', value: 'Relay' }, { name: 'To', value: second }], '');
    await platform.mu(m.raw).expect(202);
    expect((await http().get(`/cu/result/${m.id}`).query({ 'process-id': first }).expect(200)).body.Error).toBeUndefined();
    const deadline = Date.now() + 60_000;
    let seen: { Messages: { Tags: { name: string; value: string }[] }[] } | undefined;
    while (!seen) {
      const page = (await http().get(`/cu/results/${second}`).query({ sort: 'DESC', limit: 5 }).expect(200)).body;
      seen = page.edges.map((e: { node: { Messages: { Tags: { name: string; value: string }[] }[] } }) => e.node).find((n: { Messages: { Tags: { name: string; value: string }[] }[] }) => tagOf(n, 'Action') === 'Seen');
      if (!seen && Date.now() > deadline) throw new Error(`the relayed message never reached ${second}`);
      if (!seen) await new Promise((r) => setTimeout(r, 250));
    }
    expect([tagOf(seen, 'NoteLen'), tagOf(seen, 'NulAt')]).toEqual(['8', '3']);
    const log = (await http().get(`/su/${second}`).expect(200)).body;
    expect(log.edges.at(-1).node.message.tags).toContainEqual({ name: 'No\u0000te', value: 're\u0000layed' });
  });

  it('verify reproduces both logs from the gateway', async () => {
    for (const pid of [first, second]) {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const u = (await http().get(`/su/processes/${pid}`).expect(200)).body.uploads;
        if (u.pending === 0 && u.uploaded === 0 && u.failed === 0 && u.confirmed > 0) break;
        if (Date.now() > deadline) throw new Error(`uploads of ${pid} not confirmed: ${JSON.stringify(u)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const state = (await http().get(`/cu/state/${pid}`).expect(200)).body.stateHash;
      const run = await runVerifyCli([pid, '--gateway', inject('arweaveUrl'), '--cu', `${platform.url}/cu`], 300_000);
      expect(run.stderr + run.stdout).toContain(`verified ${pid}`);
      expect(run.stdout).toMatch(new RegExp(`state ${state}\\n$`));
      expect(run.code).toBe(0);
    }
  }, 320_000);
});
