// cu-eval: aos token Transfers through Handlers on one live process (the CU's Lua evaluator),
// beside the same Lua (the aos runtime bundle + the token blueprint) in the native lua5.4.
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { LuaEvaluatorFactory, MessageFactory, aosRuntimeSource, parseEvalResult } from '@ao/core';
import { parseEnv } from '@ao/infra';
import { mainIfScript, repeat, row, summarize, tempDir } from './lib.js';
import { ACCOUNTS, bootToken, measureWasm, tokenWorkload, transfers } from './token-workload.js';

/** The CU's default limits (CU_GAS_DEFAULT, CU_MEMORY_DEFAULT): the limits a real process runs with. */
export function defaultLimits() {
  const env = parseEnv({});
  return { gas: env.CU_GAS_DEFAULT, memoryBytes: env.CU_MEMORY_DEFAULT };
}

// The native driver: the same bundle and boot message; each message is built as the Lua table the
// evaluator's host builds (wasm: through the C API from the JS object), then handed to handle().
// Timed with os.clock (CPU seconds; the interpreter is single-threaded and CPU-bound).
const DRIVER = `
local clock, write, open = os.clock, io.write, io.open
local rt = load(open(arg[1]):read("a"), "=aos")()
local env = open(arg[2]):read("a")
local boot = open(arg[3]):read("a")
local accounts = {}
for line in open(arg[4]):lines() do accounts[#accounts + 1] = line end
local warmup, count = tonumber(arg[5]), tonumber(arg[6])
local PID, MODULE = arg[7], arg[8]
local fmt, tostring = string.format, tostring
local N = #accounts
rt.handle(boot, env)
-- the entry the CU's host calls (step: the flat result); handle (JSON) for the last, compared one
local entry = rt.step or rt.handle
local function transfer(k, fn)
  local n = k + 1
  local from = accounts[k % N + 1]
  return (fn or entry)({
    Id = fmt("msg-%039d", n), Owner = from, From = from, Target = PID, Data = "",
    Tags = {
      { name = "Data-Protocol", value = "ao" }, { name = "Variant", value = "ao.TN.1" }, { name = "Type", value = "Message" },
      { name = "Action", value = "Transfer" }, { name = "Recipient", value = accounts[(k * 7 + 1) % N + 1] },
      { name = "Quantity", value = tostring(1 + k % 100) },
    },
    Nonce = n, Epoch = 0, Timestamp = 1700000000000 + n * 1000, ["Block-Height"] = 1000000 + n // 100,
    ["Hash-Chain"] = "chain-" .. n, Cron = false, ["Read-Only"] = false, Module = MODULE,
  }, env)
end
for k = 0, warmup - 1 do transfer(k) end
local t0 = clock()
for k = warmup, warmup + count - 2 do transfer(k) end
local out = transfer(warmup + count - 1, rt.handle)
local dt = clock() - t0
write(fmt("%.6f\\n", dt), out, "\\n")
`;

export function hasNativeLua() {
  return spawnSync('lua5.4', ['-v'], { stdio: 'ignore' }).status === 0;
}

/** Writes the native driver and its inputs into `dir`. */
export async function prepareNative(dir, workload) {
  await writeFile(join(dir, 'aos.lua'), aosRuntimeSource());
  await writeFile(join(dir, 'driver.lua'), DRIVER);
  await writeFile(join(dir, 'env.json'), JSON.stringify(workload.env));
  await writeFile(join(dir, 'boot.json'), JSON.stringify(new MessageFactory(workload.env).processMessage(workload.bootCode)));
  await writeFile(join(dir, 'accounts.txt'), workload.accounts.join('\n'));
}

/** One native run: transfers per CPU second, and the last result (JSON text). */
export function measureNative(dir, workload, { warmup, count }) {
  const args = ['driver.lua', 'aos.lua', 'env.json', 'boot.json', 'accounts.txt', String(warmup), String(count), workload.env.Process.Id, workload.env.Module.Id];
  return new Promise((resolve, reject) => {
    const child = spawn('lua5.4', args, { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`lua5.4 exited ${code}: ${stderr.trim()}`));
      const newline = stdout.indexOf('\n');
      const seconds = Number(stdout.slice(0, newline));
      resolve({ rate: count / seconds, last: stdout.slice(newline + 1).trim() });
    });
  });
}

// Ordinary aos messages for the metering row: token Transfers alternating with a handler doing
// string work on a 1 KB text (gmatch over words, upper, gsub, rep, concat).
const WORDS_HANDLER = `
Handlers.add("Words", "Words", function(msg)
  local n, longest = 0, ""
  for w in msg.Data:gmatch("%a+") do n = n + 1 if #w > #longest then longest = w end end
  local shout, k = msg.Data:upper():gsub("THE", "the")
  local line = ("-"):rep(#longest) .. table.concat({ longest, tostring(n), tostring(k) }, ":")
  msg.reply({ Action = "Counted", Words = tostring(n), Longest = longest, Line = line, Length = tostring(#shout) })
end)`;
const TEXT = Array.from({ length: 24 }, (_, i) => `The quick brown fox ${i} jumps over the lazy dog and the cat.`).join(' ');

