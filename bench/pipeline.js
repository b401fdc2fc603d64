// pipeline: one long saturation run of the e2e workload (64 clients over 100 token processes, one
// worker process), explained by the probe (probe.js, explain.js: CPU per message by OS process and
// thread, Postgres statements and WAL, Redis commands, BullMQ jobs, messages per evaluate job /
// crank / SU batch), then the upload outbox: how far the gateway was behind when the load stopped
// and how long it took to catch up. Anchor: the raw BullMQ round trip, as in e2e.
// BENCH_PIPELINE_SECONDS sets the run's length (60 s; 8 s with --quick). docs/pipeline.md.
import { mainIfScript, row, sleep, summarize } from './lib.js';
import { CrankWatcher, SATURATION_CLIENTS, bullmqAnchor, closeWorkload, oneMessage, tokenWorkload } from './e2e-workload.js';
import { explain, walTable } from './explain.js';
import { startPlatform } from './platform.js';
import { RunProbe } from './probe.js';

/** Bound on waiting for the upload outbox to empty (before the run, and after it). */
const DRAIN_LIMIT_MS = 180_000;

/** Closed loop for `seconds`: each client signs its next Transfer and sends it once the previous one is done. */
async function timedSaturation(platform, watcher, sign, clients, seconds) {
  const deadline = performance.now() + seconds * 1000;
  let completed = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const [msg] = await sign(1);
        const outcome = await oneMessage(platform, watcher, msg);
        if (outcome.status === 202) completed += 1;
        else {
          refused += 1;
          // Backpressure (503, Retry-After: 1): a client waits before its next message, as aoconnect's would.
          if (outcome.status === 503) await sleep(1000);
        }
      }
    }),
  );
  return { completed, refused };
}

/** The upload outbox by status. */
async function outbox(prisma) {
  const rows = await prisma.$queryRaw`SELECT status, count(*)::int AS n FROM upload_outbox GROUP BY status`;
  const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  return { pending: by.pending ?? 0, uploaded: by.uploaded ?? 0, confirmed: by.confirmed ?? 0, failed: by.failed ?? 0 };
}

/** Polls until `done(outbox)` or the limit; answers the seconds it took (NaN past the limit). */
async function waitOutbox(prisma, done) {
  const started = performance.now();
  while (performance.now() - started < DRAIN_LIMIT_MS) {
    if (done(await outbox(prisma))) return (performance.now() - started) / 1000;
    await sleep(250);
  }
  return NaN;
}

