// `npm start`: runs the whole platform on one machine with embedded defaults.
// Starts what is missing (arlocal always when ARWEAVE_URL is unset; private Postgres/Redis under
// DATA_DIR when they are unreachable and installed), applies migrations, then runs api + worker +
// cron as child processes. Ctrl-C stops everything it started.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  ArweaveGateway,
  MissingServiceError,
  childEnv,
  defaultMigrationsDir,
  ensurePostgres,
  ensureRedis,
  gatewayUrl,
  isPortOpen,
  loadEnv,
  loadWallets,
  migrate,
  startArlocal,
} from '@ao/infra';

const log = (line) => console.log(`[start] ${line}`);
const env = loadEnv();
const stoppers = [];
const children = new Map();
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  log('stopping...');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(kill);
            done();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  for (const stop of stoppers.reverse()) await stop().catch((e) => log(`stop failed: ${e.message}`));
  log('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  const pg = await ensurePostgres(env.DATABASE_URL, env.DATA_DIR, log, env.EMBEDDED_SERVICES === 'auto');
  if (pg) stoppers.push(pg.stop);
  const redis = await ensureRedis(env.REDIS_URL, env.DATA_DIR, log, env.EMBEDDED_SERVICES === 'auto');
  if (redis) stoppers.push(redis.stop);

  let arweaveUrl = env.ARWEAVE_URL;
  if (!arweaveUrl) {
    if (await isPortOpen('127.0.0.1', env.ARLOCAL_PORT)) {
      arweaveUrl = gatewayUrl(env);
      log(`a gateway already listens on port ${env.ARLOCAL_PORT}: using it`);
    } else {
      const gw = await startArlocal({
        port: env.ARLOCAL_PORT,
        host: env.ARLOCAL_HOST,
        dataDir: join(env.DATA_DIR, 'arlocal'),
        mineIntervalMs: env.ARLOCAL_MINE_INTERVAL_MS,
      });
      stoppers.push(gw.stop);
      arweaveUrl = gw.url;
      log(`embedded Arweave gateway (arlocal) at ${gw.url}, data in ${join(env.DATA_DIR, 'arlocal')}`);
    }
  }

  const wallets = await loadWallets(env);
  if (wallets.signing.created) log(`generated the units' ${wallets.signing.kind} signing key in ${env.WALLET_PATH}`);
  if (wallets.upload.created) log(`generated the Arweave upload key in ${env.ARWEAVE_WALLET_PATH}`);
  log(`scheduler address ${wallets.signing.address}`);
  if (!env.ARWEAVE_URL) {
    const gateway = new ArweaveGateway(arweaveUrl);
    if ((await gateway.balance(wallets.upload.address)) < 10n ** 15n) {
      await gateway.mint(wallets.upload.address, String(10n ** 18n));
      log(`funded the upload wallet ${wallets.upload.address} on the embedded gateway`);
    }
  }

  const report = await migrate(env.DATABASE_URL, defaultMigrationsDir());
  log(report.applied.length ? `applied migrations: ${report.applied.join(', ')}` : 'database schema is up to date');

  for (const app of ['api', 'worker', 'cron']) {
    const child = spawn(process.execPath, [new URL(`../apps/${app}/dist/main.js`, import.meta.url).pathname], {
      env: childEnv({ ARWEAVE_URL: arweaveUrl }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = (stream, out) => {
      let buffer = '';
      stream.on('data', (chunk) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop();
        for (const line of lines) out.write(`[${app}] ${line}\n`);
      });
    };
    prefix(child.stdout, process.stdout);
    prefix(child.stderr, process.stderr);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      log(`${app} exited (${signal ?? code}); stopping the platform`);
      void stopAll(1);
    });
    children.set(app, child);
  }
  log(`platform starting: API on ${env.PUBLIC_URL} (health at /health, docs at /docs)`);
} catch (error) {
  if (error instanceof MissingServiceError) console.error(`\n${error.message}\n`);
  else console.error(error);
  await stopAll(1);
}
