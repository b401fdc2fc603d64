import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { hostPath } from '../env/env.js';

/** Whether something accepts TCP connections at host:port (within `timeoutMs`). */
export function isPortOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (open: boolean) => {
      socket.destroy();
      done(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isPortOpen(host, port, 500)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function which(binary: string, extraDirs: string[] = []): string | undefined {
  for (const dir of [...hostPath(), ...extraDirs]) {
    if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'));
}

const isLocal = (host: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);

/** A service this process started, and how to stop it. */
export interface StartedService {
  name: string;
  stop(): Promise<void>;
}

/** Raised when a service is unreachable and cannot be started here; the message says how to get it. */
export class MissingServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingServiceError';
  }
}

/**
 * Makes sure PostgreSQL answers at `databaseUrl`: if nothing listens there and the server binaries
 * are installed, initialises a private cluster under `dataDir` and starts it on that port.
 */
export async function ensurePostgres(
  databaseUrl: string,
  dataDir: string,
  log: (line: string) => void,
  allowStart = true,
): Promise<StartedService | undefined> {
  const url = new URL(databaseUrl);
  const host = url.hostname;
  const port = Number(url.port || 5432);
  if (await isPortOpen(host, port)) return undefined;
  const dirs = postgresBinDirs();
  const initdb = which('initdb', dirs);
  const pgCtl = which('pg_ctl', dirs);
  if (!allowStart || !isLocal(host) || !initdb || !pgCtl) {
    throw new MissingServiceError(
      `PostgreSQL is not reachable at ${host}:${port}` +
        (isLocal(host) ? ' and its server is not installed here.' : '.') +
        '\n  Install it:  apt-get install postgresql   (then it starts on 5432)' +
        '\n  or run:      docker compose -f docker/compose.yml up -d postgres' +
        '\n  or point DATABASE_URL at a running server.',
    );
  }
  const dir = resolve(dataDir, 'postgres');
  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse to run as root: run them as the system's postgres user then.
  const runAs = asRoot ? postgresUser() : undefined;
  if (asRoot && !runAs) throw new MissingServiceError('PostgreSQL cannot run as root and there is no "postgres" user.');
  const wrap = (cmd: string, args: string[]) => (runAs ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args });
  await mkdir(dir, { recursive: true });
  if (runAs) await chown(dir, runAs.uid, runAs.gid);
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    log(`starting a private PostgreSQL: initialising ${dir}`);
    const init = wrap(initdb, ['-D', dir, '-U', url.username || 'postgres', '--auth=trust', '-E', 'UTF8']);
    const result = spawnSync(init.cmd, init.args, { encoding: 'utf8' });
    if (result.status !== 0) throw new MissingServiceError(`initdb failed: ${result.stderr || result.stdout}`);
  }
  log(`starting a private PostgreSQL on ${host}:${port} with data in ${dir}`);
  const start = wrap(pgCtl, [
    '-D', dir, '-l', join(dir, 'server.log'), '-w', '-t', '30',
    '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir}`, 'start',
  ]);
  const started = spawnSync(start.cmd, start.args, { encoding: 'utf8' });
  if (started.status !== 0 || !(await waitForPort(host, port, 30_000))) {
    throw new MissingServiceError(`could not start PostgreSQL: ${started.stderr || started.stdout} (log: ${join(dir, 'server.log')})`);
  }
  return {
    name: 'postgres',
    async stop() {
      const stop = wrap(pgCtl, ['-D', dir, '-m', 'fast', '-w', 'stop']);
      spawnSync(stop.cmd, stop.args);
    },
  };
}

function postgresUser(): { uid: number; gid: number } | undefined {
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Makes sure Redis answers at `redisUrl`: if nothing listens there and `redis-server` is installed,
 * starts a private one on that port with its append-only file under `dataDir`.
 */
export async function ensureRedis(
  redisUrl: string,
  dataDir: string,
  log: (line: string) => void,
  allowStart = true,
): Promise<StartedService | undefined> {
  const url = new URL(redisUrl);
  const host = url.hostname;
  const port = Number(url.port || 6379);
  if (await isPortOpen(host, port)) return undefined;
  const server = which('redis-server');
  if (!allowStart || !isLocal(host) || !server) {
    throw new MissingServiceError(
      `Redis is not reachable at ${host}:${port}` +
        (isLocal(host) ? ' and redis-server is not installed here.' : '.') +
        '\n  Install it:  apt-get install redis-server' +
        '\n  or run:      docker compose -f docker/compose.yml up -d redis' +
        '\n  or point REDIS_URL at a running server.',
    );
  }
  const dir = resolve(dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  log(`starting a private Redis on ${host}:${port} with data in ${dir}`);
  const child: ChildProcess = spawn(
    server,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  if (!(await waitForPort(host, port, 15_000))) {
    child.kill('SIGKILL');
    throw new MissingServiceError(`could not start redis-server on port ${port}`);
  }
  return {
    name: 'redis',
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
