import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = (app: string) => fileURLToPath(new URL(`../apps/${app}/dist/main.js`, import.meta.url));

describe('a process started with bad configuration', () => {
  it.each(['api', 'worker', 'cron'])('%s exits non-zero naming the variable and the expected form', (app) => {
    const result = spawnSync(process.execPath, [main(app)], {
      env: { PATH: process.env.PATH, PORT: 'eighty', REDIS_URL: 'localhost:6379' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/PORT: expected .*number.*, got "eighty"/);
    expect(result.stderr).toMatch(/REDIS_URL: expected a URL starting with redis:\/\/ or rediss:\/\//);
  });
});
