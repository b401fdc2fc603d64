// cu-parallel: token Transfers over 100 live processes, spread over one worker thread per core
// (each thread has its own evaluator and owns its processes, as the worker's EvaluationPool
// routes a process to one thread), beside cu-eval × available cores measured in the same run.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LuaEvaluatorFactory } from '@ao/core';
import { defaultLimits } from './cu-eval.js';
import { mainIfScript, repeat, row, summarize } from './lib.js';
import { measureWasm, tokenWorkload } from './token-workload.js';

const PROCESSES = 100;

/** Starts `threads` workers owning PROCESSES processes between them (round-robin). */
async function startThreads(threads, limits) {
  const ids = Array.from({ length: PROCESSES }, (_, i) => `bench-process-${String(i).padStart(29, '0')}`);
  const workers = Array.from({ length: threads }, (_, t) => {
    const worker = new Worker(new URL('./cu-parallel-thread.js', import.meta.url), { workerData: { processIds: ids.filter((_, i) => i % threads === t), limits } });
    return worker;
  });
  await Promise.all(workers.map((w) => reply(w, 'ready')));
  return workers;
}

function reply(worker, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (msg) => {
      if (msg.type === 'error') done(reject, new Error(msg.message));
      else if (msg.type === type) done(resolve, msg);
    };
    const onError = (error) => done(reject, error);
    const onExit = (code) => done(reject, new Error(`thread exited with code ${code}`));
    const done = (fn, value) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      fn(value);
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

/** One timed round: every thread evaluates `count` transfers on each of its processes. */
async function round(workers, count) {
  await Promise.all(workers.map((w) => (w.postMessage({ type: 'prepare', count }), reply(w, 'prepared'))));
  const started = performance.now();
  const done = await Promise.all(workers.map((w) => (w.postMessage({ type: 'go' }), reply(w, 'done'))));
  const seconds = (performance.now() - started) / 1000;
  return done.reduce((n, d) => n + d.messages, 0) / seconds;
}

async function measure(threads, limits, { runs, warmup, count }, log) {
  log(`${PROCESSES} processes on ${threads} thread(s): booting`);
  const workers = await startThreads(threads, limits);
  try {
    await round(workers, warmup);
    const rates = await repeat(runs, () => round(workers, count), { log });
    return summarize(rates);
  } finally {
    for (const w of workers) w.postMessage({ type: 'close' });
    await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  }
}

export const bench = {
  name: 'cu-parallel',
  async run({ quick, log }) {
    const cores = availableParallelism();
    // Five runs spread by a few per cent (2026-11-27): three still give a median and the spread.
    const runs = quick ? 1 : 3;
    const perProcess = quick ? { warmup: 5, count: 30 } : { warmup: 50, count: 300 };
    const single = quick ? { warmup: 500, count: 3_000 } : { warmup: 2_000, count: 20_000 };

    log(`anchor: cu-eval on one process, ${runs} runs`);
    const factory = new LuaEvaluatorFactory();
    const workload = tokenWorkload();
    const limits = defaultLimits();
    const one = summarize((await repeat(Math.max(runs, 2), () => measureWasm(factory, workload, limits, single))).map((r) => r.rate));
    const scaled = (k) => ({ ...one, median: one.median * k, min: one.min * k, max: one.max * k, p25: one.p25 * k, p75: one.p75 * k, samples: one.samples.map((x) => x * k) });

    const parallel = await measure(cores, limits, { runs, ...perProcess }, log);
    const serial = cores > 1 ? await measure(1, limits, { runs, ...perProcess }, log) : parallel;
    const note = `${PROCESSES} token processes, ${perProcess.count} transfers each per run, evaluated round-robin; worker_threads, each with its own LuaEvaluatorFactory owning its processes`;
    return {
      rows: [
        row(`cu-parallel: ${PROCESSES} processes, ${cores} threads`, parallel, 'msg/s', { anchor: `cu-eval × ${cores} cores`, anchorFigure: scaled(cores), note }),
        ...(cores > 1 ? [row(`cu-parallel: ${PROCESSES} processes, 1 thread`, serial, 'msg/s', { anchor: 'cu-eval (1 process)', anchorFigure: one })] : []),
      ],
      details: { cores, processes: PROCESSES, runs, ...perProcess, cuEval: one, parallel, serial },
    };
  },
};

await mainIfScript(import.meta, bench);
