import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootAos, evalOk, tagOf, TEST_MODULE, TEST_OWNER, TEST_PROCESS, type BootedProcess } from './testing.js';

const STANDARD_MESSAGE_TAGS = [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: 'Message' },
];

describe('outbox: Send, reply, Spawn, Assign', () => {
  let booted: BootedProcess;
  beforeAll(async () => {
    booted = await bootAos();
  });
  afterAll(() => booted.process.close());

  const run = (code: string) => booted.process.evaluate(booted.msgs.eval(code));

  it('Send queues {Target, Data, Anchor, Tags} with standard tags, an incrementing Reference and sorted custom tags', async () => {
    const r = await run(`
      Send({ Target = "peer", Action = "Ping", Data = "hello", Zeta = "z", Alpha = 1, Tags = { { name = "Extra", value = "x" } } })
      Send({ Target = "peer", Data = "again" })`);
    expect(r.Error).toBeUndefined();
    expect(r.Messages).toHaveLength(2);
    const [first, second] = r.Messages;
    const ref1 = Number(tagOf(first.Tags, 'Reference'));
    expect(first).toEqual({
      Target: 'peer',
      Data: 'hello',
      Anchor: String(ref1).padStart(32, '0'),
      Tags: [
        ...STANDARD_MESSAGE_TAGS,
        { name: 'Reference', value: String(ref1) },
        { name: 'Action', value: 'Ping' },
        { name: 'Alpha', value: '1' },
        { name: 'Zeta', value: 'z' },
        { name: 'Extra', value: 'x' },
      ],
    });
    expect(tagOf(second.Tags, 'Reference')).toBe(String(ref1 + 1));
    expect(second.Anchor).toBe(String(ref1 + 1).padStart(32, '0'));
  });

  it('the Reference counter persists across messages', async () => {
    const a = await run('Send({ Target = "p" })');
    const b = await run('Send({ Target = "p" })');
    expect(Number(tagOf(b.Messages[0].Tags, 'Reference'))).toBe(Number(tagOf(a.Messages[0].Tags, 'Reference')) + 1);
    expect(await evalOk(booted, 'return ao.reference')).toBe(tagOf(b.Messages[0].Tags, 'Reference'));
  });

  it('a table Data is JSON-encoded with Content-Type application/json; a map of Tags becomes sorted tags', async () => {
    const r = await run('Send({ Target = "p", Data = { b = 2, a = { 1, 2 } }, Tags = { Zed = "1", Abc = "2" } })');
    const m = r.Messages[0];
    expect(JSON.parse(m.Data ?? '')).toEqual({ a: [1, 2], b: 2 });
    expect(m.Data).toBe('{"a":[1,2],"b":2}');
    expect(tagOf(m.Tags, 'Content-Type')).toBe('application/json');
    const names = m.Tags.map((t) => t.name);
    expect(names.indexOf('Abc')).toBeLessThan(names.indexOf('Zed'));
  });

  it('strings needing JSON escapes survive the result encoding', async () => {
    const tricky = 'quote " backslash \\ newline \n tab \t bell \u0007 é ✓ 😀';
    const r = await run(`Send({ Target = "p", Data = ${luaLiteral(tricky)}, Note = ${luaLiteral(tricky)} })`);
    expect(r.Messages[0].Data).toBe(tricky);
    expect(tagOf(r.Messages[0].Tags, 'Note')).toBe(tricky);
  });

  it('a tag value that is a table is JSON-encoded; a function value is an error', async () => {
    const ok = await run('Send({ Target = "p", Meta = { x = 1 } })');
    expect(tagOf(ok.Messages[0].Tags, 'Meta')).toBe('{"x":1}');
    const bad = await run('Send({ Target = "p", Tags = { { name = "F", value = function() end } } })');
    expect(bad.Error).toMatch(/cannot be a function/);
  });

  it('msg.reply targets the sender with X-Reference = the request Reference (Reply-To wins)', async () => {
    await evalOk(booted, 'Handlers.add("echo", "Echo", function(msg) msg.reply({ Action = "Echoed", Data = msg.Data }) end)');
    const r = await booted.process.evaluate(booted.msgs.message({ Action: 'Echo', Reference: '7' }, { Data: 'hi' }));
    expect(r.Messages).toHaveLength(1);
    const reply = r.Messages[0];
    expect(reply.Target).toBe(TEST_OWNER);
    expect(reply.Data).toBe('hi');
    expect(tagOf(reply.Tags, 'X-Reference')).toBe('7');
    expect(tagOf(reply.Tags, 'Action')).toBe('Echoed');

    const viaReplyTo = await booted.process.evaluate(booted.msgs.message({ Action: 'Echo', Reference: '8', 'Reply-To': 'elsewhere' }));
    expect(viaReplyTo.Messages[0].Target).toBe('elsewhere');
  });

  it('msg.forward sends a sanitized copy with Reply-To, X-Reference and X-Origin', async () => {
    await evalOk(booted, 'Handlers.add("fwd", "Fwd", function(msg) msg.forward("next-hop", { Extra = "1" }) end)');
    const r = await booted.process.evaluate(booted.msgs.message({ Action: 'Fwd', Reference: '9', Custom: 'c' }));
    const f = r.Messages[0];
    expect(f.Target).toBe('next-hop');
    expect(tagOf(f.Tags, 'Reply-To')).toBe(TEST_OWNER);
    expect(tagOf(f.Tags, 'X-Reference')).toBe('9');
    expect(tagOf(f.Tags, 'X-Origin')).toBe(TEST_OWNER);
    expect(tagOf(f.Tags, 'Custom')).toBe('c');
    expect(tagOf(f.Tags, 'Extra')).toBe('1');
    expect(f.Tags.filter((t) => t.name === 'Nonce' || t.name === 'Id' || t.name === 'Timestamp')).toEqual([]);
  });

  it('Spawn queues a Process item with From-Process, From-Module, Module and a Reference', async () => {
    const r = await run('Spawn("child-module", { Name = "kid", Data = "boot" }) Spawn({ Data = "same module" })');
    expect(r.Spawns).toHaveLength(2);
    const [spawn, same] = r.Spawns;
    const ref = tagOf(spawn.Tags, 'Reference');
    expect(spawn.Data).toBe('boot');
    expect(spawn.Anchor).toBe(String(ref).padStart(32, '0'));
    expect(spawn.Tags.slice(0, 7)).toEqual([
      { name: 'Data-Protocol', value: 'ao' },
      { name: 'Variant', value: 'ao.TN.1' },
      { name: 'Type', value: 'Process' },
      { name: 'From-Process', value: TEST_PROCESS },
      { name: 'From-Module', value: TEST_MODULE },
      { name: 'Module', value: 'child-module' },
      { name: 'Reference', value: ref },
    ]);
    expect(tagOf(spawn.Tags, 'Name')).toBe('kid');
    expect(tagOf(same.Tags, 'Module')).toBe(TEST_MODULE);
    expect((await run('Spawn("m", {})')).Spawns[0]?.Data).toBe('NODATA');
  });

  it('Assign queues {Processes, Message}', async () => {
    const r = await run('Assign({ Processes = { "p1", "p2" }, Message = "msg-id" })');
    expect(r.Assignments).toEqual([{ Processes: ['p1', 'p2'], Message: 'msg-id' }]);
    const bad = await run('Assign({ Processes = "p1", Message = "m" })');
    expect(bad.Error).toMatch(/Processes should be a table/);
  });

  it('onReply installs a once-handler keyed on X-Reference and the target', async () => {
    const sent = await run('Pending = Send({ Target = "oracle", Action = "Ask" }) Pending.onReply(function(m) Answer = m.Data end)');
    const ref = tagOf(sent.Messages[0].Tags, 'Reference') ?? '';
    // the oracle's answer, relayed by a trusted pusher
    await evalOk(booted, 'table.insert(ao.authorities, "relay-mu")');
    const answer = await booted.process.evaluate(
      booted.msgs.message({ 'X-Reference': ref, Action: 'Answer' }, { From: 'oracle', Owner: 'relay-mu', Data: '42' }),
    );
    expect(answer.Error).toBeUndefined();
    expect(await evalOk(booted, 'return Answer')).toBe('42');
  });

  it('a failed message returns no outbox at all', async () => {
    const r = await run('Send({ Target = "p", Data = "lost" }) error("after send")');
    expect(r.Error).toMatch(/after send/);
    expect(r.Messages).toEqual([]);
    expect(r.Spawns).toEqual([]);
    expect(r.Assignments).toEqual([]);
  });
});

/** A Lua string literal of any JS string (its UTF-8 bytes, escaped as \ddd where needed). */
function luaLiteral(s: string): string {
  let out = '"';
  for (const b of new TextEncoder().encode(s)) {
    out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  }
  return `${out}"`;
}
