// wasm-eval: token Transfers on one live WASM process (wasm32-ao-json-1, the test token module:
// balances in linear memory, fuel-metered), beside the Lua evaluator's aos token (cu-eval's
// workload, measured here in the same run) as anchor.
import { LuaEvaluatorFactory, MessageFactory, WasmEvaluatorFactory, testEnv, tokenModuleWasm, wasmModuleDef } from '@ao/core';
import { defaultLimits } from './cu-eval.js';
import { mainIfScript, repeat, row, summarize, transferTags } from './lib.js';
import { ACCOUNTS, measureWasm as measureLua, tokenWorkload } from './token-workload.js';

/** One run: a fresh WASM token process, a Mint per account, `warmup` untimed transfers, `count` timed ones. */
async function measureWasmToken(factory, source, accounts, limits, { warmup, count }) {
  const env = testEnv([{ name: 'Name', value: 'bench-wasm-token' }]);
  const instance = await factory.create(wasmModuleDef(source), env, limits);
  const msgs = new MessageFactory(env);
  const transfer = (k) => {
    const sender = accounts[k % accounts.length];
    return msgs.message(transferTags(accounts[(k * 7 + 1) % accounts.length], 1 + (k % 100)), { From: sender, Owner: sender });
  };
  const run = async (messages) => {
    let last;
    for (const m of messages) {
      last = await instance.evaluate(m);
      if (last.Error !== undefined) throw new Error(`wasm token: ${last.Error}`);
    }
    return last;
  };
  try {
    await run([msgs.processMessage(), ...accounts.map((a) => msgs.message({ Action: 'Mint', Quantity: '1000000000000000' }, { From: a, Owner: a }))]);
    await run(Array.from({ length: warmup }, (_, k) => transfer(k)));
    const timed = Array.from({ length: count }, (_, k) => transfer(warmup + k));
    const started = performance.now();
    const last = await run(timed);
    const seconds = (performance.now() - started) / 1000;
    if (last.Messages.length !== 1) throw new Error('wasm token: a Transfer sent no Credit-Notice');
    return { rate: count / seconds, gasPerMessage: last.GasUsed };
  } finally {
    instance.close();
  }
}

export const bench = {
  name: 'wasm-eval',
  async run({ quick, log }) {
    const runs = quick ? 2 : 5;
    const size = quick ? { warmup: 500, count: 3_000 } : { warmup: 2_000, count: 20_000 };
    const anchorRuns = quick ? 1 : 3;
    const limits = defaultLimits();
    const workload = tokenWorkload();
    const source = await tokenModuleWasm();
    const wasmFactory = new WasmEvaluatorFactory();

    log(`wasm: ${runs} runs of ${size.count} transfers (after ${ACCOUNTS} mints and ${size.warmup} warm-up) on a fresh process each`);
    const wasm = await repeat(runs, () => measureWasmToken(wasmFactory, source, workload.accounts, limits, size), { log });
    log(`lua anchor (cu-eval's workload): ${anchorRuns} runs`);
    const lua = await repeat(anchorRuns, () => measureLua(new LuaEvaluatorFactory(), workload, limits, size), { log });
    const wasmRates = summarize(wasm.map((r) => r.rate));
    const luaRates = summarize(lua.map((r) => r.rate));
    return {
      rows: [
        row('wasm-eval: token Transfer, one WASM process', wasmRates, 'msg/s', {
          anchor: 'cu-eval (aos token in the Lua evaluator), same run',
          anchorFigure: luaRates,
          note: `${ACCOUNTS} accounts in a linear table in memory; each Transfer sends one Credit-Notice; ~${wasm[0].gasPerMessage} fuel per Transfer; limits = CU defaults (gas ${limits.gas}, memory ${limits.memoryBytes / 2 ** 20} MiB). Not the same program as the aos token: a throughput anchor, not a like-for-like comparison`,
        }),
      ],
      details: { runs, anchorRuns, ...size, accounts: ACCOUNTS, limits, wasm: wasmRates, lua: luaRates, gasPerMessage: wasm.map((r) => r.gasPerMessage) },
    };
  },
};

await mainIfScript(import.meta, bench);
