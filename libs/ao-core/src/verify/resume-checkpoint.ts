import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { sha256Hex } from '../cu/checkpointer.js';
import type { EvalLimits, EvaluatorRegistry, ModuleDef, ProcessEnv, ProcessInstance } from '../cu/evaluator.js';
import type { SignedDataItem } from '../data-item/parse-data-item.js';
import { getTag, TAG } from '../tags.js';
import { checkAnchorSlot, type CheckedSlot } from './check-assignments.js';
import { checkItem } from './check-item.js';
import type { CheckpointRef, CheckpointReport, LogReader, VerifyFailure } from './ports.js';

const gunzipAsync = promisify(gunzip);
const HEX64 = /^[0-9a-f]{64}$/;

/** Where a verification may start: the newest checkpoint, or the newest at or below a nonce. */
export type CheckpointRequest = true | number;

/** What a checkpoint resume needs to know about the process. */
export interface ResumeContext {
  reader: LogReader;
  processId: string;
  scheduler: string;
  mod: ModuleDef;
  env: ProcessEnv;
  limits: EvalLimits;
  evaluators: EvaluatorRegistry;
  /** Addresses whose checkpoints are accepted. */
  trusted: readonly string[];
}

/** A resumed state: the instance after the checkpoint's nonce and that nonce's checked assignment. */
export interface Resumed {
  instance: ProcessInstance;
  anchor: CheckedSlot;
}

class Unusable extends Error {}

/**
 * Finds the process's Checkpoint items, keeps those signed by a trusted address at or below the
 * requested nonce, and resumes the newest that passes every check: its signature, its tags
 * (process, module, nonce), its image's SHA-256, the Scheduler's assignment at its nonce, and the
 * resumed state's hash against its State-Hash tag. A failing one is reported and the next older one
 * tried, unless a nonce was requested: then the first failure ends the search with `failure`.
 * Without a usable checkpoint (and no nonce requested) `resumed` is absent: replay from genesis.
 */
export async function resumeFromCheckpoint(
  ctx: ResumeContext,
  request: CheckpointRequest,
): Promise<{ report: CheckpointReport; resumed?: Resumed; failure?: VerifyFailure }> {
  const limit = request === true ? Infinity : request;
  const refs = (await ctx.reader.checkpoints(ctx.processId)).filter((r) => Number.isSafeInteger(r.nonce) && r.nonce >= 0 && r.nonce <= limit);
  refs.sort((a, b) => b.nonce - a.nonce || a.id.localeCompare(b.id));
  const trusted = new Set(ctx.trusted);
  const report: CheckpointReport = { requested: request === true ? 'newest' : request, trustedSigners: [...ctx.trusted], rejected: [], untrusted: [], statement: '' };
  for (const ref of refs) {
    if (!trusted.has(ref.signer)) {
      report.untrusted.push({ ...ref, reason: `signed by ${ref.signer}, who is not trusted to sign checkpoints` });
      continue;
    }
    // With a nonce asked for, only the newest checkpoints at or below it are candidates (several may share a nonce).
    if (request !== true && report.rejected.length > 0 && ref.nonce < report.rejected[0].nonce) break;
    try {
      const resumed = await resume(ctx, ref);
      report.used = { id: ref.id, nonce: ref.nonce, signer: ref.signer, stateHash: resumed.stateHash };
      report.statement =
        `verification started from checkpoint ${ref.id} at nonce ${ref.nonce} signed by ${ref.signer}: ` +
        `the state at nonce ${ref.nonce} is that signer's claim, nothing at or before nonce ${ref.nonce} was verified`;
      return { report, resumed: { instance: resumed.instance, anchor: resumed.anchor } };
    } catch (error) {
      if (!(error instanceof Unusable)) throw error;
      report.rejected.push({ ...ref, reason: error.message });
    }
  }
  const rejected = report.rejected.map((r) => `${r.id} at nonce ${r.nonce}: ${r.reason}`).join('; ');
  if (request !== true) {
    const reason = report.rejected.length
      ? `the checkpoint at nonce ${report.rejected[0].nonce} cannot be used (${rejected})`
      : `no checkpoint at or below nonce ${request} signed by ${[...trusted].join(' or ')}${report.untrusted.length ? ` (${report.untrusted.length} by untrusted signers ignored)` : ''}`;
    report.statement = `no verification: ${reason}`;
    return { report, failure: { nonce: request, code: report.rejected.length ? 'BAD_CHECKPOINT' : 'NO_CHECKPOINT', reason } };
  }
  report.statement = `no usable checkpoint${rejected ? ` (rejected: ${rejected})` : ''}: verification started from genesis`;
  return { report };
}