export const bench = {
  name: 'pipeline',
  async run({ quick, log }) {
    const seconds = Number(process.env.BENCH_PIPELINE_SECONDS ?? (quick ? 8 : 60));
    const platform = await startPlatform(log, { workers: 1 });
    const watcher = new CrankWatcher(platform.prisma);
    try {
      const sign = await tokenWorkload(platform, log);
      log(`warm-up: ${quick ? 3 : 10} s at saturation`);
      await timedSaturation(platform, watcher, sign, SATURATION_CLIENTS, quick ? 3 : 10);
      log('waiting for the upload outbox to empty before the run');
      await waitOutbox(platform.prisma, (o) => o.pending === 0);

      log(`saturation for ${seconds} s, ${SATURATION_CLIENTS} clients, 1 worker process`);
      const probe = new RunProbe(platform);
      await probe.begin();
      const run = await timedSaturation(platform, watcher, sign, SATURATION_CLIENTS, seconds);
      const probed = await probe.end();
      // UPLOAD_MAX_BACKLOG (from the environment, passed on to the apps) bounds the upload backlog by refusing new messages.
      const uploadLimit = Number(process.env.UPLOAD_MAX_BACKLOG ?? 0);
      const limitNote = uploadLimit > 0 ? `, UPLOAD_MAX_BACKLOG=${uploadLimit}` : '';
      const explained = explain(`pipeline: saturation for ${seconds} s, 1 worker process, ${SATURATION_CLIENTS} clients${limitNote}`, probed, run.completed);
      const f = explained.figures;

      // The load has stopped (and the probe waited ~2 s for the workers' counters): how far behind
      // were the uploads, and when did the gateway catch up?
      const atEnd = probed.uploads.backlog;
      log(`upload backlog when the load stopped: ${atEnd} items; waiting for it to drain`);
      const afterProbe = (performance.now() - probe.startedAt) / 1000 - probed.seconds;
      const posted = await waitOutbox(platform.prisma, (o) => o.pending === 0);
      const confirmed = await waitOutbox(platform.prisma, (o) => o.pending === 0 && o.uploaded === 0);
      const drain = { posted: posted + afterProbe, confirmed: posted + confirmed + afterProbe };
      log(`drained: all posted ${drain.posted.toFixed(1)} s after the load stopped, all confirmed after ${drain.confirmed.toFixed(1)} s`);
      // Every item stored during the run has now gone through its whole upload lifecycle (stored,
      // leased, posted, confirmed): the WAL from the run's start to now counts all of it.
      const lifecycle = await probe.walSinceBegin().catch((error) => ({ error: error.message }));
      await probe.close();
      const lifecycleSection = lifecycle.rows
        ? [`### pipeline: WAL per message from the start of the run until the upload backlog was confirmed (${drain.confirmed.toFixed(1)} s after the load)`, '', 'Every item stored during the run went through its whole upload lifecycle in this span (stored, leased, posted, confirmed); later messages of the run are not in it (there were none).', '', ...walTable(lifecycle.rows, run.completed)].join('\n')
        : `WAL over the run and the drain: n/a (${lifecycle.error})`;

      log('anchor: raw BullMQ round trips');
      const anchor = await bullmqAnchor(platform.env, { sequential: quick ? 200 : 1_000, total: quick ? 1_000 : 5_000, clients: SATURATION_CLIENTS });
      const one = (x) => summarize([x]);
      const problems = [run.refused ? `${run.refused} POSTs refused (not 202)` : '', watcher.failed ? `${watcher.failed} cranks failed` : ''].filter(Boolean);
      const rows = [
        row(`pipeline: saturation for ${seconds} s, 1 worker process${limitNote}`, one(f.rate), 'msg/s', {
          anchor: `BullMQ round trips, ${SATURATION_CLIENTS} clients`,
          anchorFigure: one(anchor.rate),
          note: [`${run.completed} Transfers from ${SATURATION_CLIENTS} clients over 100 token processes; the breakdown is under the table`, ...problems].join('; '),
        }),
        row('pipeline: CPU per message (platform, Postgres, Redis, gateway)', one(f.cpuMsPerMessage), 'ms'),
        row('pipeline: Postgres statements per message', one(f.statementsPerMessage.api + f.statementsPerMessage.workers), 'statements'),
        row("pipeline: WAL per message (the platform's tables)", one(f.walPerMessage.bytes), 'B'),
        row('pipeline: Redis commands executed per message', one(f.redisPerMessage.executed), 'commands'),
        row('pipeline: BullMQ jobs per message', one(Object.values(f.jobsPerMessage).reduce((a, b) => a + b, 0)), 'jobs'),
        row('pipeline: messages per evaluate job', one(f.messagesPerEvaluateJob), 'messages'),
        row('pipeline: upload items posted during the run', one(f.uploads.postedPerMessage), 'items/msg', {
          anchor: 'items stored for upload',
          anchorFigure: one(f.uploads.storedPerMessage),
          note: 'a ratio under 1 is a gateway falling behind',
        }),
        row('pipeline: upload backlog when the load stopped', one(atEnd), 'items'),
        row('pipeline: upload backlog drained (all posted) after the load stopped', one(drain.posted), 's', { note: `all confirmed (mined and indexed) after ${drain.confirmed.toFixed(1)} s` }),
      ];
      return { rows, sections: [explained.markdown, lifecycleSection], details: { seconds, run, figures: f, drain, anchor, probe: probed, lifecycleWal: lifecycle } };
    } finally {
      watcher.stop();
      await platform.stop();
      closeWorkload();
    }
  },
};

await mainIfScript(import.meta, bench);
