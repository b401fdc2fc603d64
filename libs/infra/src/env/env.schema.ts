import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** One evaluation thread per core but one (the worker's main thread), at least one, at most 8. */
export function defaultEvaluationThreads(cores = availableParallelism()): number {
  return Math.max(1, Math.min(8, cores - 1));
}

const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const bytes = z.coerce.number().int().positive();
const queues = ['schedule', 'evaluate', 'push', 'upload', 'cron'] as const;

/**
 * Every setting of the platform, with a default that works on the embedded setup.
 * `.env.example` lists the same variables; keep both in step.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /** Where the embedded setup keeps its data (wallets, arlocal, private Postgres/Redis). */
  DATA_DIR: z.string().min(1).default('.data'),

  API_HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(3000),
  /** The base URL clients reach the API at; the SU publishes `${PUBLIC_URL}/su` as its location. */
  PUBLIC_URL: url(['http:', 'https:']).default('http://localhost:3000'),

  DATABASE_URL: url(['postgresql:', 'postgres:']).default('postgresql://postgres@127.0.0.1:5432/ao'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and BullMQ queue, so several platforms (or tests) share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/, 'letters, digits, ":", "_" or "-"').default('ao'),
  /** An Arweave gateway. Empty: `npm start` runs an embedded arlocal on ARLOCAL_PORT. */
  ARWEAVE_URL: z.union([z.literal(''), url(['http:', 'https:'])]).default(''),
  ARLOCAL_PORT: port.default(1984),
  /** Interface the embedded arlocal listens on: this machine only unless set (e.g. 0.0.0.0 in a container). */
  ARLOCAL_HOST: z.string().min(1).default('127.0.0.1'),
  /** How often the embedded gateway mines a block, so uploads confirm. */
  ARLOCAL_MINE_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
  /** `auto`: start private Postgres/Redis under DATA_DIR when unreachable and installed; `never`: fail instead. */
  EMBEDDED_SERVICES: z.enum(['auto', 'never']).default('auto'),

  /** The units' signing key (SU assignments, MU pushes, cron ticks). Generated on first start when missing. */
  WALLET_PATH: z.string().min(1).default('.data/wallet.json'),
  /** `ed25519` (ANS-104 type 2, ~34,000 signs/s) or `arweave` (RSA-4096, type 1, ~260 signs/s). */
  WALLET_TYPE: z.enum(['ed25519', 'arweave']).default('ed25519'),
  /** The Arweave RSA key that pays for uploads to the gateway. Generated and, on arlocal, funded when missing. */
  ARWEAVE_WALLET_PATH: z.string().min(1).default('.data/arweave-wallet.json'),

  /** Largest data item accepted by POST /su and /mu. */
  MAX_ITEM_BYTES: bytes.default(10 * 1024 * 1024),
  /** Threads the API parses and verifies posted items on (SU and MU ingress), beside the event loop; 0 verifies on the event loop. */
  ITEM_VERIFY_THREADS: z.coerce.number().int().min(0).max(64).default(1),
  /** Which BullMQ stages this worker runs: a comma-separated subset of the queues, or `all` (every stage this build has). */
  WORKER_QUEUES: z
    .string()
    .default('all')
    .transform((v, ctx) => {
      const list = v.split(',').map((s) => s.trim()).filter(Boolean);
      if (list.length === 1 && list[0] === 'all') return 'all' as const;
      const unknown = list.filter((q) => !(queues as readonly string[]).includes(q));
      if (unknown.length > 0 || list.length === 0) {
        ctx.addIssue({ code: 'custom', message: `"all" or a comma-separated list of ${queues.join(', ')}` });
        return z.NEVER;
      }
      return list as (typeof queues)[number][];
    }),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  /**
   * Processes the evaluate stage evaluates together in one pass (one log read, one commit, one
   * crank, one announcement for them all; docs/pipeline-batching.md). Its BullMQ worker takes up
   * to twice this many jobs at once: those fetched while a batch runs make the next one.
   */
  EVAL_BATCH: z.coerce.number().int().min(1).max(500).default(32),
  /**
   * Live process instances one CU (one evaluation thread) keeps in memory (about 2–6 MiB resident
   * each, up to 16 MiB of WASM memory); the rest are replayed or restored. Keep it above the
   * processes active at once per thread: past it, every job evicts one and cold-starts another.
   */
  CU_MAX_LIVE: z.coerce.number().int().min(1).default(128),
  /** Default and maximum Lua instructions per message (a process's Compute-Limit tag picks within the maximum). */
  /**
   * Evaluation threads per worker (processes are spread over them); 0 evaluates on the main thread,
   * without the wall-clock backstop. By default one per core but one, at least one and at most 8: on
   * two cores a second thread competed with the worker's main thread, the API and Postgres, and
   * cost more CPU per message than it gained (see docs/performance.md).
   */
  CU_THREADS: z.coerce.number().int().min(0).max(64).default(defaultEvaluationThreads()),
  /** Wall-clock backstop: an evaluation running longer than this has its thread restarted and is retried, never committed. */
  CU_WALL_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** How long after its creation a process's missing module is waited for; then it is recorded like an unloadable module. */
  CU_MODULE_WAIT_MS: z.coerce.number().int().min(0).default(600_000),
  /** Threads the API evaluates dry-runs and state hashes on (same backstop, read-only: no checkpoint saves; a call whose thread is busy goes to an idle one); 0 runs them on the API's main thread, unprotected. */
  API_CU_THREADS: z.coerce.number().int().min(0).max(64).default(2),
  CU_GAS_DEFAULT: z.coerce.number().int().min(1000).default(100_000_000),
  CU_GAS_MAX: z.coerce.number().int().min(1000).default(1_000_000_000),
  /** Default and maximum memory per process in bytes (Memory-Limit tag picks within the maximum). */
  CU_MEMORY_DEFAULT: bytes.default(256 * 1024 * 1024),
  CU_MEMORY_MAX: bytes.default(1024 * 1024 * 1024),
  /** Default and maximum bytes of Arweave items one message may read (ao.read; Read-Limit tag picks within the maximum). */
  CU_READ_LIMIT_DEFAULT: bytes.default(16 * 1024 * 1024),
  CU_READ_LIMIT_MAX: bytes.default(64 * 1024 * 1024),
  /** Checkpoint a process's state every this many nonces (and on eviction): a restart replays fewer than this many messages. 0 disables. */
  CU_CHECKPOINT_INTERVAL: z.coerce.number().int().min(0).default(1000),
  /**
   * The worker records a process's state hash (cu_processes.state_hash, with the nonce it belongs to)
   * at the end of an evaluation pass at most once per this many ms; 0: after every pass. Hashing
   * serializes the whole state, often costlier than the messages of a short pass.
   */
  CU_STATE_HASH_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** Checkpoints kept per process in Postgres. */
  CU_CHECKPOINT_KEEP: z.coerce.number().int().min(1).max(100).default(3),
  /** Publish checkpoints as ao Checkpoint items to the gateway (worker upload stage). */
  CU_CHECKPOINT_PUBLISH: bool.default(true),
  /** How long GET /cu/result waits for an evaluation before answering 202. */
  RESULT_TIMEOUT_MS: z.coerce.number().int().min(0).default(15_000),
  /** GET /cu/verify: longest log (entries, the Process item included) it verifies; longer ones answer 413. */
  VERIFY_MAX_MESSAGES: z.coerce.number().int().min(1).default(10_000),
  /** GET /cu/verify: time after which a verification stops and answers 503. */
  VERIFY_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Upload attempts after which an item that keeps failing is a dead letter (listed by GET /mu/failed, counted in /metrics). */
  UPLOAD_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  /** Seconds a drainer's claim on upload rows lasts; renewed while it works, so a killed worker's rows come back within it. */
  UPLOAD_LEASE_SECONDS: z.coerce.number().int().min(2).max(3600).default(30),
  /** Most items in one bundle posted to the gateway (docs/pipeline.md, "The embedded gateway"). */
  UPLOAD_BUNDLE_ITEMS: z.coerce.number().int().min(1).max(10_000).default(200),
  /** Most bytes of items in one bundle; one item larger than this goes in a bundle of its own. */
  UPLOAD_BUNDLE_BYTES: z.coerce.number().int().min(1024).default(240 * 1024),
  /** GET /cu/verify: verifications running at once (each on a thread of its own); beyond, 503 with Retry-After. */
  VERIFY_MAX_CONCURRENT: z.coerce.number().int().min(1).max(64).default(2),
  /** GET /cu/verify: verifications running at once per client address; beyond, 429 with Retry-After. */
  VERIFY_MAX_PER_CLIENT: z.coerce.number().int().min(1).max(64).default(1),
  /** Messages behind (log entries not yet evaluated + outbox pushes not yet relayed) past which POST /mu answers 503 with Retry-After. */
  MU_MAX_BACKLOG: z.coerce.number().int().min(1).default(100_000),
  /**
   * Items waiting for their first post to the gateway past which POST /mu answers 503 with
   * Retry-After (0: no limit). Bounds the upload backlog when the gateway indexes slower than the
   * platform accepts (docs/pipeline.md, "The embedded gateway"); with a limit, a gateway outage of
   * long enough stops ingress too.
   */
  UPLOAD_MAX_BACKLOG: z.coerce.number().int().min(0).default(0),
  /** Hops a chain of pushed messages may take from one user message before the MU stops it. */
  MAX_CRANK_DEPTH: z.coerce.number().int().min(1).default(64),
  /** Shortest Cron-Interval the platform accepts, in ms. */
  CRON_MIN_INTERVAL_MS: z.coerce.number().int().min(1).default(1_000),
  /** What missed ticks become after cron downtime, unless a process's Cron-Missed-Policy tag says otherwise. */
  CRON_MISSED_POLICY: z.enum(['catch-up', 'coalesce']).default('catch-up'),
  /** Seconds after which a worker or cron heartbeat counts as down in /health. */
  HEARTBEAT_TIMEOUT_S: z.coerce.number().int().min(1).default(15),
  /** On SIGTERM/SIGINT, how long api, worker and cron may take to finish in-flight work before exiting anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(25_000),
  /**
   * Break-glass bearer token: acts as an admin on /api/* and on /mu/failed when no admin account
   * can log in. Empty (the default): disabled. Every use is in the audit log as `break-glass`.
   */
  ADMIN_TOKEN: z.string().default(''),
  /**
   * 32 bytes (base64 or 64 hex digits) encrypting the ao keys the platform holds for its users
   * (AES-256-GCM). Required when NODE_ENV=production; elsewhere a fixed development key is used.
   */
  IDENTITY_KEY: z
    .string()
    .default('')
    .refine((v) => v === '' || identityKeyBytes(v) !== undefined, { message: '32 bytes as base64 or 64 hex digits' }),
  /** First start: create this admin when no admin exists yet (with ADMIN_PASSWORD). `npm run admin:create` does the same by hand. */
  ADMIN_EMAIL: z.union([z.literal(''), z.email()]).default(''),
  ADMIN_PASSWORD: z.union([z.literal(''), z.string().min(12, 'at least 12 characters')]).default(''),
  /** Browser sessions (httpOnly cookie) last this many hours. */
  SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  /**
   * How long an API key or session found valid is trusted without a lookup (ms; 0: look up every
   * request). Revocations still apply at once: see apps/api/src/auth/credential-cache.ts.
   */
  AUTH_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  /** Mark the session cookie Secure (set it when the API is served over HTTPS). */
  COOKIE_SECURE: bool.default(false),
  /** Express's `trust proxy`: behind a reverse proxy, how to read the client IP the IP rate limit counts (`false`, `true`, a hop count, or addresses). */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v) => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  /** Requests per RATE_LIMIT_WINDOW_S per API key or session on /api (429 with Retry-After past it). */
  RATE_LIMIT_PER_KEY: z.coerce.number().int().min(1).default(600),
  /** Requests per RATE_LIMIT_WINDOW_S per client IP on /api, whoever is calling. */
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).max(3600).default(60),
  /** The live feed (GET /api/feed) sends an SSE comment this often so proxies keep the stream open. */
  FEED_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
  /** How often the event projection sweeps agent results when no evaluation announcement woke it. */
  PROJECTION_SWEEP_MS: z.coerce.number().int().min(100).default(2_000),
  /** Debug aid: expose stack traces in 500 answers. Never in production. */
  EXPOSE_ERRORS: bool.default(false),
  /** The built dashboard the API serves at `/` (apps/web's `vite build` output). Empty: apps/web/dist of this checkout; `off`: serve none. */
  WEB_DIR: z.string().default(''),
}).superRefine((env, ctx) => {
  if (env.NODE_ENV === 'production' && env.IDENTITY_KEY === '') {
    ctx.addIssue({ code: 'custom', path: ['IDENTITY_KEY'], message: '32 bytes as base64 or 64 hex digits (required in production: it encrypts the ao keys held for users)' });
  }
});

/** The 32 key bytes of an IDENTITY_KEY value (base64 or hex), or undefined when it is not 32 bytes. */
export function identityKeyBytes(value: string): Buffer | undefined {
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  return bytes.length === 32 ? bytes : undefined;
}

export type Env = z.infer<typeof envSchema>;
export type QueueStage = (typeof queues)[number];
export const QUEUE_STAGES: readonly QueueStage[] = queues;
