import { describe, expect, it } from 'vitest';
import type { EvalResult } from '../../types.js';
import { aosRuntimeSource } from './aos-module.js';
import { LuaProcess } from './lua-process.js';
import { DEFAULT_TEST_LIMITS, MessageFactory, TEST_OWNER, aosModuleDef, testEnv } from './testing.js';

// The host calls the runtime's `step` (the result as values on the VM's stack) when the module
// has it, and `handle` (JSON text) otherwise, as for runtimes published before `step` existed.
// Both must give the same results; GasUsed differs (encoding JSON in Lua costs instructions).

const BOOT = `
Handlers.add("many", "Many", function(msg)
  print("working on " .. msg.N)
  print({ nested = { 1, 2 } })
  msg.reply({ Action = "Done", Count = tonumber(msg.N), Data = "é \\"quoted\\" \\\\ \\n\\t\\1 end" })
  Send({ Target = "t-" .. msg.N, Amount = 12.5, Big = math.tointeger(2^53) + 1, Tags = { { name = "X-Extra", value = "1" } } })
  Send({ Target = "t-nodata" })
  Spawn("module-x", { Data = { a = 1 }, Seq = msg.N })
  Assign({ Processes = { "p1", "p2" }, Message = msg.Id })
end)
Handlers.add("fail", "Fail", function() print("before"); Send({ Target = "lost" }); error({ code = 7 }) end)
Handlers.add("mutate", "Mutate", function() local m = Send({ Target = "t" }); m.Data = { 1 } end)
Handlers.add("numbers", "Numbers", function()
  local m = Send({ Target = "t", Data = "d" })
  m.Target, m.Data, m.Anchor = 7, 2^53, 1.5
  m.Tags[1].value, m.Tags[2].name = 3, -4
  Assign({ Processes = { "p" }, Message = "m" })
  ao.outbox.Assignments[1].Processes[1], ao.outbox.Assignments[1].Message = 5, 0.25
end)
Handlers.add("wide", "Wide", function(msg)
  local tags = {}
  for i = 1, tonumber(msg.N) do tags[i] = { name = "T" .. i, value = tostring(i) } end
  Send({ Target = "wide", Tags = tags })
end)
Prompt = function() return "custom> " end
`;

async function boot(withStep: boolean): Promise<{ process: LuaProcess; msgs: MessageFactory }> {
  const env = testEnv([{ name: 'On-Boot', value: 'Data' }]);
  const mod = aosModuleDef();
  const source = withStep ? mod.source : new TextEncoder().encode(aosRuntimeSource().replace(/\n {2}step = step,\n/, '\n'));
  if (!withStep) expect(source.length).toBeLessThan(mod.source.length);
  const process = await LuaProcess.create({ ...mod, source }, env, DEFAULT_TEST_LIMITS);
  const msgs = new MessageFactory(env);
  const booted = await process.evaluate(msgs.processMessage(BOOT));
  expect(booted.Error).toBeUndefined();
  return { process, msgs };
}

const withoutGas = ({ GasUsed: _gas, ...rest }: EvalResult): Omit<EvalResult, 'GasUsed'> => rest;

