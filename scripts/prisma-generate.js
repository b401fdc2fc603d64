// `prisma generate` needs no engine binary in Prisma 7, but the CLI looks for the schema-engine
// binary it would download (unreachable here); any existing file satisfies that check.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
const result = spawnSync('npx', ['prisma', 'generate'], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
process.exit(result.status ?? 1);
