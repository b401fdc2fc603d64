// `npm run verify -- <processId> [--gateway URL] [--cu URL] [--from-checkpoint [NONCE]] [--checkpoint-signer ADDR]`:
// reproduces a process from an Arweave gateway alone (default: ARWEAVE_URL, else the embedded arlocal on ARLOCAL_PORT) and checks it.
// Imports the verifier directly (not all of @ao/infra), so it loads no database or queue client.
import { runVerifyCli } from '../libs/infra/dist/verify/index.js';

const defaultGateway = process.env.ARWEAVE_URL || `http://localhost:${process.env.ARLOCAL_PORT || 1984}`;
try {
  process.exitCode = await runVerifyCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    defaultGateway,
  });
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
