// A standalone arlocal gateway (used by docker/compose.yml): data under DATA_DIR/arlocal,
// a block mined every ARLOCAL_MINE_INTERVAL_MS.
import { join } from 'node:path';
import { loadEnv, startArlocal } from '@ao/infra';

const env = loadEnv();
const gateway = await startArlocal({
  port: env.ARLOCAL_PORT,
  host: env.ARLOCAL_HOST,
  dataDir: join(env.DATA_DIR, 'arlocal'),
  mineIntervalMs: env.ARLOCAL_MINE_INTERVAL_MS,
});
console.log(`arlocal listening at ${gateway.url}`);
const stop = async () => {
  await gateway.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
