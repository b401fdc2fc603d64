import { describe, expect, it } from 'vitest';
import { LuaProcess } from './lua-process.js';
import {
  aosModuleDef,
  bootAos,
  DEFAULT_TEST_LIMITS,
  evalOk,
  MessageFactory,
  outputText,
  TEST_OWNER,
  TEST_PROCESS,
  testEnv,
} from './testing.js';

describe('aos runtime: boot, Eval, trust, Inbox, Output', () => {
  it('the Process message sets Owner and Name, lands in the Inbox, and runs On-Boot = Data code', async () => {
    const booted = await bootAos({
      bootCode: 'Counter = 40 + 2; print("booting"); return "booted"',
      processTags: [{ name: 'Name', value: 'my-proc' }],
    });
    expect(await evalOk(booted, 'return Owner')).toBe(TEST_OWNER);
    expect(await evalOk(booted, 'return Name')).toBe('my-proc');
    expect(await evalOk(booted, 'return Counter')).toBe('42');
    expect(await evalOk(booted, 'return #Inbox, Inbox[1].Id')).toBe(`1\t${TEST_PROCESS}`);
    expect(await evalOk(booted, 'return ao.id, ao.env.Process.Tags.Name, ao.env.Process.TagArray[1].name')).toBe(
      `${TEST_PROCESS}\tmy-proc\tData-Protocol`,
    );
    booted.process.close();
  });

  it('boot output is returned; a failing boot is an Error', async () => {
    const env = testEnv([{ name: 'On-Boot', value: 'Data' }]);
    const p = await LuaProcess.create(aosModuleDef(), env, DEFAULT_TEST_LIMITS);
    const msgs = new MessageFactory(env);
    const r = await p.evaluate(msgs.processMessage('print("hello from boot")'));
    expect(outputText(r)).toBe('hello from boot');

    const p2 = await LuaProcess.create(aosModuleDef(), env, DEFAULT_TEST_LIMITS);
    const bad = await p2.evaluate(new MessageFactory(env).processMessage('this is not lua'));
    expect(bad.Error).toBeDefined();
    p.close();
    p2.close();
  });

  it('a spawned process is owned by its parent (From-Process of the Process message)', async () => {
    const env = testEnv([
      { name: 'From-Process', value: 'parent-process' },
      { name: 'Authority', value: 'mu-wallet' },
    ]);
    const p = await LuaProcess.create(aosModuleDef(), env, DEFAULT_TEST_LIMITS);
    const msgs = new MessageFactory(env);
    // the MU signs the Process item; the CU sets From to its From-Process tag
    await p.evaluate({ ...msgs.processMessage(), From: 'parent-process', Owner: 'mu-wallet', 'Forwarded-By': 'mu-wallet' });
    const fromParent = await p.evaluate(msgs.eval('return Owner', { From: 'parent-process', Owner: 'mu-wallet', 'Forwarded-By': 'mu-wallet' }));
    expect(outputText(fromParent)).toBe('parent-process');
    p.close();
  });

  it('Eval runs only for the Owner; anyone else lands in the Inbox', async () => {
    const booted = await bootAos({ bootCode: 'Secret = 1' });
    const stranger = await booted.process.evaluate(booted.msgs.eval('Secret = 99', { From: 'stranger', Owner: 'stranger' }));
    expect(stranger.Error).toBeUndefined();
    expect(outputText(stranger)).toContain('New Message From');
    expect(await evalOk(booted, 'return Secret, Inbox[#Inbox].From')).toBe('1\tstranger');
    booted.process.close();
  });

  it('Eval prints every returned value; print joins its arguments with tabs, tables pretty-printed', async () => {
    const booted = await bootAos();
    expect(await evalOk(booted, 'return 1, "two", nil, true')).toBe('1\ttwo\tnil\ttrue');
    expect(await evalOk(booted, 'print("a", 1) print({ b = 2, 10 })')).toBe('a\t1\n{ 10, b = 2 }');
    expect(await evalOk(booted, 'x = 1')).toBe('');
    const r = await booted.process.evaluate(booted.msgs.eval('print("before") error("boom")'));
    expect(r.Error).toMatch(/boom/);
    expect(outputText(r)).toBe('before');
    booted.process.close();
  });

  it('Output has the aos 2 shape {data, prompt, print}', async () => {
    const booted = await bootAos();
    const r = await booted.process.evaluate(booted.msgs.eval('print("hi")'));
    expect(r.Output).toEqual({ data: 'hi', prompt: expect.stringContaining('[Inbox:'), print: true });
    const quiet = await booted.process.evaluate(booted.msgs.eval('x = 2'));
    expect(quiet.Output).toMatchObject({ data: '', print: false });
    booted.process.close();
  });

  it('trust: a relayed message is handled only when its pusher or origin is an Authority (the module owner, then Authority tags)', async () => {
    const booted = await bootAos({
      bootCode: 'Handlers.add("count", "Count", function(m) Count = (Count or 0) + 1 end)',
      processTags: [{ name: 'Authority', value: 'mu-1, mu-2' }],
    });
    // The module's owner (the platform that publishes it and runs the MU) comes first.
    expect(await evalOk(booted, 'return table.concat(ao.authorities, ",")')).toBe(`${booted.env.Module.Owner},mu-1,mu-2`);
    const send = (fields: Record<string, string>) => booted.process.evaluate(booted.msgs.message({ Action: 'Count' }, fields));
    const trustedPusher = await send({ From: 'other-process', Owner: 'mu-2', 'Forwarded-By': 'mu-2' });
    expect(trustedPusher.Error).toBeUndefined();
    const unknownPusher = await send({ From: 'other-process', Owner: 'evil-mu', 'Forwarded-By': 'evil-mu' });
    expect(outputText(unknownPusher)).toContain('Message is not trusted');
    const signedBySender = await send({ From: 'some-user', Owner: 'some-user' });
    expect(signedBySender.Error).toBeUndefined();
    expect(await evalOk(booted, 'return Count')).toBe('2');
    booted.process.close();
  });

  it('an assignment (a message for another process) is ignored unless it matches ao.assignables', async () => {
    const booted = await bootAos({ bootCode: 'Handlers.add("any", "Note", function(m) Notes = (Notes or 0) + 1 end)' });
    const assigned = await booted.process.evaluate(booted.msgs.message({ Action: 'Note' }, { Target: 'another-process' }));
    expect(outputText(assigned)).toContain('Assignment is not trusted');
    await evalOk(booted, 'ao.addAssignable("notes", { Action = "Note" })');
    await booted.process.evaluate(booted.msgs.message({ Action: 'Note' }, { Target: 'another-process' }));
    expect(await evalOk(booted, 'return Notes')).toBe('1');
    booted.process.close();
  });

  it('copies tags onto msg by name without overwriting standard fields; msg.Tags is a map, TagArray the list', async () => {
    const booted = await bootAos({
      bootCode: `Handlers.add("inspect", "Inspect", function(m)
        print(m.Custom, m.From, m.Id, m.Tags.From, m.Type, m.Tags.Type, #m.TagArray, m.Tags.Dup, m.Dup, m.Nonce, m.Cron)
      end)`,
    });
    const r = await booted.process.evaluate(
      booted.msgs.message(
        [
          { name: 'Action', value: 'Inspect' },
          { name: 'Custom', value: 'c' },
          { name: 'From', value: 'spoofed' },
          { name: 'Id', value: 'spoofed-id' },
          { name: 'Type', value: 'Message' },
          { name: 'Dup', value: 'first' },
          { name: 'Dup', value: 'second' },
        ],
        { Id: 'real-id' },
      ),
    );
    // nonce 1: the Process message took nonce 0
    expect(outputText(r)).toBe(`c\t${TEST_OWNER}\treal-id\tspoofed\tnil\tMessage\t7\tfirst\tsecond\t1\tfalse`);
    booted.process.close();
  });

  it('decodes Data of application/json messages into a table', async () => {
    const booted = await bootAos({ bootCode: 'Handlers.add("j", "J", function(m) print(type(m.Data), m.Data.a) end)' });
    const r = await booted.process.evaluate(booted.msgs.message({ Action: 'J', 'Content-Type': 'application/json' }, { Data: '{"a":5}' }));
    expect(outputText(r)).toBe('table\t5');
    booted.process.close();
  });

  it('keeps at most 10,000 messages in the Inbox, dropping the oldest', async () => {
    const booted = await bootAos();
    for (let i = 0; i < 10_050; i++) {
      const r = await booted.process.evaluate(booted.msgs.message({ Action: 'Spam', Seq: String(i) }));
      if (r.Error) throw new Error(r.Error);
    }
    const [count, last, first] = (await evalOk(booted, 'return #Inbox, Inbox[#Inbox].Seq, Inbox[1].Seq')).split('\t').map(Number);
    expect(count).toBeLessThanOrEqual(10_000);
    expect(count).toBeGreaterThanOrEqual(9_000);
    expect(last).toBe(10_049);
    expect(first).toBe(10_050 - count);
    booted.process.close();
  });

  it('os.time is the message timestamp in seconds and os.date formats it in UTC', async () => {
    const booted = await bootAos();
    const msg = booted.msgs.eval('return os.time(), os.date("!%Y-%m-%dT%H:%M:%SZ"), os.date("%j %a %b"), os.time({ year = 2000, month = 1, day = 1, hour = 0 })');
    const r = await booted.process.evaluate({ ...msg, Timestamp: 1_700_000_123_456 });
    expect(outputText(r)).toBe('1700000123\t2023-11-14T22:15:23Z\t318 Tue Nov\t946684800');
    booted.process.close();
  });
});
