// Entry of the embedded gateway as a child process (see startGatewayProcess): argv = port, data
// directory, mine interval in ms, `verified` | `unverified` (whether a bundle's items are checked
// before they are indexed). Prints `READY <url>` once it serves; SIGTERM stops it.
import { startArlocal } from './arlocal.js';

const [port, dataDir, mineIntervalMs, items] = process.argv.slice(2);
// The patched arlocal (patches/arlocal+1.1.66.patch) reads this switch from its environment.
// eslint-disable-next-line no-restricted-syntax -- this child process runs nothing but the gateway
process.env.ARLOCAL_VERIFY_ITEMS = items === 'unverified' ? '0' : '1';
const gateway = await startArlocal({ port: Number(port), dataDir, mineIntervalMs: Number(mineIntervalMs), persist: false });
process.stdout.write(`READY ${gateway.url}\n`);
process.on('SIGTERM', () => {
  void gateway.stop().finally(() => process.exit(0));
});
