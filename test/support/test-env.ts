import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import { defaultMigrationsDir, deleteRedisPrefix, dropSchema, migrate, parseEnv, type Env } from '@ao/infra';

export const BASE_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ao_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh, isolated platform configuration: its own Postgres schema and Redis prefix, shared test wallets. */
export interface TestEnv {
  env: Env;
  /** The variables as strings, for child processes. */
  vars: Record<string, string>;
  cleanup(): Promise<void>;
}

/** Creates (and migrates) a new schema, and a Redis prefix, for one test file or test. */
export async function createTestEnv(overrides: Record<string, string> = {}, options: { migrate?: boolean } = {}): Promise<TestEnv> {
  const id = randomBytes(4).toString('hex');
  const schema = `t_${id}`;
  const walletDir = inject('walletDir');
  const vars: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: `${BASE_DATABASE_URL}?schema=${schema}`,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `test-${id}`,
    ARWEAVE_URL: inject('arweaveUrl'),
    WALLET_PATH: join(walletDir, 'wallet.json'),
    ARWEAVE_WALLET_PATH: join(walletDir, 'arweave-wallet.json'),
    PUBLIC_URL: 'http://127.0.0.1:3999',
    HEARTBEAT_TIMEOUT_S: '5',
    ...overrides,
  };
  const env = parseEnv(vars);
  if (options.migrate !== false) await migrate(env.DATABASE_URL, defaultMigrationsDir());
  return {
    env,
    vars,
    async cleanup() {
      await dropSchema(env.DATABASE_URL);
      await deleteRedisPrefix(TEST_REDIS_URL, vars.REDIS_PREFIX);
    },
  };
}
