import { verifyProcess, type VerifyProgress } from '@ao/core';
import { ArweaveGateway } from '../arweave/gateway.js';
import { GatewayLogReader } from './gateway-log-reader.js';
import { HttpResultSource } from './http-result-source.js';

/** Where the CLI writes: `out` gets the final line, `err` progress and errors. */
export interface VerifyCliIo {
  out(line: string): void;
  err(line: string): void;
  /** The gateway used when --gateway is not given. */
  defaultGateway: string;
  /** Milliseconds between progress lines (default 1000). */
  progressEveryMs?: number;
}

const USAGE = 'usage: npm run verify -- <processId> [--gateway URL] [--cu URL]';

interface Args {
  processId: string;
  gateway: string;
  cu?: string;
}

class UsageError extends Error {}

function httpUrl(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} needs a URL`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} must be an http(s) URL, got "${value}"`);
  return value;
}

function parseArgs(argv: string[], defaultGateway: string): Args {
  const positional: string[] = [];
  const flags: Record<string, string | undefined> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (name !== 'gateway' && name !== 'cu') throw new UsageError(`unknown option --${name}`);
    flags[name] = inline ?? argv[++i];
  }
  if (positional.length !== 1) throw new UsageError(positional.length ? 'one process id only' : 'a process id is required');
  return {
    processId: positional[0],
    gateway: httpUrl('gateway' in flags ? flags.gateway : defaultGateway, '--gateway'),
    ...('cu' in flags ? { cu: httpUrl(flags.cu, '--cu') } : {}),
  };
}

/** Prints a progress line per phase change, and at most one per interval within a phase. */
function progressPrinter(err: (line: string) => void, everyMs: number): (p: VerifyProgress) => void {
  let phase: string | undefined;
  let at = 0;
  return (p) => {
    const now = Date.now();
    const last = p.total !== undefined && p.done === p.total;
    if (p.phase === phase && now - at < everyMs && !last) return;
    phase = p.phase;
    at = now;
    err(p.phase === 'assignments' ? `assignments: ${p.done} read` : `messages: ${p.done}/${p.total ?? '?'} checked and evaluated`);
  };
}

/**
 * `npm run verify -- <processId> [--gateway URL] [--cu URL]`: reproduces a process from the gateway
 * alone and ends with `verified <pid>: <n> messages, state <hash>` (exit 0) or
 * `FAILED <pid> at nonce <k>: <reason>` (exit 1). Bad arguments, an unknown process or a gateway
 * (or CU) that cannot be read end with one `error: ...` line (exit 2).
 */
export async function runVerifyCli(argv: string[], io: VerifyCliIo): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv, io.defaultGateway);
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    io.err(USAGE);
    return 2;
  }
  try {
    io.err(`verifying ${args.processId} from ${args.gateway}${args.cu ? `, comparing with the CU at ${args.cu}` : ''}`);
    const report = await verifyProcess(args.processId, {
      reader: new GatewayLogReader(new ArweaveGateway(args.gateway)),
      ...(args.cu ? { compareWith: new HttpResultSource(args.cu) } : {}),
      onProgress: progressPrinter(io.err, io.progressEveryMs ?? 1000),
    });
    if (report.ignored) io.err(`ignored ${report.ignored} items tagged for this process that are not its scheduler's assignments`);
    if (!report.ok) {
      const f = report.failure ?? { nonce: report.lastNonce, reason: 'the log does not verify' };
      io.out(`FAILED ${args.processId} at nonce ${f.nonce}: ${f.reason}`);
      return 1;
    }
    io.err(`results ${report.resultsHash}`);
    if (report.cuCompared !== undefined) io.err(`CU agrees: ${report.cuCompared} results and the state hash`);
    io.out(`verified ${args.processId}: ${report.messages} messages, state ${report.stateHash}`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(`error: ${message.split('\n')[0]}`);
    return 2;
  }
}
