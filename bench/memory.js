// memory: RSS per idle live process. N token processes are created by the CU's evaluator and
// booted, then left idle; RSS growth / N, sampled along the way. Stops early (and says
// so) when a time or memory budget runs out.
import { freemem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LuaEvaluatorFactory, MessageFactory, aosModuleDef, testEnv } from '@ao/core';
import { tokenBootCode } from '@ao/agents';
import { defaultLimits } from './cu-eval.js';
import { mainIfScript, row, sleep, summarize } from './lib.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const MiB = 2 ** 20;

async function settledRss() {
  gc();
  await sleep(50);
  gc();
  return process.memoryUsage().rss;
}

export const bench = {
  name: 'memory',
  async run({ quick, log }) {
    const target = quick ? 200 : 10_000;
    const timeBudgetMs = quick ? 30_000 : 150_000;
    const rssBudget = Math.min(16 * 2 ** 30, freemem() * 0.5);
    // Budgets may stop the run early: sample often enough to have a spread anyway.
    const sampleEvery = Math.min(Math.ceil(target / 10), 200);
    const factory = new LuaEvaluatorFactory();
    const limits = defaultLimits();
    const bootCode = tokenBootCode({ name: 'Idle Coin', ticker: 'IDLE', balances: { 'account-a': '1000', 'account-b': '2000' } });
    const create = async (i) => {
      const env = testEnv([{ name: 'On-Boot', value: 'Data' }], `idle-process-${String(i).padStart(30, '0')}`);
      const instance = await factory.create(aosModuleDef(), env, limits);
      const boot = await instance.evaluate(new MessageFactory(env).processMessage(bootCode));
      if (boot.Error !== undefined) throw new Error(`boot failed: ${boot.Error}`);
      return instance;
    };

    // The first process pays for compiling the WebAssembly module: not part of any process's cost.
    (await create(-1)).close();
    const base = await settledRss();
    const live = [];
    const createMs = [];
    const perProcess = [];
    const started = performance.now();
    let stoppedBy = null;
    log(`creating up to ${target} processes (budget ${timeBudgetMs / 1000} s, ${(rssBudget / 2 ** 30).toFixed(1)} GiB RSS)`);
    while (live.length < target) {
      const t0 = performance.now();
      live.push(await create(live.length));
      createMs.push(performance.now() - t0);
      if (live.length % sampleEvery === 0) {
        const rss = await settledRss();
        perProcess.push((rss - base) / live.length / MiB);
        log(`${live.length} live: ${perProcess.at(-1).toFixed(2)} MiB/process, last create+boot ${createMs.at(-1).toFixed(1)} ms`);
      }
      if (performance.now() - started > timeBudgetMs) stoppedBy = 'time budget';
      else if (process.memoryUsage().rss > rssBudget) stoppedBy = 'memory budget';
      if (stoppedBy) break;
    }
    await sleep(1000); // idle
    const rss = await settledRss();
    const n = live.length;
    perProcess.push((rss - base) / n / MiB);
    const stats = live[0].stats();
    for (const p of live) p.close();

    const tenth = Math.max(1, Math.floor(n / 10));
    const first = summarize(createMs.slice(0, tenth));
    const last = summarize(createMs.slice(-tenth));
    const reached = stoppedBy ? `stopped by the ${stoppedBy} at ${n.toLocaleString('en-US')} of the ${target.toLocaleString('en-US')} processes targeted` : `${n.toLocaleString('en-US')} processes`;
    return {
      rows: [
        row(`memory: RSS per idle process, ${n.toLocaleString('en-US')} live`, summarize(perProcess), 'MiB', {
          note: `${reached}; token processes booted then idle; RSS growth / N sampled every ${sampleEvery} processes and at the end; each process: ${(stats.linearMemoryBytes / MiB).toFixed(0)} MiB of WebAssembly memory (mostly untouched), ${(stats.luaMemoryBytes / MiB).toFixed(2)} MiB used by Lua, a ${(stats.restorePointBytes / MiB).toFixed(2)} MiB restore point held in JS; total RSS ${(rss / 2 ** 30).toFixed(2)} GiB`,
        }),
        row(`memory: create + boot with ${n.toLocaleString('en-US')} live`, last, 'ms', {
          anchor: 'same, first tenth of the processes',
          anchorFigure: first,
          note: 'per process, over the last tenth created',
        }),
      ],
      details: { target, reached: n, stoppedBy, baseRss: base, finalRss: rss, perProcessMiB: perProcess, createMsFirstTenth: first, createMsLastTenth: last, processStats: stats },
    };
  },
};

await mainIfScript(import.meta, bench);
