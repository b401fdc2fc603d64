// e2e: signed token Transfers POSTed to /mu/ of the real API, evaluated by real workers (BullMQ
// pipeline, evaluation threads), each followed until its result is served by GET /cu/result and
// its outbox (Debit-Notice, Credit-Notice) is pushed (results.crank_status = done). The API, each
// worker and the gateway run as their own processes (`npm run api` / `npm run worker`), as in a
// deployment; this process only offers load and watches. At fixed offered loads (open loop), and
// at saturation (closed loop) with one worker process and then two. Anchor: a raw BullMQ job
// round trip (add → a worker completes it) on the same Redis.
import { Queue, Worker } from 'bullmq';
import { createDataItem } from '@ao/core';
import { tokenBootCode } from '@ao/agents';
import { createRedis } from '@ao/infra';
import { Agent } from 'node:http';
import { aoTags, httpRequest, mainIfScript, newUser, percentile, pool, randomAnchor, repeat, row, sleep, summarize, transferTags, uniqueId } from './lib.js';
import { startPlatform } from './platform.js';

const PROCESSES = Number(process.env.BENCH_E2E_PROCESSES ?? 100);
const USERS = 20;
const SATURATION_CLIENTS = Number(process.env.BENCH_E2E_CLIENTS ?? 64);
const DRAIN_TIMEOUT_MS = 90_000;
/** Saturation rounds that warm up an added worker process before it is measured. */
const WARM_UP_ROUNDS = 3;

