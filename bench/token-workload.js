// The token workload shared by cu-eval, cu-parallel (and its threads) and memory: a token process
// of the agents' blueprint with many accounts, and Transfers between them. Imports only the domain
// libraries (@ao/core, @ao/agents), so worker threads can load it without @ao/infra.
import { createHash } from 'node:crypto';
import { MessageFactory, aosModuleDef, testEnv } from '@ao/core';
import { tokenBootCode } from '@ao/agents';
import { transferTags } from './lib.js';

export const ACCOUNTS = 1000;

/**
 * The token workload: ACCOUNTS accounts with a large balance each; transfer k goes from account
 * k mod N to account (7k+1) mod N (never the sender) with quantity 1 + k mod 100.
 */
export function tokenWorkload(processId) {
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => createHash('sha256').update(`bench-account-${i}`).digest('base64url'));
  const bootCode = tokenBootCode({ name: 'Bench Coin', ticker: 'BENCH', balances: Object.fromEntries(accounts.map((a) => [a, '1000000000000000'])) });
  const env = testEnv([{ name: 'On-Boot', value: 'Data' }, { name: 'Name', value: 'bench-token' }], processId);
  return { accounts, bootCode, env };
}

/** A booted token process and its message factory. */
export async function bootToken(factory, workload, limits) {
  const instance = await factory.create(aosModuleDef(), workload.env, limits);
  const msgs = new MessageFactory(workload.env);
  const boot = await instance.evaluate(msgs.processMessage(workload.bootCode));
  if (boot.Error !== undefined) throw new Error(`token boot failed: ${boot.Error}`);
  return { process: instance, msgs };
}

/** Transfer messages k = from .. from+count-1 of the workload. */
export function transfers(workload, msgs, from, count) {
  const { accounts } = workload;
  const out = [];
  for (let k = from; k < from + count; k += 1) {
    const sender = accounts[k % accounts.length];
    out.push(msgs.message(transferTags(accounts[(k * 7 + 1) % accounts.length], 1 + (k % 100)), { From: sender, Owner: sender }));
  }
  return out;
}

/** Evaluates `messages` in order and checks each succeeded; returns the last result. */
export async function evaluateAll(instance, messages) {
  let last;
  for (const m of messages) {
    last = await instance.evaluate(m);
    if (last.Error !== undefined || last.Messages.length !== 2) throw new Error(`transfer failed: ${last.Error ?? JSON.stringify(last.Messages)}`);
  }
  return last;
}

/** One run on the evaluator: a fresh booted process, `warmup` untimed transfers, `count` timed ones. */
export async function measureWasm(factory, workload, limits, { warmup, count }) {
  const { process: instance, msgs } = await bootToken(factory, workload, limits);
  try {
    await evaluateAll(instance, transfers(workload, msgs, 0, warmup));
    const timed = transfers(workload, msgs, warmup, count);
    const started = performance.now();
    const last = await evaluateAll(instance, timed);
    const seconds = (performance.now() - started) / 1000;
    return { rate: count / seconds, last, stats: instance.stats() };
  } finally {
    instance.close();
  }
}
