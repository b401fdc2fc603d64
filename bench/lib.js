// Shared helpers of the benchmarks: arguments, timing and statistics, the Markdown table, and the
// throwaway Postgres schema / Redis prefix / temp dirs a benchmark runs against.
// Progress goes to stderr; stdout carries only the table.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ao_bench';
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `--quick`, `--child`, `--out <file>` and the remaining names. */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = { quick: false, child: false, out: undefined, names: [], help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--quick' || a === '-q') args.quick = true;
    else if (a === '--child') args.child = true;
    else if (a === '--out') args.out = argv[(i += 1)];
    else if (a === '--help' || a === '-h') args.help = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.names.push(a);
  }
  return args;
}

/** Progress line on stderr, prefixed with the benchmark's name. */
export function logger(name) {
  return (...parts) => process.stderr.write(`[${name}] ${parts.join(' ')}\n`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const uniqueId = () => randomBytes(4).toString('hex');

/** The p-th percentile (0..100) of numbers, nearest-rank on a sorted copy. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Median, spread (min–max and interquartile range) and the samples themselves. */
export function summarize(samples) {
  const s = samples.filter((x) => Number.isFinite(x));
  if (s.length === 0) return { median: null, min: null, max: null, p25: null, p75: null, n: 0, samples };
  const sorted = [...s].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], p25: percentile(sorted, 25), p75: percentile(sorted, 75), n: s.length, samples };
}

/** Runs `fn(run)` `runs` times (after `warmup` unrecorded runs) and returns what each recorded run answered. */
export async function repeat(runs, fn, { warmup = 0, log } = {}) {
  for (let i = 0; i < warmup; i += 1) await fn(-1 - i);
  const out = [];
  for (let i = 0; i < runs; i += 1) {
    out.push(await fn(i));
    if (log) log(`run ${i + 1}/${runs} done`);
  }
  return out;
}

