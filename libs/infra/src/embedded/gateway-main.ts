// Entry of the embedded gateway as a child process (see startGatewayProcess): argv = port, data
// directory, mine interval in ms. Prints `READY <url>` once it serves; SIGTERM stops it.
import { startArlocal } from './arlocal.js';

const [port, dataDir, mineIntervalMs] = process.argv.slice(2);
const gateway = await startArlocal({ port: Number(port), dataDir, mineIntervalMs: Number(mineIntervalMs), persist: false });
process.stdout.write(`READY ${gateway.url}\n`);
process.on('SIGTERM', () => {
  void gateway.stop().finally(() => process.exit(0));
});
