import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { EvalResult } from '../../types.js';
import { aosRuntimeSource } from './aos-module.js';
import { bootAos, MessageFactory } from './testing.js';

// The module item + a Lua 5.4 VM define the semantics: the same bundle must behave the same in
// the stock interpreter (when installed: apt-get install lua5.4).
const hasLua = spawnSync('lua5.4', ['-v']).status === 0;
// Set by vitest.config.ts from CI: there a missing interpreter fails the spec instead of skipping it.
const inCi = inject('ci');

declare module 'vitest' {
  export interface ProvidedContext {
    ci: boolean;
  }
}

const DRIVER = `
local open, write = io.open, io.write
local rt = load(open(arg[1]):read("a"), "=aos")()
local env = open(arg[2]):read("a")
for line in open(arg[3]):lines() do write(rt.handle(line, env), "\\n") end
`;

const BOOT = `
Log = {}
Handlers.add("note", "Note", function(msg)
  Log[#Log + 1] = msg.Data
  local n = tonumber(msg.N)
  local picks = {}
  for i = 1, 3 do picks[i] = math.random(1, 1000) end
  msg.reply({ Action = "Noted", Count = #Log, Picks = table.concat(picks, ","), When = os.date("!%Y-%m-%d %H:%M:%S"),
    Data = json.encode({ n = n, sq = n * n, half = n / 2, text = msg.Data }) })
  if n % 5 == 0 then Spawn("child", { Seq = tostring(n) }) end
  if n % 7 == 0 then error("every seventh fails") end
end)
`;

const strip = (r: EvalResult): Omit<EvalResult, 'GasUsed'> => {
  const { GasUsed: _gas, ...rest } = r;
  return rest;
};

describe.skipIf(!hasLua && !inCi)('the runtime in plain lua5.4', () => {
  it('gives the same results as the WebAssembly VM', async () => {
    expect(hasLua, 'lua5.4 is not installed: CI must run the plain-Lua oracle, install it (apt-get install lua5.4)').toBe(true);
    const booted = await bootAos({ bootCode: BOOT });
    const messages = [booted.msgs.eval('return 1 + 1')];
    for (let i = 1; i <= 30; i++) {
      messages.push(booted.msgs.message({ Action: 'Note', N: String(i) }, { Data: `note "${i}" \\ \n é` }));
    }
    messages.push(booted.msgs.message({ Action: 'Other' }, { From: 'someone', Owner: 'someone' }));
    messages.push(booted.msgs.eval('return #Inbox, #Log, ao.reference'));
    const wasm: EvalResult[] = [];
    for (const m of messages) wasm.push(await booted.process.evaluate(m));

    // A minimal host: it keeps the messages that succeeded and, since the stock interpreter cannot
    // copy its heap, discards a failed message's effects by starting over from the accepted log.
    const dir = mkdtempSync(join(tmpdir(), 'aos-plain-'));
    try {
      writeFileSync(join(dir, 'aos.lua'), aosRuntimeSource());
      writeFileSync(join(dir, 'env.json'), JSON.stringify(booted.env));
      writeFileSync(join(dir, 'driver.lua'), DRIVER);
      const accepted = [new MessageFactory(booted.env).processMessage(BOOT)];
      const plain: EvalResult[] = [];
      for (const m of messages) {
        writeFileSync(join(dir, 'msgs.jsonl'), [...accepted, m].map((x) => JSON.stringify(x)).join('\n'));
        const run = spawnSync('lua5.4', ['driver.lua', 'aos.lua', 'env.json', 'msgs.jsonl'], { cwd: dir, encoding: 'utf8' });
        expect(run.stderr).toBe('');
        const lines = run.stdout.trim().split('\n');
        const result = JSON.parse(lines[lines.length - 1]) as EvalResult;
        plain.push({ ...result, GasUsed: 0 });
        if (result.Error === undefined) accepted.push(m);
      }
      expect(plain.map(strip)).toEqual(wasm.map(strip));
      expect(wasm.filter((r) => r.Error !== undefined)).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      booted.process.close();
    }
  });
});