/** Follows messages until their result's outbox is pushed, polling the results table (every 20 ms). */
class CrankWatcher {
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
async function postMu(url, raw) {
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
async function getResult(url, processId, messageId) {
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
async function oneMessage(platform, watcher, msg) {
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

function figures(outcomes, started) {
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
async function fixedLoad(platform, watcher, msgs, rate) {
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
async function saturation(platform, watcher, msgs, clients) {
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
async function bullmqAnchor(env, { sequential, total, clients }) {
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

export const bench = {
  name: 'e2e',
  async run({ quick, log }) {
    const runs = quick ? 1 : 2;
    const rates = process.env.BENCH_E2E_RATES ? process.env.BENCH_E2E_RATES.split(',').map(Number) : quick ? [20] : [50, 500];
    const seconds = quick ? 3 : 4;
    const saturationCount = quick ? 100 : 400;
    const platform = await startPlatform(log, { workers: 1 });
    const watcher = new CrankWatcher(platform.prisma);
    try {
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
      const sign = async (count) => {
        const out = [];
        for (let i = 0; i < count; i += 1, k += 1) {
          const processId = processIds[k % PROCESSES];
          const item = await createDataItem(
            { data: '', target: processId, anchor: randomAnchor(), tags: transferTags(users[(k * 7 + 1) % USERS].address, 1) },
            users[k % USERS],
          );
          out.push({ raw: item.raw, id: item.id, processId });
        }
        return out;
      };

      log('warm-up');
      await fixedLoad(platform, watcher, await sign(40), 20);
      const fixed = [];
      for (const rate of rates) {
        log(`fixed load, 1 worker process: ${runs} runs of ${seconds} s at ${rate} msg/s`);
        fixed.push({ rate, runs: await repeat(runs, async () => fixedLoad(platform, watcher, await sign(Math.round(rate * seconds)), rate), { log }) });
      }
      const saturated = [];
      for (const workers of [1, 2]) {
        if (platform.workers < workers) {
          while (platform.workers < workers) await platform.addWorker();
          // A new worker process starts cold (JIT, its evaluation threads, live instances of the
          // processes it gets): warm it up too before measuring. Jobs go to either worker at random,
          // so it meets every process only after several rounds, and each first meeting is a cold
          // start (the process booted and replayed); one round left half of them cold.
          log(`warm-up with ${workers} worker processes: ${WARM_UP_ROUNDS} rounds`);
          for (let i = 0; i < WARM_UP_ROUNDS; i += 1) await saturation(platform, watcher, await sign(saturationCount), SATURATION_CLIENTS);
        }
        log(`saturation, ${workers} worker process(es): ${runs} runs of ${saturationCount} messages from ${SATURATION_CLIENTS} clients`);
        saturated.push({ workers, runs: await repeat(runs, async () => saturation(platform, watcher, await sign(saturationCount), SATURATION_CLIENTS), { log }) });
      }

      // Where the gateway uploads stand once the load is over: the e2e figures count a message done
      // when its notices are stored for upload, so a gateway that indexes slower than the platform
      // produces shows here as a backlog, not in the throughput.
      const uploads = Object.fromEntries(
        (await platform.prisma.$queryRaw`SELECT status, count(*)::int AS n FROM upload_outbox GROUP BY status`).map((r) => [r.status, r.n]),
      );
      log(`upload outbox after the saturation runs: ${JSON.stringify(uploads)}`);

      log('anchor: raw BullMQ round trips');
      const anchors = await repeat(runs, () => bullmqAnchor(platform.env, { sequential: quick ? 200 : 1_000, total: quick ? 1_000 : 5_000, clients: SATURATION_CLIENTS }));

      const failedJobs = await (await fetch(`${platform.url}/mu/failed`, { headers: { authorization: `Bearer ${platform.adminToken}` } })).json().catch(() => []);
      const all = [...fixed, ...saturated].flatMap((m) => m.runs);
      const timedOut = all.filter((r) => r.timedOut).length;
      const refused = all.reduce((n, r) => n + (r.refused ?? 0), 0);
      const pick = (list, key) => summarize(list.map((r) => r[key]));
      const problems = [
        timedOut ? `${timedOut} run(s) did not drain within ${DRAIN_TIMEOUT_MS / 1000} s` : '',
        refused ? `${refused} POSTs refused (not 202)` : '',
        Array.isArray(failedJobs) && failedJobs.length ? `${failedJobs.length} pipeline jobs failed for good` : '',
        watcher.failed ? `${watcher.failed} cranks failed` : '',
      ].filter(Boolean);
      const setup = `${PROCESSES} token processes, Transfers from ${USERS} Ed25519 users, each with 2 pushed notices; API, each worker (${platform.env.CU_THREADS} evaluation threads, concurrency ${platform.env.WORKER_CONCURRENCY}) and the gateway in their own processes; done = GET /cu/result answered and results.crank_status = done (polled every 20 ms)`;
      const rows = [];
      for (const [i, { rate, runs: r }] of fixed.entries()) {
        rows.push(
          row(`e2e: throughput at ${rate} msg/s offered`, pick(r, 'rate'), 'msg/s', { anchor: 'offered load', anchorFigure: summarize([rate]), note: i === 0 ? [setup, ...problems].join('; ') : undefined }),
          row(`e2e: latency p50 at ${rate} msg/s`, pick(r, 'p50'), 'ms', { anchor: 'BullMQ round trip p50', anchorFigure: pick(anchors, 'p50') }),
          row(`e2e: latency p99 at ${rate} msg/s`, pick(r, 'p99'), 'ms', { anchor: 'BullMQ round trip p99', anchorFigure: pick(anchors, 'p99') }),
          // the issue's measure: POST /mu/ until GET /cu/result answers (the pushes may still run)
          row(`e2e: POST→result p50 at ${rate} msg/s`, pick(r, 'resultP50'), 'ms', { anchor: 'BullMQ round trip p50', anchorFigure: pick(anchors, 'p50') }),
          row(`e2e: POST→result p99 at ${rate} msg/s`, pick(r, 'resultP99'), 'ms', { anchor: 'BullMQ round trip p99', anchorFigure: pick(anchors, 'p99') }),
        );
      }
      const [one, two] = saturated;
      rows.push(
        row(`e2e: saturation, 1 worker process, ${SATURATION_CLIENTS} clients`, pick(one.runs, 'rate'), 'msg/s', {
          anchor: `BullMQ round trips, ${SATURATION_CLIENTS} clients`,
          anchorFigure: pick(anchors, 'rate'),
          note: `closed loop; latency p50 ${pick(one.runs, 'p50').median?.toFixed(0)} ms, p99 ${pick(one.runs, 'p99').median?.toFixed(0)} ms; anchor: no-op job, worker concurrency ${platform.env.WORKER_CONCURRENCY}`,
        }),
        row(`e2e: saturation, 2 worker processes, ${SATURATION_CLIENTS} clients`, pick(two.runs, 'rate'), 'msg/s', {
          anchor: 'saturation with 1 worker process',
          anchorFigure: pick(one.runs, 'rate'),
          note: `closed loop; latency p50 ${pick(two.runs, 'p50').median?.toFixed(0)} ms, p99 ${pick(two.runs, 'p99').median?.toFixed(0)} ms; the ratio is the scaling from 1 to 2 worker processes on this machine's cores; upload outbox right after: ${['pending', 'uploaded', 'confirmed', 'failed'].map((k) => `${uploads[k] ?? 0} ${k}`).join(', ')}`,
        }),
      );
      return {
        rows,
        details: { runs, rates, seconds, saturationCount, fixed, saturated, uploads, bullmq: anchors, failedJobs: Array.isArray(failedJobs) ? failedJobs.length : failedJobs, crankFailures: watcher.failed },
      };
    } finally {
      watcher.stop();
      await platform.stop();
      agent.destroy();
    }
  },
};

await mainIfScript(import.meta, bench);