/** Transfers or Words messages on a process with metering as shipped or off; the rate, gas and last result. */
async function measureKind(factory, workload, limits, kind, { warmup, count }) {
  const booted = await bootToken(factory, { ...workload, bootCode: `${workload.bootCode}\n${WORDS_HANDLER}` }, limits);
  const { process: instance, msgs } = booted;
  const batch = (from, n) => (kind === 'transfer' ? transfers(workload, msgs, from, n) : Array.from({ length: n }, () => msgs.message({ Action: 'Words' }, { Data: TEXT })));
  const run = async (messages) => {
    let gas = 0;
    let last;
    for (const m of messages) {
      last = await instance.evaluate(m);
      if (last.Error !== undefined || last.Messages.length === 0) throw new Error(`${kind} message failed: ${last.Error ?? 'no reply'}`);
      gas += last.GasUsed;
    }
    return { gas, last };
  };
  try {
    await run(batch(0, warmup));
    const timed = batch(warmup, count);
    const started = performance.now();
    const { gas, last } = await run(timed);
    return { rate: count / ((performance.now() - started) / 1000), gas: gas / count, last };
  } finally {
    instance.close();
  }
}

/**
 * Metering as shipped vs off (LuaEvaluatorOptions.unmetered, a benchmark-only switch), runs
 * interleaved so both see the same machine: one row per kind of ordinary message.
 */
async function meteringRows({ runs, size, workload, limits, log }) {
  const metered = new LuaEvaluatorFactory();
  const unmetered = new LuaEvaluatorFactory({ unmetered: true });
  const rows = [];
  for (const [kind, label] of [['transfer', 'token Transfer'], ['words', 'string handler (gmatch, upper, gsub, rep, concat on 1.4 KB)']]) {
    const on = [];
    const off = [];
    log(`metering, ${kind}: ${runs} runs each of ${size.count} messages, as shipped and off, interleaved`);
    for (let i = 0; i < runs; i += 1) {
      on.push(await measureKind(metered, workload, limits, kind, size));
      off.push(await measureKind(unmetered, workload, limits, kind, size));
      log(`run ${i + 1}/${runs}: ${Math.round(on[i].rate)} vs ${Math.round(off[i].rate)} msg/s`);
    }
    const onRates = summarize(on.map((r) => r.rate));
    const offRates = summarize(off.map((r) => r.rate));
    const strip = (r) => ({ ...r, GasUsed: 0 });
    const same = isDeepStrictEqual(strip(on[0].last), strip(off[0].last));
    rows.push(
      row(`cu-eval: ${label}, metering as shipped`, onRates, 'msg/s', {
        anchor: 'same messages, metering off (no hook, no allocation cap, C string/table functions)',
        anchorFigure: offRates,
        note: `${Math.round(on[0].gas)} gas per message; ${same ? 'last result identical' : 'WARNING: last results differ'} metered and unmetered`,
      }),
    );
  }
  return rows;
}

export const bench = {
  name: 'cu-eval',
  async run({ quick, log }) {
    const runs = quick ? 2 : 5;
    const size = quick ? { warmup: 500, count: 3_000 } : { warmup: 2_000, count: 20_000 };
    const workload = tokenWorkload();
    const limits = defaultLimits();
    const factory = new LuaEvaluatorFactory();

    log(`evaluator: ${runs} runs of ${size.count} transfers (after ${size.warmup} warm-up) on a fresh token process each`);
    const wasm = await repeat(runs, () => measureWasm(factory, workload, limits, size), { log });
    const wasmRates = summarize(wasm.map((r) => r.rate));

    let native = null;
    const notes = [`${ACCOUNTS} accounts; each Transfer sends a Debit-Notice and a Credit-Notice; limits = CU defaults (gas ${limits.gas}, memory ${limits.memoryBytes / 2 ** 20} MiB)`];
    if (hasNativeLua()) {
      const tmp = await tempDir('lua');
      try {
        await prepareNative(tmp.dir, workload);
        log(`native lua5.4: ${runs} runs`);
        const runsNative = await repeat(runs, () => measureNative(tmp.dir, workload, size), { log });
        native = summarize(runsNative.map((r) => r.rate));
        // Same Lua, same messages: the last result must be the same (gas is not counted natively).
        const same = isDeepStrictEqual({ ...parseEvalResult(runsNative[0].last, 0), GasUsed: 0 }, { ...wasm[0].last, GasUsed: 0 });
        notes.push(same ? 'native last result identical to the evaluator\'s' : 'WARNING: native and evaluator results differ');
      } finally {
        await tmp.cleanup();
      }
    } else {
      log('lua5.4 is not on PATH: install it with `apt-get install lua5.4` (Debian/Ubuntu) for the anchor; reporting it as n/a');
      notes.push('anchor n/a: lua5.4 not installed (apt-get install lua5.4)');
    }
    const stats = wasm[0].stats;
    const metering = await meteringRows({ runs, size, workload, limits, log });
    return {
      rows: [
        row('cu-eval: token Transfer, one process', wasmRates, 'msg/s', {
          anchor: 'same aos bundle + blueprint in native lua5.4',
          anchorFigure: native,
          note: notes.join('; '),
        }),
        ...metering,
      ],
      details: { runs, ...size, accounts: ACCOUNTS, limits, evaluator: wasmRates, native, processStats: stats },
    };
  },
};

await mainIfScript(import.meta, bench);
