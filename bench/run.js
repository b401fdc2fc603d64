// npm run bench [-- [--quick] [name ...]]: runs the benchmarks one after the other, each in its own
// Node process (a crash or a leak in one cannot spoil the others' figures), prints a Markdown table
// to stdout and writes bench/results/latest.json. Exits non-zero only when a benchmark crashed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { markdownTable, notes, parseArgs, tempDir } from './lib.js';

const BENCHMARKS = [
  { name: 'cu-eval', about: 'aos token Transfer through Handlers on one process vs native lua5.4' },
  { name: 'cu-parallel', about: 'the same over 100 processes on one thread per core vs cu-eval × cores' },
  { name: 'wasm-eval', about: 'token Transfer on one WASM process (wasm32-ao-json-1, fuel-metered) vs the Lua evaluator' },
  { name: 'cu-replay', about: 'replay of a long log from genesis through the ComputeUnit; cold start from a checkpoint' },
  { name: 'su-schedule', about: 'signed items scheduled into Postgres, 100 processes and one hot process, vs verifyDataItem' },
  { name: 'e2e', about: 'POST /mu/ to result and pushed outbox, fixed load and saturation, vs raw BullMQ round trips' },
  { name: 'pipeline', about: 'one long saturation run explained (CPU per message by OS process, statements, WAL, Redis, jobs, batching); upload backlog and drain' },
  { name: 'memory', about: 'RSS per idle live process; one worker holding many idle processes (the rest checkpointed)' },
  { name: 'cron', about: 'tick lag with many cron processes: cron service claims, worker emits through the SU' },
  { name: 'verify', about: 'verifying a 100,000-message log (fetch, check, evaluate) vs the ComputeUnit replaying it' },
  { name: 'market', about: 'order-book matching vs token Transfer in the evaluator; N market makers on 1 s cron ticks on the pipeline (lag, keeps up)' },
  { name: 'media', about: 'media verifier: images verified/s (PNG, JPEG, 256² and 1024²) vs pngjs/jpeg-js in Node; search over 100,000 hashes' },
  { name: 'api', about: 'platform API: GET /api/agents (1,000), GET /api/strategies with figures, POST /api/agents, SSE fan-out vs a bare Nest route' },
  { name: 'web', about: "the dashboard's first load in headless Chromium (bytes, JS, time to first data) vs Swagger UI at /docs; the agents table with 1,000 agents vs the same rows as plain HTML" },
];

// A benchmark that runs longer than this is hung: it is killed and counted as crashed. Far above
// the normal durations (quick: under 20 s each, the platform ones (e2e, pipeline) 1–3 min with
// their setup, 5 on a machine busy with other work; full: under 3 min each, the pipeline run ~4),
// so a slow machine is not a crash.
const TIMEOUT_MS = { quick: 600_000, full: 900_000 };

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

function usage() {
  return [
    'usage: npm run bench [-- [--quick] [name ...]]',
    '  --quick   every benchmark in a short mode (proves it works; figures are rough)',
    '',
    ...BENCHMARKS.map((b) => `  ${b.name.padEnd(12)} ${b.about}`),
  ].join('\n');
}

/** Runs one benchmark in a child process; resolves with its result or with why it crashed. */
function runChild(bench, quick, outFile) {
  const started = performance.now();
  const args = [here(`./${bench.name}.js`), '--child', '--out', outFile, ...(quick ? ['--quick'] : [])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let tail = '';
    const keep = (d) => {
      process.stderr.write(d);
      tail = (tail + d).slice(-2000);
    };
    // Libraries log to stdout now and then (arlocal does): stdout is reserved for the table.
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const limit = quick ? TIMEOUT_MS.quick : TIMEOUT_MS.full;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limit);
    child.on('close', async (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) {
        try {
          return resolve({ status: 'ok', ...JSON.parse(await readFile(outFile, 'utf8')), seconds });
        } catch (error) {
          return resolve({ status: 'crashed', seconds, error: `no result file: ${error.message}` });
        }
      }
      const lastLine = tail.trim().split('\n').filter((l) => l.trim() && !/^\s+at /.test(l)).pop() ?? '';
      const why = timedOut ? `timed out after ${limit / 1000} s` : `exit ${code ?? signal}`;
      resolve({ status: 'crashed', seconds, error: `${why}: ${lastLine}`.slice(0, 300) });
    });
  });
}

