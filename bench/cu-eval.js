// cu-eval: aos token Transfers through Handlers on one live process (the CU's Lua evaluator),
// beside the same Lua (the aos runtime bundle + the token blueprint) in the native lua5.4.
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { LuaEvaluatorFactory, MessageFactory, aosRuntimeSource, parseEvalResult } from '@ao/core';
import { parseEnv } from '@ao/infra';
import { mainIfScript, repeat, row, summarize, tempDir } from './lib.js';
import { ACCOUNTS, measureWasm, tokenWorkload } from './token-workload.js';

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
    return {
      rows: [
        row('cu-eval: token Transfer, one process', wasmRates, 'msg/s', {
          anchor: 'same aos bundle + blueprint in native lua5.4',
          anchorFigure: native,
          note: notes.join('; '),
        }),
      ],
      details: { runs, ...size, accounts: ACCOUNTS, limits, evaluator: wasmRates, native, processStats: stats },
    };
  },
};

await mainIfScript(import.meta, bench);
