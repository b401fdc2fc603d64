// The e2e workload, shared by the e2e and pipeline benchmarks: token processes spawned through
// POST /mu/, signed Transfers, a message followed from POST /mu/ until its result is served and its
// outbox pushed, open-loop (fixed rate) and closed-loop (saturation) drivers, and the raw BullMQ
// round-trip anchor.
import { Queue, Worker } from 'bullmq';
import { createDataItem } from '@ao/core';
import { tokenBootCode } from '@ao/agents';
import { createRedis } from '@ao/infra';
import { Agent } from 'node:http';
import { aoTags, httpRequest, newUser, percentile, pool, randomAnchor, sleep, transferTags, uniqueId } from './lib.js';

export const PROCESSES = Number(process.env.BENCH_E2E_PROCESSES ?? 100);
export const USERS = 20;
export const SATURATION_CLIENTS = Number(process.env.BENCH_E2E_CLIENTS ?? 64);
export const DRAIN_TIMEOUT_MS = 90_000;

/** Follows messages until their result's outbox is pushed, polling the results table (every 20 ms). */
export class CrankWatcher {
  constructor(prisma) {
    this.prisma = prisma;
    this.waiting = new Map();
    this.failed = 0;
    this.timer = setInterval(() => void this.poll(), 20);
  }
  /** Resolves with the time the crank was seen done (or failed). */
  wait(messageId) {
    return new Promise((resolve) => this.waiting.set(messageId, resolve));
  }
  async poll() {
    if (this.polling || this.waiting.size === 0) return;
    this.polling = true;
    try {
      // One light query (an id array, no ORM query building): this process shares the CPU with the platform it measures.
      const rows = await this.prisma.$queryRaw`
        SELECT message_id, crank_status FROM results WHERE message_id = ANY(${[...this.waiting.keys()]}::text[]) AND crank_status IN ('done', 'failed')`;
      const now = performance.now();
      for (const r of rows) {
        if (r.crank_status === 'failed') this.failed += 1;
        this.waiting.get(r.message_id)?.(now);
        this.waiting.delete(r.message_id);
      }
    } catch {
      // transient: try again at the next tick
    } finally {
      this.polling = false;
    }
  }
  stop() {
    clearInterval(this.timer);
  }
}

// The load generator's requests go on keep-alive sockets through node:http (see httpRequest).
const agent = new Agent({ keepAlive: true });

/** POSTs a raw item to /mu/; returns the status (0 when the connection failed: counted as refused). */
export async function postMu(url, raw) {
  try {
    return (await httpRequest(agent, `${url}/mu/`, { method: 'POST', body: raw })).status;
  } catch {
    return 0;
  }
}

/**
 * Waits for GET /cu/result (which itself waits up to RESULT_TIMEOUT_MS per call). A GET is
 * idempotent: a reset connection (a keep-alive socket the loaded server closed) is asked again.
 */
export async function getResult(url, processId, messageId) {
  for (let failures = 0; ; ) {
    let res;
    try {
      res = await httpRequest(agent, `${url}/cu/result/${messageId}?process-id=${processId}`);
    } catch (error) {
      if ((failures += 1) > 5) throw error;
      await sleep(100 * failures);
      continue;
    }
    const body = JSON.parse(res.text);
    if (res.status === 200) return body;
    if (res.status !== 202) throw new Error(`GET /cu/result answered ${res.status}: ${JSON.stringify(body)}`);
  }
}

/** One message end to end; resolves with its timings, or with the reason it did not complete. */
export async function oneMessage(platform, watcher, msg) {
  const sent = performance.now();
  const status = await postMu(platform.url, msg.raw);
  if (status !== 202) return { status };
  const done = watcher.wait(msg.id);
  const result = await getResult(platform.url, msg.processId, msg.id);
  if (result.Error !== undefined) throw new Error(`transfer failed: ${result.Error}`);
  const resultAt = performance.now();
  const doneAt = await done;
  return { status, sent, resultMs: resultAt - sent, doneMs: doneAt - sent, doneAt };
}

/** Waits for all `tasks` or the drain timeout; counts the ones that did not finish. */
async function settle(tasks) {
  let timedOut = false;
  const timer = sleep(DRAIN_TIMEOUT_MS).then(() => (timedOut = true));
  const settled = await Promise.race([Promise.allSettled(tasks), timer.then(() => null)]);
  if (!settled) return { outcomes: [], timedOut };
  const crashed = settled.find((s) => s.status === 'rejected');
  if (crashed) throw crashed.reason;
  return { outcomes: settled.map((s) => s.value), timedOut };
}

export function figures(outcomes, started) {
  const ok = outcomes.filter((o) => o.status === 202);
  if (ok.length === 0) return { completed: 0, refused: outcomes.length, rate: NaN, p50: NaN, p99: NaN, resultP50: NaN, resultP99: NaN };
  const last = Math.max(...ok.map((o) => o.doneAt));
  return {
    completed: ok.length,
    refused: outcomes.length - ok.length,
    rate: ok.length / ((last - started) / 1000),
    p50: percentile(ok.map((o) => o.doneMs), 50),
    p99: percentile(ok.map((o) => o.doneMs), 99),
    resultP50: percentile(ok.map((o) => o.resultMs), 50),
    resultP99: percentile(ok.map((o) => o.resultMs), 99),
  };
}