function machine() {
  const lua = spawnSync('lua5.4', ['-v'], { encoding: 'utf8' });
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    availableParallelism: availableParallelism(),
    totalMemoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    lua: lua.status === 0 ? (lua.stdout || lua.stderr).trim() : null,
    commit: git.status === 0 ? git.stdout.trim() : null,
  };
}

async function main() {
  let args;
  try {
    args = parseArgs();
  } catch (error) {
    process.stderr.write(`${error.message}\n${usage()}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const unknown = args.names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}\n${usage()}\n`);
    return 2;
  }
  const selected = args.names.length ? BENCHMARKS.filter((b) => args.names.includes(b.name)) : BENCHMARKS;
  const mode = args.quick ? 'quick' : 'full';
  const startedAt = new Date();
  const started = performance.now();
  const loadBefore = loadavg()[0];
  const tmp = await tempDir('run');
  const results = {};
  try {
    for (const bench of selected) {
      process.stderr.write(`\n== ${bench.name} (${mode})\n`);
      results[bench.name] = await runChild(bench, args.quick, `${tmp.dir}/${bench.name}.json`);
      const r = results[bench.name];
      process.stderr.write(`== ${bench.name}: ${r.status} in ${r.seconds.toFixed(1)} s${r.error ? ` (${r.error})` : ''}\n`);
    }
  } finally {
    await tmp.cleanup();
  }
  const seconds = (performance.now() - started) / 1000;

  const rows = selected.flatMap((b) => {
    const r = results[b.name];
    return r.status === 'ok' ? r.rows : [{ benchmark: b.name, status: 'crashed', error: r.error, unit: '', anchor: null, ratio: null }];
  });
  // Other work on the machine skews every figure (the anchors less so): say how busy it was.
  const info = { ...machine(), loadAverage1m: { before: loadBefore, after: loadavg()[0] } };
  const load = `load average ${loadBefore.toFixed(1)} before, ${info.loadAverage1m.after.toFixed(1)} after`;
  const header = `Benchmarks (${mode}), ${startedAt.toISOString()}, ${info.cpu}, ${info.availableParallelism} cores, Node ${info.node}, ${seconds.toFixed(0)} s, ${load}. Figures: median (min–max, runs).`;
  const n = notes(rows);
  // Where the run's time went: the full run has a budget (under 10 minutes).
  const durations = `Time per benchmark: ${selected.map((b) => `${b.name} ${results[b.name].seconds.toFixed(0)} s`).join(', ')}.`;
  // Benchmarks that explain their runs (the pipeline probe) add sections of their own under the table.
  const sections = selected.flatMap((b) => (results[b.name].status === 'ok' ? (results[b.name].sections ?? []) : []));
  process.stdout.write(`${header}\n\n${markdownTable(rows)}\n${n.length ? `\n${n.join('\n')}\n` : ''}\n${durations}\n${sections.map((s) => `\n${s}\n`).join('')}`);

  const report = {
    mode,
    startedAt: startedAt.toISOString(),
    seconds,
    machine: info,
    benchmarks: Object.fromEntries(selected.map((b) => [b.name, results[b.name]])),
    rows,
  };
  await mkdir(here('./results'), { recursive: true });
  const target = here('./results/latest.json');
  await writeFile(target, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`\nwrote ${target} (${seconds.toFixed(1)} s in all)\n`);
  return Object.values(results).some((r) => r.status !== 'ok') ? 1 : 0;
}

process.exitCode = await main();
