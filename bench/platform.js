// The platform as a deployment runs it, for benchmarks that measure it from outside: a gateway
// process (arlocal), a Redis server of its own when redis-server is installed, wallets, a migrated
// schema, the API process and worker processes (`npm run api` / `npm run worker` entries), started
// and stopped by the benchmark. Every process's pid is known, and each app's Postgres connections
// carry an application_name of their own, so a probe (probe.js) can say where a run's CPU went.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArweaveGateway, createPrismaClient, loadOrCreateWallet, parseEnv, walletAddress } from '@ao/infra';
import { benchStorage, freePort, sleep, startGatewayProcess, startPrivateRedis, tempDir, uniqueId } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs `npm run <app>`'s entry as a child process with `vars`; resolves once it has started. */
function startApp(name, script, vars, ready) {
  // BENCH_APP_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the apps under load.
  const nodeArgs = (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, script)], { cwd: ROOT, env: { ...process.env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (d) => (tail = (tail + d).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Promise.race([
    ready(),
    exited.then((code) => {
      throw new Error(`${name} exited (${code}) while starting: ${tail.trim().split('\n').slice(-3).join(' | ')}`);
    }),
  ]);
  return started.then(() => ({
    name,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  }));
}

/** Polls `check` until it returns true (or throws after `ms`). */
async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The platform: a gateway process, wallets, a migrated schema, the API process, `workers` worker processes (more with addWorker). */
export async function startPlatform(log, { workers: workerCount = 1, vars: extraVars = {} } = {}) {
  const redis = await startPrivateRedis();
  const storage = await benchStorage(redis ? { redisUrl: redis.url } : {});
  const tmp = await tempDir('e2e');
  const gateway = await startGatewayProcess(join(tmp.dir, 'arlocal'));
  const upload = await loadOrCreateWallet(join(tmp.dir, 'arweave-wallet.json'), 'arweave');
  await loadOrCreateWallet(join(tmp.dir, 'wallet.json'), 'ed25519');
  await new ArweaveGateway(gateway.url).mint(walletAddress(upload.jwk), String(10n ** 18n));
  const port = await freePort();
  const adminToken = uniqueId() + uniqueId();
  // Each app's connections are named, so the probe finds their Postgres backends (and nobody else's).
  const appName = `ao-bench-${storage.id}`;
  const databaseUrl = (app) => `${storage.databaseUrl}&application_name=${appName}-${app}`;
  const vars = {
    NODE_ENV: 'production',
    IDENTITY_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl('api'),
    REDIS_URL: storage.redisUrl,
    REDIS_PREFIX: storage.redisPrefix,
    ARWEAVE_URL: gateway.url,
    WALLET_PATH: join(tmp.dir, 'wallet.json'),
    ARWEAVE_WALLET_PATH: join(tmp.dir, 'arweave-wallet.json'),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    PORT: String(port),
    API_HOST: '127.0.0.1',
    EMBEDDED_SERVICES: 'never',
    RESULT_TIMEOUT_MS: '30000',
    ADMIN_TOKEN: adminToken,
    // Workers beat every second, and their pipeline counters (in /metrics) come with the beats.
    HEARTBEAT_TIMEOUT_S: '3',
    ...extraVars,
  };
  const env = parseEnv(vars);
  const url = `http://127.0.0.1:${port}`;
  const api = await startApp('api', 'apps/api/dist/main.js', vars, () => until(async () => (await fetch(`${url}/info`)).ok, 60_000, 'the API'));
  const workers = [];
  const prisma = createPrismaClient(databaseUrl('bench'), 4);
  const platform = {
    env,
    /** The apps' environment variables (for starting more apps, e.g. the cron service). */
    vars,
    url,
    adminToken,
    prisma,
    /** What a probe needs to find the platform's processes: OS pids, the Postgres application_name prefix and schema, the Redis server. */
    processes: {
      get api() {
        return api.pid;
      },
      get workers() {
        return workers.map((w) => w.pid);
      },
      gateway: gateway.pid,
      redis: redis ? { pid: redis.pid, private: true } : { private: false },
      applicationName: appName,
      schema: `bench_${storage.id}`,
    },
    /** Starts one more worker process (all stages) and waits for its heartbeat. */
    async addWorker() {
      const before = await liveWorkers(url);
      const name = `worker-${workers.length + 1}`;
      workers.push(await startApp(name, 'apps/worker/dist/main.js', { ...vars, DATABASE_URL: databaseUrl(name) }, () => until(async () => (await liveWorkers(url)) > before, 60_000, 'a worker heartbeat')));
      return workers.length;
    },
    get workers() {
      return workers.length;
    },
    async stop() {
      for (const w of workers) await w.stop().catch((e) => log(`${w.name} stop: ${e.message}`));
      await api.stop().catch((e) => log(`api stop: ${e.message}`));
      await prisma.$disconnect();
      await gateway.stop().catch(() => undefined);
      await storage.cleanup();
      await redis?.stop().catch(() => undefined);
      await tmp.cleanup();
    },
  };
  while (platform.workers < workerCount) await platform.addWorker();
  log(`platform up: api :${port}, gateway ${gateway.url}, schema bench_${storage.id}, ${redis ? 'a private' : 'the shared'} Redis at ${storage.redisUrl}, ${workerCount} worker process(es) (${env.CU_THREADS} evaluation threads, concurrency ${env.WORKER_CONCURRENCY})`);
  return platform;
}

/** Worker processes with a fresh heartbeat, as /health reports them ("N instance(s)"). */
async function liveWorkers(url) {
  const worker = (await (await fetch(`${url}/health`)).json())?.checks?.worker;
  if (worker?.status !== 'up') return 0;
  return Number(/(\d+) instance/.exec(worker.reason ?? '')?.[1] ?? 0);
}