/** Downloads, checks and resumes one checkpoint; Unusable says why it cannot be used. */
async function resume(ctx: ResumeContext, ref: CheckpointRef): Promise<Resumed & { stateHash: string }> {
  const raw = (await ctx.reader.items([ref.id])).get(ref.id);
  if (!raw) throw new Unusable('the gateway does not serve the item');
  const checked = await checkItem(raw, ref.id, 'checkpoint');
  if (!('item' in checked)) throw new Unusable(checked.reason);
  const item = checked.item;
  if (item.ownerAddress !== ref.signer) throw new Unusable(`signed by ${item.ownerAddress}, not ${ref.signer} as the gateway lists it`);
  const tags = checkTags(item, ctx, ref.nonce);
  const anchor = await checkAnchorSlot(await ctx.reader.assignmentsAt(ctx.processId, ctx.scheduler, ref.nonce), ctx.processId, ctx.scheduler, ref.nonce);
  if ('code' in anchor) throw new Unusable(`its nonce cannot be tied to the log: ${anchor.reason}`);
  let image: Uint8Array;
  try {
    image = tags.encoding === 'gzip' ? await gunzipAsync(item.data) : item.data;
  } catch (error) {
    throw new Unusable(`its data does not gunzip: ${(error as Error).message}`);
  }
  if (sha256Hex(image) !== tags.sha256) throw new Unusable(`the SHA-256 of its image is ${sha256Hex(image)}, its SHA-256 tag says ${tags.sha256}`);
  let instance: ProcessInstance | undefined;
  try {
    try {
      instance = await ctx.evaluators.create(ctx.mod, ctx.env, ctx.limits, image);
    } catch (error) {
      throw new Unusable(`the evaluator cannot resume its image: ${(error as Error).message}`);
    }
    const stateHash = await instance.stateHash().catch((error: Error) => {
      throw new Unusable(`the resumed state cannot be hashed: ${error.message}`);
    });
    if (stateHash !== tags.stateHash) throw new Unusable(`the resumed state hashes to ${stateHash}, its State-Hash tag says ${tags.stateHash}`);
    return { instance, anchor, stateHash };
  } catch (error) {
    instance?.close();
    throw error;
  }
}

function checkTags(item: SignedDataItem, ctx: ResumeContext, nonce: number): { sha256: string; stateHash: string; encoding: 'gzip' | 'identity' } {
  const tag = (name: string) => getTag(item.tags, name);
  if (tag(TAG.Type) !== 'Checkpoint') throw new Unusable('it is not a Type: Checkpoint item');
  if (tag(TAG.Process) !== ctx.processId) throw new Unusable(`it is tagged for process ${tag(TAG.Process) ?? '(none)'}`);
  if (tag(TAG.Module) !== ctx.mod.id) throw new Unusable(`it was made by module ${tag(TAG.Module) ?? '(none)'}, the process runs ${ctx.mod.id}`);
  if (tag(TAG.Nonce) !== String(nonce)) throw new Unusable(`its signed Nonce tag is ${tag(TAG.Nonce) ?? '(none)'}, the gateway listed ${nonce}`);
  const sha256 = tag(TAG.Sha256) ?? '';
  const stateHash = tag('State-Hash') ?? '';
  if (!HEX64.test(sha256) || !HEX64.test(stateHash)) throw new Unusable('its SHA-256 or State-Hash tag is not a hex SHA-256');
  const encoding = tag('Content-Encoding') ?? 'identity';
  if (encoding !== 'gzip' && encoding !== 'identity') throw new Unusable(`unknown Content-Encoding ${encoding}`);
  return { sha256, stateHash, encoding };
}
