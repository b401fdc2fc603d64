import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

type ArLocalClass = new (port?: number, showLogs?: boolean, dbPath?: string, persist?: boolean) => {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Its knex instance on SQLite (one connection). */
  connection?: { raw(sql: string): Promise<unknown> };
};

export interface EmbeddedGateway {
  url: string;
  /** The OS process serving it, when it runs in a child process (benchmarks read its CPU time). */
  pid?: number;
  stop(): Promise<void>;
}

/**
 * arlocal verifies every item of every bundle it unbundles, and the arbundles copy it brings checks
 * Ed25519 signatures in pure JavaScript (@noble/ed25519): a quarter of the gateway's CPU in the
 * e2e benchmark, where users, the SU and the MU all sign with Ed25519. This swaps in Node's native
 * verification (the same RFC 8032 check) for that copy. If arlocal's layout ever differs, nothing
 * is changed and the pure-JavaScript check stays.
 */
export function useNativeEd25519(): void {
  try {
    const fromArlocal = createRequire(createRequire(import.meta.url).resolve('arlocal'));
    const curve = (fromArlocal('arbundles/src/signing/keys/curve25519') as { default?: { verify?: unknown } }).default;
    if (!curve || typeof curve.verify !== 'function') return;
    curve.verify = async (pk: string | Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> => {
      try {
        const x = typeof pk === 'string' ? pk : Buffer.from(pk).toString('base64url');
        const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
        return cryptoVerify(null, message, key, signature);
      } catch {
        return false;
      }
    };
  } catch {
    // another arlocal layout: keep its own verification
  }
}

/**
 * Runs arlocal in this process with its data under `dataDir`, mining a block every
 * `mineIntervalMs` so uploads confirm without anyone calling /mine.
 *
 * arlocal unbundles ANS-104 bundles in two places, on POST /tx and again while mining, and a mine
 * marks every pending transaction as mined at its end, including bundles posted while it was
 * running that it never unbundled: their items are then lost for good. So arlocal listens on a
 * private port behind a small proxy on the public one, which lets writes (POST /tx, /chunk) and
 * /mine run one at a time; reads pass straight through.
 */
export async function startArlocal(options: {
  port: number;
  /** Interface the gateway listens on (default 127.0.0.1: this machine only). arlocal itself always listens on 127.0.0.1. */
  host?: string;
  dataDir: string;
  mineIntervalMs: number;
  persist?: boolean;
}): Promise<EmbeddedGateway> {
  const dbPath = resolve(options.dataDir);
  await mkdir(dbPath, { recursive: true });
  // Loaded here, not at import: arlocal pulls in a native secp256k1 addon that crashes a process
  // which loads it on the main thread and in a worker thread that later exits (every evaluation
  // thread imports @ao/infra). arlocal is CommonJS with a default export.
  const { default: ArLocalModule } = (await import('arlocal')) as { default: unknown };
  const mod = ArLocalModule as { default?: ArLocalClass };
  const Ctor = mod.default ?? (ArLocalModule as ArLocalClass);
  useNativeEd25519();
  const innerPort = await freePort();
  const arlocal = new Ctor(innerPort, false, dbPath, options.persist ?? true);
  // arlocal's own server would listen on every interface and print its private port: it serves
  // only the proxy below, on loopback, silently.
  const app = (arlocal as unknown as { app?: { listen: unknown; callback(): (req: IncomingMessage, res: ServerResponse) => void } }).app;
  if (app) app.listen = (port: number) => createServer(app.callback()).listen(port, '127.0.0.1');
  await arlocal.start();
  // arlocal writes an SQLite row per tag of every item it indexes, each statement its own
  // transaction, and SQLite's default rollback journal syncs the disk on every one: under load it
  // indexed ~100-200 items/s here while the platform uploaded ~400/s, and the upload outbox only
  // grew. A write-ahead log synced at checkpoints (not at every commit) keeps the database
  // consistent through a crash and may lose only the last commits on a power cut, which a
  // development gateway can afford (the platform's outbox re-posts what a gateway does not serve).
  await arlocal.connection?.raw('PRAGMA journal_mode = WAL');
  await arlocal.connection?.raw('PRAGMA synchronous = NORMAL');

  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
  const proxy = createServer((req, res) => {
    const path = req.url ?? '/';
    const write = path.startsWith('/mine') || (req.method === 'POST' && (path.startsWith('/tx') || path.startsWith('/chunk')));
    const forward = () => forwardTo(innerPort, req, res);
    if (write) void exclusive(forward);
    else void forward();
  });
  const host = options.host ?? '127.0.0.1';
  await listen(proxy, options.port, host);
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${options.port}`;

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const mine = async () => {
    await fetch(`${url}/mine`).catch(() => undefined);
    if (!stopped) {
      timer = setTimeout(mine, options.mineIntervalMs);
      timer.unref();
    }
  };
  timer = setTimeout(mine, options.mineIntervalMs);
  timer.unref();
  return {
    url,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await new Promise<void>((done) => {
        proxy.close(() => done());
        proxy.closeAllConnections();
      });
      await arlocal.stop();
    },
  };
}

/** Forwards one request to arlocal and resolves when the answer has been sent on. */
function forwardTo(port: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise<void>((done) => {
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', done);
        answer.on('error', () => done());
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `embedded gateway: ${error.message}` }));
      done();
    });
    res.on('close', () => done());
    req.pipe(upstream);
  });
}

function listen(server: Server, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await listen(server, 0);
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}
