import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmbeddedGateway } from './arlocal.js';

/** The child's entry: the built file next to this one (tests run this module from source). */
function mainScript(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? here.replace(/\/src\/embedded\/gateway-process\.ts$/, '/dist/embedded/gateway-main.js') : here.replace(/gateway-process\.js$/, 'gateway-main.js');
}

/**
 * The embedded arlocal (startArlocal, as the platform runs it) in a child process of its own:
 * unbundling a large bundle blocks its event loop for seconds, which must not stall the caller
 * (a test runner, a benchmark), and its SQLite pool then never keeps the caller from exiting.
 * `port` 0 is not supported: pass a free port. arlocal's chatter is kept as a short tail for errors.
 */
export async function startGatewayProcess(options: {
  port: number;
  dataDir: string;
  mineIntervalMs: number;
  /**
   * false: index a bundle's items without verifying them, i.e. a gateway that serves whatever it is
   * given (tests of a verifier against a lying gateway). Default true: an item that does not verify
   * is skipped, as a gateway does.
   */
  verifyItems?: boolean;
}): Promise<EmbeddedGateway> {
  const args = [mainScript(), String(options.port), options.dataDir, String(options.mineIntervalMs), options.verifyItems === false ? 'unverified' : 'verified'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (d: Buffer | string) => (tail = (tail + String(d)).slice(-2000));
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += String(d);
      const ready = /READY (\S+)\n/.exec(out);
      if (ready) resolve(ready[1]);
      keep(d);
    });
    void exited.then((code) => reject(new Error(`the gateway process exited (${code}): ${tail.trim().split('\n').pop() ?? ''}`)));
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