/** Runs `fn(i)` for i in 0..n-1 with at most `limit` calls in flight; resolves when all are done. */
export async function pool(n, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/**
 * One row of the table. `figure` and `anchorFigure` are summaries (see summarize) or null; the
 * ratio is median figure / median anchor figure.
 */
export function row(benchmark, figure, unit, { anchor = null, anchorFigure = null, note } = {}) {
  const ratio = figure?.median != null && anchorFigure?.median ? figure.median / anchorFigure.median : null;
  return { benchmark, figure, unit, anchor, anchorFigure, ratio, ...(note ? { note } : {}) };
}

function num(x) {
  if (x == null || !Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : abs >= 1 ? 2 : 3;
  return x.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

function cell(summary) {
  if (!summary || summary.median == null) return 'n/a';
  if (summary.n <= 1 || summary.min === summary.max) return `${num(summary.median)}${summary.n > 1 ? ` (n=${summary.n})` : ''}`;
  return `${num(summary.median)} (${num(summary.min)}–${num(summary.max)}, n=${summary.n})`;
}

/** The Markdown table: figures are medians with (min–max, number of runs). */
export function markdownTable(rows) {
  const lines = ['| benchmark | figure | unit | anchor | anchor figure | ratio |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const anchor = r.anchor ?? '—';
    const anchorFigure = r.anchor ? cell(r.anchorFigure) : '—';
    const ratio = r.ratio == null ? '—' : `${num(r.ratio)}×`;
    lines.push(`| ${r.benchmark} | ${r.status === 'crashed' ? `CRASHED: ${r.error}` : cell(r.figure)} | ${r.unit ?? ''} | ${anchor} | ${anchorFigure} | ${ratio} |`);
  }
  return lines.join('\n');
}

/** The rows' notes, one line each, for under the table. */
export function notes(rows) {
  return rows.filter((r) => r.note).map((r) => `- ${r.benchmark}: ${r.note}`);
}

/** A temp directory removed by the returned `cleanup`; with `memory`, on tmpfs (/dev/shm) when there is one. */
export async function tempDir(prefix, { memory = false } = {}) {
  const base = memory && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = await mkdtemp(join(base, `ao-bench-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway, migrated Postgres schema `bench_<id>` in the bench database (never `ao`/`ao_test`),
 * and a Redis prefix `bench-<id>`; `cleanup` drops the schema and deletes the prefix's keys.
 */
export async function benchStorage({ redisUrl = BENCH_REDIS_URL } = {}) {
  const { defaultMigrationsDir, deleteRedisPrefix, dropSchema, migrate } = await import('@ao/infra');
  const id = uniqueId();
  const databaseUrl = `${BENCH_DATABASE_URL}?schema=bench_${id}`;
  const redisPrefix = `bench-${id}`;
  await migrate(databaseUrl, defaultMigrationsDir());
  return {
    id,
    databaseUrl,
    redisUrl,
    redisPrefix,
    async cleanup() {
      await dropSchema(databaseUrl).catch((e) => process.stderr.write(`drop schema bench_${id}: ${e.message}\n`));
      await deleteRedisPrefix(redisUrl, redisPrefix).catch((e) => process.stderr.write(`redis cleanup ${redisPrefix}: ${e.message}\n`));
    },
  };
}

// Workload shared by the benchmarks ------------------------------------------------------------

/** The ao protocol tags of an item of `type`. */
export const aoTags = (type) => [
  { name: 'Data-Protocol', value: 'ao' },
  { name: 'Variant', value: 'ao.TN.1' },
  { name: 'Type', value: type },
];

/** The tags of a token Transfer, as an aos client sends them. */
export const transferTags = (recipient, quantity) => [
  ...aoTags('Message'),
  { name: 'Action', value: 'Transfer' },
  { name: 'Recipient', value: recipient },
  { name: 'Quantity', value: String(quantity) },
];

/** A 32-character anchor, different every call (Ed25519 signatures are deterministic). */
export const randomAnchor = () => randomBytes(24).toString('base64url');

/**
 * An HTTP request on a keep-alive socket of `agent` (node:http); resolves with the status and the
 * body text. The load generators share the machine's cores with what they measure, and fetch
 * (undici through web streams) cost about as much CPU per request as the API spent answering it.
 */
export function httpRequest(agent, url, { method = 'GET', body, contentType = 'application/octet-stream' } = {}) {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': contentType, 'content-length': body.length };
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A fresh Ed25519 user key, as a client would hold. */
export async function newUser() {
  const { generateKeyPairSync } = await import('node:crypto');
  const { Ed25519ItemSigner } = await import('@ao/core');
  return new Ed25519ItemSigner(generateKeyPairSync('ed25519').privateKey);
}

// Entry point ----------------------------------------------------------------------------------

/**
 * Makes a benchmark module runnable on its own (`node bench/<name>.js [--quick]`, prints its
 * table) and as run.js's child (`--child --out <file>`: writes its rows and details as JSON).
 */
export async function mainIfScript(meta, bench) {
  if (!process.argv[1] || meta.url !== pathToFileURL(process.argv[1]).href) return;
  const args = parseArgs();
  const log = logger(bench.name);
  const started = performance.now();
  const result = await bench.run({ quick: args.quick, log });
  const seconds = (performance.now() - started) / 1000;
  if (args.child) {
    await writeFile(args.out, JSON.stringify({ ...result, seconds }));
  } else {
    process.stdout.write(`${markdownTable(result.rows)}\n`);
    const n = notes(result.rows);
    if (n.length) process.stdout.write(`\n${n.join('\n')}\n`);
    for (const section of result.sections ?? []) process.stdout.write(`\n${section}\n`);
  }
  // Libraries may leave handles open (pools, timers): a benchmark is done when it returns.
  process.exit(0);
}

// A gateway of its own -------------------------------------------------------------------------

/**
 * The embedded arlocal (startArlocal, as the platform runs it) in a child process. In the
 * benchmark's own process, a large bundle blocks the event loop for seconds while arlocal
 * unbundles it, and the client's keep-alive sockets then race the server closing them
 * (ECONNRESET); apart, each has its own loop (and core).
 */
export async function startGatewayProcess(dataDir, { mineIntervalMs = 500 } = {}) {
  const { startGatewayProcess: start } = await import('@ao/infra');
  return start({ port: await freePort(), dataDir, mineIntervalMs });
}

/**
 * A Redis server of the benchmark's own (`redis-server` on a free loopback port, nothing persisted,
 * as the shared one is configured), so that its CPU time and command counts are the platform's
 * alone; undefined when BENCH_REDIS_URL is set or redis-server is not installed (then the shared
 * server is used, and the figures read from it include other clients').
 */
export async function startPrivateRedis() {
  if (process.env.BENCH_REDIS_URL) return undefined;
  const { spawn, spawnSync } = await import('node:child_process');
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--protected-mode', 'no'], {
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    if (await isListening(port)) break;
    if (i > 100 || child.exitCode !== null) throw new Error('the private redis-server did not start');
    await sleep(50);
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function isListening(port) {
  return new Promise((resolve) => {
    import('node:net').then(({ createConnection }) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  });
}
