// e2e: signed token Transfers POSTed to /mu/ of the real API, evaluated by real workers (BullMQ
// pipeline, evaluation threads), each followed until its result is served by GET /cu/result and
// its outbox (Debit-Notice, Credit-Notice) is pushed (results.crank_status = done). The API, each
// worker and the gateway run as their own processes (`npm run api` / `npm run worker`), as in a
// deployment; this process only offers load and watches. At fixed offered loads (open loop), and
// at saturation (closed loop) with one worker process and then two. Anchor: a raw BullMQ job
// round trip (add → a worker completes it) on the same Redis. Each saturation configuration's runs
// are explained (probe.js, explain.js): CPU per message by OS process, statements, WAL, Redis
// commands, jobs, batching; the sections print under the table.
import { mainIfScript, repeat, row, summarize } from './lib.js';
import { CrankWatcher, DRAIN_TIMEOUT_MS, PROCESSES, SATURATION_CLIENTS, USERS, bullmqAnchor, closeWorkload, fixedLoad, saturation, tokenWorkload } from './e2e-workload.js';
import { explain } from './explain.js';
import { startPlatform } from './platform.js';
import { RunProbe } from './probe.js';

/** Saturation rounds that warm up an added worker process before it is measured. */
const WARM_UP_ROUNDS = 3;

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
      const sign = await tokenWorkload(platform, log);

      log('warm-up');
      await fixedLoad(platform, watcher, await sign(40), 20);
      const fixed = [];
      for (const rate of rates) {
        log(`fixed load, 1 worker process: ${runs} runs of ${seconds} s at ${rate} msg/s`);
        fixed.push({ rate, runs: await repeat(runs, async () => fixedLoad(platform, watcher, await sign(Math.round(rate * seconds)), rate), { log }) });
      }
      const saturated = [];
      const sections = [];
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
        // Signed beforehand: the probe's window holds the runs alone.
        const batches = [];
        for (let i = 0; i < runs; i += 1) batches.push(await sign(saturationCount));
        const probe = new RunProbe(platform);
        await probe.begin();
        const measured = await repeat(runs, async (i) => saturation(platform, watcher, batches[i], SATURATION_CLIENTS), { log });
        const probed = await probe.end();
        await probe.close();
        const explained = explain(`e2e saturation, ${workers} worker process${workers > 1 ? 'es' : ''}, ${SATURATION_CLIENTS} clients`, probed, measured.reduce((n, r) => n + r.completed, 0));
        saturated.push({ workers, runs: measured, explained: explained.figures });
        sections.push(explained.markdown);
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
        sections,
        details: { runs, rates, seconds, saturationCount, fixed, saturated, uploads, bullmq: anchors, failedJobs: Array.isArray(failedJobs) ? failedJobs.length : failedJobs, crankFailures: watcher.failed },
      };
    } finally {
      watcher.stop();
      await platform.stop();
      closeWorkload();
    }
  },
};

await mainIfScript(import.meta, bench);