describe('the runtime entry points: step (flat) and handle (JSON)', () => {
  it('give the same results, errors and state for the same messages', async () => {
    const flat = await boot(true);
    const json = await boot(false);
    const run = async (tags: Record<string, string>, fields = {}) => {
      const a = await flat.process.evaluate(flat.msgs.message(tags, fields));
      const b = await json.process.evaluate(json.msgs.message(tags, fields));
      return [a, b] as const;
    };
    const compared: Array<readonly [EvalResult, EvalResult]> = [];
    for (let n = 1; n <= 5; n++) compared.push(await run({ Action: 'Many', N: String(n) }));
    compared.push(await run({ Action: 'Fail' }));
    compared.push(await run({ Action: 'Unhandled' }, { Data: 'to the inbox' }));
    compared.push(await run({ Action: 'Eval' }, { Data: 'return #Inbox' }));
    compared.push(await run({ Action: 'Eval' }, { Data: 'this is not lua' }));
    compared.push(await run({ Action: 'Numbers' }));
    for (const [a, b] of compared) expect(withoutGas(a)).toEqual(withoutGas(b));

    const [many] = compared[0];
    expect(many.Messages.map((m) => m.Target)).toEqual([TEST_OWNER, 't-1', 't-nodata']);
    expect(many.Messages[0].Data).toBe('é "quoted" \\ \n\t\u0001 end');
    expect(many.Messages[1].Tags).toContainEqual({ name: 'Big', value: '9007199254740993' });
    expect(many.Messages[2]).not.toHaveProperty('Data');
    expect(many.Spawns).toHaveLength(1);
    expect(many.Assignments).toEqual([{ Processes: ['p1', 'p2'], Message: expect.any(String) }]);
    expect(many.Output).toMatchObject({ prompt: 'custom> ', print: true });
    expect(compared[5][0]).toMatchObject({ Messages: [], Error: expect.stringContaining('code') });
    // numbers put into the outbox after Send are text as Lua's tostring writes them, either way
    const [numbers] = compared[9];
    expect(numbers.Messages[0]).toMatchObject({ Target: '7', Data: '9.007199254741e+15', Anchor: '1.5' });
    expect(numbers.Messages[0].Tags.slice(0, 2)).toEqual([{ name: 'Data-Protocol', value: '3' }, { name: '-4', value: 'ao.TN.1' }]);
    expect(numbers.Assignments).toEqual([{ Processes: ['5'], Message: '0.25' }]);
    expect(await flat.process.stateHash()).toBe(await json.process.stateHash());
    flat.process.close();
    json.process.close();
  });

  it('a result too long for the VM stack comes back as JSON text; shorter ones after it: the same results', async () => {
    const flat = await boot(true);
    const json = await boot(false);
    const msg = { Action: 'Wide', N: '60000' }; // 120,000 tag values: past the runtime's 100,000
    const a = await flat.process.evaluate(flat.msgs.message(msg));
    const b = await json.process.evaluate(json.msgs.message(msg));
    expect(a.Error).toBeUndefined();
    expect(a.Messages[0].Tags).toHaveLength(60_000 + 4);
    expect(withoutGas(a)).toEqual(withoutGas(b));
    // The runtime gathers a flat result in a table it keeps between messages: shorter results
    // after long ones (past its reuse limit, then within it) must carry nothing of the earlier ones.
    for (const next of <Record<string, string>[]>[{ Action: 'Wide', N: '3000' }, { Action: 'Wide', N: '2' }, { Action: 'Many', N: '9' }, { Action: 'Unhandled' }]) {
      const x = await flat.process.evaluate(flat.msgs.message(next));
      const y = await json.process.evaluate(json.msgs.message(next));
      expect(withoutGas(x)).toEqual(withoutGas(y));
    }
    flat.process.close();
    json.process.close();
  });

  it('keeps nothing of an earlier result alive: a large outbox Data is collected once a later result is read', async () => {
    const flat = await boot(true);
    const kib = async (): Promise<number> => {
      const r = await flat.process.evaluate(flat.msgs.message({ Action: 'Eval' }, { Data: 'collectgarbage("collect"); return collectgarbage("count")' }));
      return Number((r.Output as { data: string }).data);
    };
    const before = await kib();
    const big = await flat.process.evaluate(flat.msgs.message({ Action: 'Eval' }, { Data: 'Send({ Target = "t", Data = string.rep("x", 4 * 1024 * 1024) })' }));
    expect(big.Messages[0].Data).toHaveLength(4 * 1024 * 1024);
    await kib(); // a result without the Send: the outbox and the result no longer hold the 4 MiB
    expect(await kib()).toBeLessThan(before + 1024);
    flat.process.close();
  });

  it('reads result strings of every length and encoding exactly (short ASCII is read by hand)', async () => {
    const flat = await boot(true);
    const samples: string[] = [];
    for (const len of [0, 1, 23, 24, 25, 63, 64, 65, 300]) {
      samples.push('a'.repeat(len), 'é'.repeat(len), `${'b'.repeat(Math.max(0, len - 1))}\u{1F600}`, `${'c'.repeat(len)}\u0000\u007f`);
    }
    // Lua string literals of the samples' UTF-8 bytes, escaped byte by byte
    const lua = (text: string): string => `"${[...Buffer.from(text)].map((b) => `\\${b}`).join('')}"`;
    const echo = await flat.process.evaluate(flat.msgs.message({ Action: 'Eval' }, {
      Data: `Send({ Target = "t", Data = ${lua(samples.join('|'))} })
        for i, v in ipairs({ ${samples.map(lua).join(', ')} }) do Send({ Target = "t" .. i, Value = v }) end`,
    }));
    expect(echo.Error).toBeUndefined();
    expect(echo.Messages[0].Data).toBe(samples.join('|'));
    expect(echo.Messages.slice(1).map((m) => m.Tags.find((t) => t.name === 'Value')?.value)).toEqual(samples);
    flat.process.close();
  });

  it('an outbox value that is not text fails the message and leaves the state as it was', async () => {
    const flat = await boot(true);
    const before = await flat.process.stateHash();
    const r = await flat.process.evaluate(flat.msgs.message({ Action: 'Mutate' }));
    expect(r.Error).toBe('an outbox Data must be a string, not a table');
    expect(r.Messages).toEqual([]);
    expect(await flat.process.stateHash()).toBe(before);
    flat.process.close();
  });
});
