import { PLATFORM_READ_LIMITS, verifyProcess, type CheckpointReport, type CheckpointRequest, type VerifyProgress } from '@ao/core';
import { ArweaveGateway } from '../arweave/gateway.js';
import { createEvaluators, gatewayHost } from '../cu/compute-unit.factory.js';
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

const USAGE = 'usage: npm run verify -- <processId> [--gateway URL] [--cu URL] [--from-checkpoint [NONCE]] [--checkpoint-signer ADDRESS]...';

interface Args {
  processId: string;
  gateway: string;
  cu?: string;
  fromCheckpoint?: CheckpointRequest;
  checkpointSigners?: string[];
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

const NONCE = /^(0|[1-9]\d{0,15})$/;

function parseArgs(argv: string[], defaultGateway: string): Args {
  const positional: string[] = [];
  const flags: Record<string, string | undefined> = {};
  const signers: string[] = [];
  let fromCheckpoint: CheckpointRequest | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (name === 'from-checkpoint') {
      // The nonce is optional: taken from the next argument only when that is a nonce.
      const value = inline ?? (NONCE.test(argv[i + 1] ?? '') ? argv[++i] : undefined);
      if (value !== undefined && !NONCE.test(value)) throw new UsageError(`--from-checkpoint takes a nonce, got "${value}"`);
      fromCheckpoint = value === undefined ? true : Number(value);
    } else if (name === 'checkpoint-signer') {
      const value = inline ?? argv[++i];
      if (!value || value.startsWith('--')) throw new UsageError('--checkpoint-signer needs an address');
      signers.push(value);
    } else if (name === 'gateway' || name === 'cu') {
      flags[name] = inline ?? argv[++i];
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  if (positional.length !== 1) throw new UsageError(positional.length ? 'one process id only' : 'a process id is required');
  if (signers.length && fromCheckpoint === undefined) throw new UsageError('--checkpoint-signer only applies with --from-checkpoint');
  return {
    processId: positional[0],
    gateway: httpUrl('gateway' in flags ? flags.gateway : defaultGateway, '--gateway'),
    ...('cu' in flags ? { cu: httpUrl(flags.cu, '--cu') } : {}),
    ...(fromCheckpoint !== undefined ? { fromCheckpoint } : {}),
    ...(signers.length ? { checkpointSigners: signers } : {}),
  };
}

/** Says where verification started and which checkpoints were passed over, and why. */
function describeCheckpoint(c: CheckpointReport, err: (line: string) => void): void {
  for (const u of c.untrusted) err(`checkpoint ${u.id} at nonce ${u.nonce} ignored: ${u.reason}`);
  for (const r of c.rejected) err(`checkpoint ${r.id} at nonce ${r.nonce} rejected: ${r.reason}`);
  err(c.statement);
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
 * `FAILED <pid> at nonce <k>: <reason>` (exit 1). With `--from-checkpoint [nonce]` it resumes from
 * a trusted Checkpoint item (default signer: the process's Scheduler; `--checkpoint-signer` to
 * choose), says so on stderr and in the summary (`... messages from checkpoint at nonce <k>, ...`).
 * Bad arguments, an unknown process or a gateway
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
    const gateway = new ArweaveGateway(args.gateway);
    const report = await verifyProcess(args.processId, {
      reader: new GatewayLogReader(gateway),
      // reads and libraries from the same gateway, checked against their ids (the platform's read limits)
      evaluators: createEvaluators(gatewayHost(gateway, PLATFORM_READ_LIMITS)),
      ...(args.cu ? { compareWith: new HttpResultSource(args.cu) } : {}),
      ...(args.fromCheckpoint !== undefined ? { fromCheckpoint: args.fromCheckpoint } : {}),
      ...(args.checkpointSigners ? { checkpointSigners: args.checkpointSigners } : {}),
      onProgress: progressPrinter(io.err, io.progressEveryMs ?? 1000),
    });
    if (report.checkpoint) describeCheckpoint(report.checkpoint, io.err);
    if (report.ignored) io.err(`ignored ${report.ignored} items tagged for this process that are not its scheduler's assignments`);
    if (!report.ok) {
      const f = report.failure ?? { nonce: report.lastNonce, reason: 'the log does not verify' };
      io.out(`FAILED ${args.processId} at nonce ${f.nonce}: ${f.reason}`);
      return 1;
    }
    io.err(`results ${report.resultsHash}`);
    if (report.cuCompared !== undefined) io.err(`CU agrees: ${report.cuCompared} results and the state hash`);
    const used = report.checkpoint?.used;
    io.out(`verified ${args.processId}: ${report.messages} messages${used ? ` from checkpoint at nonce ${used.nonce}` : ''}, state ${report.stateHash}`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(`error: ${message.split('\n')[0]}`);
    return 2;
  }
}
