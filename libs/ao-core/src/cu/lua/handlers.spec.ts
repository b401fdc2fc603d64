import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootAos, evalOk, outputText, type BootedProcess } from './testing.js';

// Each test installs handlers that append to a global `Seen` list, sends messages, and reads the list.
describe('Handlers (aos runtime)', () => {
  let booted: BootedProcess;
  beforeAll(async () => {
    booted = await bootAos();
  });
  afterAll(() => booted.process.close());

  async function send(tags: Record<string, string>, data = ''): Promise<string> {
    const r = await booted.process.evaluate(booted.msgs.message(tags, { Data: data }));
    expect(r.Error).toBeUndefined();
    return outputText(r);
  }

  async function reset(code: string): Promise<void> {
    await evalOk(
      booted,
      `Seen = {}
       for i = #Handlers.list, 1, -1 do
         local n = Handlers.list[i].name
         if n ~= "_eval" and n ~= "_default" then Handlers.remove(n) end
       end
       ${code}`,
    );
  }

  const seen = (): Promise<string> => evalOk(booted, 'return table.concat(Seen, ",")');

  it('runs a handler whose Action string pattern matches, and only that one', async () => {
    await reset(`
      Handlers.add("a", "Ping", function() Seen[#Seen + 1] = "a" end)
      Handlers.add("b", "Pong", function() Seen[#Seen + 1] = "b" end)`);
    await send({ Action: 'Ping' });
    expect(await seen()).toBe('a');
  });

  it('add appends, prepend goes first, append goes last, and add with an existing name replaces in place', async () => {
    await reset(`
      local function mark(x) return function() Seen[#Seen + 1] = x end end
      local cont = function(m) if m.Action ~= "Eval" then return "continue" end end
      Handlers.add("one", cont, mark("one"))
      Handlers.append("two", cont, mark("two"))
      Handlers.prepend("zero", cont, mark("zero"))
      Handlers.add("one", cont, mark("ONE"))`);
    await send({ Action: 'Anything' });
    expect(await seen()).toBe('zero,ONE,two');
    expect(await evalOk(booted, 'local n = {} for _, h in ipairs(Handlers.list) do n[#n+1] = h.name end return table.concat(n, ",")')).toBe(
      'zero,_eval,_default,one,two',
    );
  });

  it('continue/1 runs and goes on, break/true/-1 runs and stops, skip/false/0/nil skips', async () => {
    await reset(`
      local function add(name, result)
        Handlers.add(name, function() return result end, function() Seen[#Seen + 1] = name end)
      end
      add("c1", "continue") add("c2", 1) add("s1", "skip") add("s2", false) add("s3", 0) add("s4", nil)
      add("b1", "break") add("after", "continue")`);
    await send({ Action: 'X' });
    expect(await seen()).toBe('c1,c2,b1');

    await reset(`
      Handlers.add("t", function() return true end, function() Seen[#Seen + 1] = "t" end)
      Handlers.add("after", function() return 1 end, function() Seen[#Seen + 1] = "after" end)`);
    await send({ Action: 'X' });
    expect(await seen()).toBe('t');

    await reset(`
      Handlers.add("m", function() return -1 end, function() Seen[#Seen + 1] = "m" end)
      Handlers.add("after", function() return 1 end, function() Seen[#Seen + 1] = "after" end)`);
    await send({ Action: 'X' });
    expect(await seen()).toBe('m');
  });

  it('matches tables of tag patterns: exact, Lua pattern, _ wildcard, functions and alternatives; all keys must match', async () => {
    await reset(`
      local function add(name, spec) Handlers.add(name, spec, function() Seen[#Seen + 1] = name end) end
      add("exact", { Action = "Transfer", Quantity = "5" })
      add("pattern", { Recipient = "^abc%d+$" })
      add("wild", { Memo = "_" })
      add("fn", { Quantity = function(v, msg) return tonumber(v) > 3 and msg.Action == "Transfer" end })
      add("alt", { Action = { "Burn", "Transfer" } })
      add("dash", { Action = "Credit-Notice" })`);
    // every spec returns true (break) on a match, so only the first matching handler runs
    await send({ Action: 'Transfer', Quantity: '5' });
    expect(await seen()).toBe('exact');
    await evalOk(booted, 'Seen = {} for _, h in ipairs(Handlers.list) do if h.name ~= "_eval" and h.name ~= "_default" then h.pattern = (function(p) return function(m) if Handlers.matchesSpec(m, p) then return "continue" end end end)(h.pattern) end end');
    await send({ Action: 'Transfer', Quantity: '5', Recipient: 'abc123', Memo: 'hi' });
    expect(await seen()).toBe('exact,pattern,wild,fn,alt');
    await evalOk(booted, 'Seen = {}');
    await send({ Action: 'Transfer', Quantity: '4', Recipient: 'xabc123' });
    expect(await seen()).toBe('fn,alt');
    await evalOk(booted, 'Seen = {}');
    await send({ Action: 'Credit-Notice' });
    expect(await seen()).toBe('dash');
  });

  it('utils.hasMatchingTag, hasMatchingTagOf and hasMatchingData', async () => {
    await reset(`
      local u = Handlers.utils
      Handlers.add("tag", u.hasMatchingTag("Action", "Ping"), function() Seen[#Seen + 1] = "tag" end)
      Handlers.add("of", u.hasMatchingTagOf("Action", { "A", "B" }), function() Seen[#Seen + 1] = "of" end)
      Handlers.add("data", u.hasMatchingData("hello"), function() Seen[#Seen + 1] = "data" end)`);
    await send({ Action: 'Ping' });
    await send({ Action: 'B' });
    await send({ Action: 'C' }, 'hello');
    expect(await seen()).toBe('tag,of,data');
  });

  it('utils.reply answers the sender with X-Reference', async () => {
    await reset(`Handlers.add("r", "Hi", Handlers.utils.reply("hello there"))`);
    const r = await booted.process.evaluate(booted.msgs.message({ Action: 'Hi', Reference: '41' }, { From: booted.env.Process.Owner }));
    expect(r.Messages).toHaveLength(1);
    expect(r.Messages[0].Data).toBe('hello there');
    expect(r.Messages[0].Tags).toContainEqual({ name: 'X-Reference', value: '41' });
  });

  it('once runs a handler a single time; remove drops it; maxRuns counts down', async () => {
    await reset(`
      Handlers.once("one-shot", "Go", function() Seen[#Seen + 1] = "once" end)
      Handlers.once("Go", function() Seen[#Seen + 1] = "unnamed" end)
      Handlers.add("twice", "Go", function() Seen[#Seen + 1] = "twice" end, 2)
      Handlers.add("gone", "Go", function() Seen[#Seen + 1] = "gone" end)
      Handlers.remove("gone")`);
    await send({ Action: 'Go' });
    await send({ Action: 'Go' });
    await send({ Action: 'Go' });
    await send({ Action: 'Go' });
    // the unnamed once-handler is prepended last, so it runs first; a break stops the chain
    expect(await seen()).toBe('unnamed,once,twice,twice');
  });

  it('a handler added while running applies from the next message; one removed while running does not run', async () => {
    await reset(`
      Handlers.add("first", function() return "continue" end, function()
        Seen[#Seen + 1] = "first"
        Handlers.remove("second")
        Handlers.add("late", function() return "continue" end, function() Seen[#Seen + 1] = "late" end)
      end)
      Handlers.add("second", function() return "continue" end, function() Seen[#Seen + 1] = "second" end)`);
    await send({ Action: 'X' });
    expect(await seen()).toBe('first');
    await send({ Action: 'X' });
    expect(await seen()).toBe('first,first,late');
  });

  it('the default handler stores unmatched messages in the Inbox and prints them', async () => {
    await reset('');
    const before = Number(await evalOk(booted, 'return #Inbox'));
    const out = await send({ Action: 'Unknown-Thing' });
    expect(out).toContain('New Message From');
    expect(out).toContain('Action = ');
    expect(Number(await evalOk(booted, 'return #Inbox'))).toBe(before + 1);
    expect(await evalOk(booted, 'return Inbox[#Inbox].Action')).toBe('Unknown-Thing');
  });

  it('a "continue" handler does not stop the default handler; a "break" one does', async () => {
    await reset(`Handlers.add("peek", function() return "continue" end, function() Seen[#Seen + 1] = "peek" end)`);
    const before = Number(await evalOk(booted, 'return #Inbox'));
    await send({ Action: 'Y' });
    expect(Number(await evalOk(booted, 'return #Inbox'))).toBe(before + 1);
    await reset(`Handlers.add("eat", function() return "break" end, function() Seen[#Seen + 1] = "eat" end)`);
    await send({ Action: 'Y' });
    expect(Number(await evalOk(booted, 'return #Inbox'))).toBe(before + 1);
  });

  it('before/after insert relative to a named handler', async () => {
    await reset(`
      local c = function() return "continue" end
      local function mark(x) return function() Seen[#Seen + 1] = x end end
      Handlers.add("mid", c, mark("mid"))
      Handlers.before("mid").add("pre", c, mark("pre"))
      Handlers.after("mid").add("post", c, mark("post"))`);
    await send({ Action: 'Z' });
    expect(await seen()).toBe('pre,mid,post');
  });

  it('rejects invalid arguments', async () => {
    const r = await booted.process.evaluate(booted.msgs.eval('Handlers.add(42, "x", function() end)'));
    expect(r.Error).toMatch(/Invalid arguments/);
  });

  it('an error in a handler fails the message and the Error names the handler', async () => {
    await reset(`Handlers.add("boom", "Boom", function() error("kaput") end)`);
    const r = await booted.process.evaluate(booted.msgs.message({ Action: 'Boom' }));
    expect(r.Error).toMatch(/^handler 'boom': .*kaput/);
  });
});
