// A worker thread of cu-parallel: boots its share of token processes, then on each "prepare"
// builds the next transfers of every process, and on "go" evaluates them round-robin (one
// message per process in turn, as a CU interleaves its live processes).
// Loads no @ao/infra: its index loads arlocal's native secp256k1 4.x, which corrupts the heap when
// loaded in the main thread and in a worker thread that exits (SIGSEGV, "corrupted size vs. prev_size").
import { parentPort, workerData } from 'node:worker_threads';
import { LuaEvaluatorFactory } from '@ao/core';
import { bootToken, evaluateAll, tokenWorkload, transfers } from './token-workload.js';

const factory = new LuaEvaluatorFactory();
const { limits } = workerData;
const live = [];
for (const processId of workerData.processIds) {
  const workload = tokenWorkload(processId);
  live.push({ workload, ...(await bootToken(factory, workload, limits)) });
}
let next = 0;
let batch = [];

parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'prepare') {
      batch = live.map((p) => transfers(p.workload, p.msgs, next, msg.count));
      next += msg.count;
      parentPort.postMessage({ type: 'prepared' });
    } else if (msg.type === 'go') {
      const count = batch[0]?.length ?? 0;
      for (let k = 0; k < count; k += 1) {
        for (let i = 0; i < live.length; i += 1) await evaluateAll(live[i].process, [batch[i][k]]);
      }
      batch = [];
      parentPort.postMessage({ type: 'done', messages: count * live.length });
    } else if (msg.type === 'close') {
      for (const p of live) p.process.close();
      parentPort.close();
    }
  } catch (error) {
    parentPort.postMessage({ type: 'error', message: error.stack ?? String(error) });
  }
});
parentPort.postMessage({ type: 'ready', processes: live.length });