/** Open loop: message i is sent at started + i / rate, whatever happened to the earlier ones. */
export async function fixedLoad(platform, watcher, msgs, rate) {
  const started = performance.now();
  const tasks = [];
  for (let i = 0; i < msgs.length; i += 1) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    tasks.push(oneMessage(platform, watcher, msgs[i]));
  }
  const { outcomes, timedOut } = await settle(tasks);
  if (timedOut) return { completed: 0, timedOut: true, rate: NaN, p50: NaN, p99: NaN, resultP50: NaN, resultP99: NaN };
  return figures(outcomes, started);
}

/** Closed loop: `clients` clients, each sending its next message once the previous one is done. */
export async function saturation(platform, watcher, msgs, clients) {
  const started = performance.now();
  let next = 0;
  const outcomes = [];
  const tasks = Array.from({ length: clients }, async () => {
    while (next < msgs.length) outcomes.push(await oneMessage(platform, watcher, msgs[next++]));
  });
  const { timedOut } = await settle(tasks);
  if (timedOut) return { completed: 0, timedOut: true, rate: NaN, p50: NaN, p99: NaN, resultP50: NaN, resultP99: NaN };
  return figures(outcomes, started);
}

/** Raw BullMQ on the same Redis: a no-op job's round trip, one at a time and from `clients` clients. */
export async function bullmqAnchor(env, { sequential, total, clients }) {
  const name = `bench-raw-${uniqueId()}`;
  const producer = createRedis(env.REDIS_URL, 'producer');
  const queue = new Queue(name, { connection: producer, prefix: env.REDIS_PREFIX });
  const waiting = new Map();
  const worker = new Worker(name, async () => 'ok', { connection: createRedis(env.REDIS_URL, 'worker'), prefix: env.REDIS_PREFIX, concurrency: env.WORKER_CONCURRENCY });
  worker.on('completed', (job) => {
    waiting.get(job.id)?.(performance.now());
    waiting.delete(job.id);
  });
  await worker.waitUntilReady();
  let n = 0;
  const roundTrip = async () => {
    const id = `j${(n += 1)}`;
    const done = new Promise((resolve) => waiting.set(id, resolve));
    const t0 = performance.now();
    await queue.add('noop', { n }, { jobId: id, removeOnComplete: true });
    return (await done) - t0;
  };
  try {
    for (let i = 0; i < 100; i += 1) await roundTrip(); // warm-up
    const latencies = [];
    for (let i = 0; i < sequential; i += 1) latencies.push(await roundTrip());
    let left = total;
    const started = performance.now();
    await Promise.all(Array.from({ length: clients }, async () => {
      while (left-- > 0) await roundTrip();
    }));
    const rate = total / ((performance.now() - started) / 1000);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rate };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    producer.disconnect();
  }
}

/**
 * Spawns PROCESSES token processes (each waited for until booted) with USERS funded users; answers
 * `sign(count)`, which signs the next `count` Transfers, round robin over the processes.
 */
export async function tokenWorkload(platform, log) {
  const info = await (await fetch(`${platform.url}/info`)).json();
  const su = info.scheduler.address;
  const moduleId = info.modules['lua-5.4-aos'];
  const users = await Promise.all(Array.from({ length: USERS }, newUser));
  const balances = Object.fromEntries(users.map((u) => [u.address, '1000000000000000']));
  log(`spawning ${PROCESSES} token processes`);
  const processIds = new Array(PROCESSES);
  await pool(PROCESSES, 10, async (i) => {
    const p = await createDataItem(
      {
        data: tokenBootCode({ name: `E2E ${i}`, ticker: 'E2E', balances }),
        anchor: randomAnchor(),
        tags: [...aoTags('Process'), { name: 'Module', value: moduleId }, { name: 'Scheduler', value: su }, { name: 'On-Boot', value: 'Data' }],
      },
      users[0],
    );
    if ((await postMu(platform.url, p.raw)) !== 202) throw new Error('spawn refused');
    const boot = await getResult(platform.url, p.id, p.id);
    if (boot.Error !== undefined) throw new Error(`boot failed: ${boot.Error}`);
    processIds[i] = p.id;
  });
  let k = 0;
  return async function sign(count) {
    const out = [];
    for (let i = 0; i < count; i += 1) {
      // Taken before the await: concurrent callers (the pipeline bench's clients) get their own turns.
      const n = k;
      k += 1;
      const processId = processIds[n % PROCESSES];
      const item = await createDataItem({ data: '', target: processId, anchor: randomAnchor(), tags: transferTags(users[(n * 7 + 1) % USERS].address, 1) }, users[n % USERS]);
      out.push({ raw: item.raw, id: item.id, processId });
    }
    return out;
  };
}

/** Closes the load generator's keep-alive sockets. */
export function closeWorkload() {
  agent.destroy();
}
