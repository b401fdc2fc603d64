import { createHash } from 'node:crypto';
import { isId } from '../data-item/ids.js';
import type { SignedDataItem } from '../data-item/parse-data-item.js';
import { AoError } from '../errors.js';
import { EvaluatorRegistry, limitsFor, type EvalLimits, type ModuleDef, type ProcessEnv, type ProcessInstance } from '../cu/evaluator.js';
import { LuaEvaluatorFactory } from '../cu/lua/lua-evaluator.js';
import { toAoMessage, trustedPushers } from '../cu/to-ao-message.js';
import { getTag, TAG } from '../tags.js';
import type { EvalResult } from '../types.js';
import { checkAssignments, type CheckedSlot } from './check-assignments.js';
import { checkItem } from './check-item.js';
import { canonicalJson, CuComparison } from './compare-results.js';
import { resumeFromCheckpoint, type CheckpointRequest, type Resumed } from './resume-checkpoint.js';
import type { LogReader, ResultSource, VerifyFailure, VerifyFailureCode, VerifyProgress, VerifyReport } from './ports.js';

/** The platform CU's default and maximum limits (CU_GAS_*, CU_MEMORY_*): a replay must use the same. */
export const PLATFORM_EVAL_LIMITS: { defaults: EvalLimits; maxima: EvalLimits } = {
  defaults: { gas: 100_000_000, memoryBytes: 256 * 1024 * 1024 },
  maxima: { gas: 1_000_000_000, memoryBytes: 1024 * 1024 * 1024 },
};

export interface VerifyProcessOptions {
  reader: LogReader;
  /** Evaluators by module format; a fresh registry with the Lua evaluator when absent. */
  evaluators?: EvaluatorRegistry;
  limits?: { defaults: EvalLimits; maxima: EvalLimits };
  /** A CU whose results and state hash must equal the replay's. */
  compareWith?: ResultSource;
  onProgress?: (progress: VerifyProgress) => void;
  /** Messages fetched per round trip. */
  batchSize?: number;
  /**
   * Start from a Checkpoint item instead of genesis: the newest (`true`) or the newest at or below
   * a nonce. Absent (the default): genesis replay, and checkpoints are never read.
   */
  fromCheckpoint?: CheckpointRequest;
  /**
   * Whose checkpoints are accepted as starting points. Default: the process's Scheduler, the
   * unit the process chose to run on (on this platform one wallet signs its assignments and its checkpoints).
   */
  checkpointSigners?: readonly string[];
}

const MESSAGE_CODES: Record<'parse' | 'id' | 'signature', VerifyFailureCode> = {
  parse: 'BAD_MESSAGE',
  id: 'MESSAGE_MISMATCH',
  signature: 'BAD_MESSAGE_SIGNATURE',
};

/** The process's module as the evaluators take it, or why it cannot be. */
async function loadModule(reader: LogReader, moduleId: string): Promise<ModuleDef | string> {
  const raw = (await reader.items([moduleId])).get(moduleId);
  if (!raw) return `module ${moduleId} is not on the gateway`;
  const checked = await checkItem(raw, moduleId, 'module');
  if (!('item' in checked)) return checked.reason;
  const { item } = checked;
  if (getTag(item.tags, TAG.Type) !== 'Module') return `item ${moduleId} named by the process is not a Type: Module item`;
  const format = getTag(item.tags, TAG.ModuleFormat);
  if (!format) return `module ${moduleId} has no Module-Format`;
  return { id: item.id, owner: item.ownerAddress, tags: item.tags, format, source: item.data };
}

/** The Process item the id names; throws when there is none, or it is not a process. */
async function loadProcess(reader: LogReader, processId: string): Promise<SignedDataItem | VerifyFailure> {
  if (!isId(processId)) throw new AoError('INVALID_REQUEST', `${processId} is not a process id (43 base64url characters)`, { processId });
  const raw = (await reader.items([processId])).get(processId);
  if (!raw) throw new AoError('NOT_FOUND', `process ${processId} is not on the gateway`, { processId });
  const checked = await checkItem(raw, processId, 'process');
  if ('item' in checked && getTag(checked.item.tags, TAG.Type) !== 'Process') {
    throw new AoError('INVALID_REQUEST', `${processId} is a ${getTag(checked.item.tags, TAG.Type) ?? 'untyped'} item, not a Process`, { processId });
  }
  if (!('item' in checked)) return { nonce: 0, code: 'BAD_PROCESS', reason: checked.reason };
  if (!getTag(checked.item.tags, TAG.Scheduler) || !getTag(checked.item.tags, TAG.Module)) {
    return { nonce: 0, code: 'BAD_PROCESS', reason: 'the Process item lacks a Scheduler or Module tag' };
  }
  return checked.item;
}

/**
 * Reproduces a process from what a gateway holds, trusting nothing but signatures: the Process item,
 * its module, every assignment its Scheduler signed (one per nonce from 0, hash-chained) and every
 * message they order, each checked against its id and signature; then folds the module over the log
 * in a fresh evaluator. Answers the state hash at the last nonce and a hash over all results, or the
 * first nonce at which the log (or the CU, when compared) is wrong. Gateway errors are thrown.
 * With `fromCheckpoint`, the replay resumes from a trusted signer's Checkpoint item instead and
 * checks only the log after its nonce; `report.checkpoint` says which one, on whose word.
 */
export async function verifyProcess(processId: string, options: VerifyProcessOptions): Promise<VerifyReport> {
  const { reader, onProgress = () => undefined } = options;
  const report: VerifyReport = { processId, ok: false, messages: 0, lastNonce: -1, ignored: 0 };
  const failed = (failure: VerifyFailure): VerifyReport => ({ ...report, failure });

  const processItem = await loadProcess(reader, processId);
  if (!('id' in processItem)) return failed(processItem);
  const scheduler = getTag(processItem.tags, TAG.Scheduler)!;
  const mod = await loadModule(reader, getTag(processItem.tags, TAG.Module)!);
  if (typeof mod === 'string') return failed({ nonce: 0, code: 'BAD_MODULE', reason: mod });

  const env: ProcessEnv = {
    Process: { Id: processId, Owner: processItem.ownerAddress, Tags: processItem.tags },
    Module: { Id: mod.id, Owner: mod.owner, Tags: mod.tags },
  };
  const limits = options.limits ?? PLATFORM_EVAL_LIMITS;
  const processLimits = limitsFor(mod, env, limits.defaults, limits.maxima);
  const evaluators = options.evaluators ?? new EvaluatorRegistry().register(new LuaEvaluatorFactory());

  let resumed: Resumed | undefined;
  if (options.fromCheckpoint !== undefined) {
    const trusted = options.checkpointSigners ?? [scheduler];
    const start = await resumeFromCheckpoint({ reader, processId, scheduler, mod, env, limits: processLimits, evaluators, trusted }, options.fromCheckpoint);
    report.checkpoint = start.report;
    if (start.failure) return failed(start.failure);
    resumed = start.resumed;
  }

  let instance: ProcessInstance | undefined = resumed?.instance;
  try {
    const anchor = resumed?.anchor;
    const log = await checkAssignments(reader.assignments(processId, scheduler, anchor && anchor.nonce + 1), processId, scheduler, onProgress, anchor);
    report.lastNonce = log.lastNonce;
    report.ignored = log.ignored;
    // Messages before a broken assignment are still checked (an earlier bad message is the first
    // failure), but evaluation only matters when the whole log holds.
    if (log.failure) {
      instance?.close();
      instance = undefined;
    } else if (!instance) {
      instance = await evaluators.create(mod, env, processLimits);
    }
    const replay = new Replay(processId, mod, processItem, instance, options.compareWith, anchor?.nonce);
    const failure = await replay.run(reader, log.slots, options.batchSize ?? 100, onProgress);
    report.messages = replay.passed;
    if (failure) return failed(failure);
    if (log.failure || !instance) return failed(log.failure ?? { nonce: 0, code: 'MISSING_NONCE', reason: 'the log is empty' });
    report.stateHash = await instance.stateHash();
    report.resultsHash = replay.resultsHash();
    if (replay.cu) {
      const cuFailure = await replay.cu.finish(log.lastNonce, report.stateHash);
      report.cuCompared = replay.cu.compared;
      if (cuFailure) return failed(cuFailure);
    }
    return { ...report, ok: true };
  } finally {
    instance?.close();
  }
}

/** Walks the checked slots in order: fetches, checks and evaluates each message. */
class Replay {
  /** Entries whose message checked out (and was evaluated, when the log holds). */
  passed = 0;
  readonly cu: CuComparison | undefined;
  private readonly hash = createHash('sha256');
  private readonly trusted: Set<string>;

  constructor(
    private readonly processId: string,
    private readonly mod: ModuleDef,
    private readonly processItem: SignedDataItem,
    private readonly instance: ProcessInstance | undefined,
    compareWith: ResultSource | undefined,
    /** The checkpoint nonce the replay resumes after (results are compared after it). */
    after?: number,
  ) {
    // The module owner is the platform's signing wallet: the pusher aos and the CU trust.
    this.trusted = trustedPushers(processItem.tags, [mod.owner]);
    this.cu = compareWith && instance ? new CuComparison(compareWith, processId, 1000, after) : undefined;
  }

  resultsHash(): string {
    return this.hash.digest('hex');
  }

  async run(reader: LogReader, slots: CheckedSlot[], batchSize: number, onProgress: (p: VerifyProgress) => void): Promise<VerifyFailure | undefined> {
    for (let start = 0; start < slots.length; start += batchSize) {
      const batch = slots.slice(start, start + batchSize);
      const ids = batch.filter((s) => s.nonce > 0).map((s) => s.messageId);
      const items = ids.length ? await reader.items(ids) : new Map<string, Uint8Array>();
      for (const slot of batch) {
        const failure = await this.step(slot, slot.nonce === 0 ? this.processItem.raw : items.get(slot.messageId));
        if (failure) return failure;
      }
      onProgress({ phase: 'messages', done: start + batch.length, total: slots.length });
    }
    return undefined;
  }

  private async step(slot: CheckedSlot, raw: Uint8Array | undefined): Promise<VerifyFailure | undefined> {
    const { nonce, messageId } = slot;
    if (!raw) return { nonce, code: 'MISSING_MESSAGE', reason: `message ${messageId} assigned at nonce ${nonce} is not on the gateway` };
    if (nonce > 0) {
      const checked = await checkItem(raw, messageId, 'message');
      if (!('item' in checked)) return { nonce, code: MESSAGE_CODES[checked.code], reason: checked.reason };
    }
    if (!this.instance) {
      this.passed += 1;
      return undefined;
    }
    let result: EvalResult;
    try {
      const entry = { ...slot, processId: this.processId, assignment: Buffer.alloc(0), message: Buffer.from(raw) };
      result = await this.instance.evaluate(toAoMessage(entry, { processId: this.processId, moduleId: this.mod.id, trustedPushers: this.trusted }));
    } catch (error) {
      return { nonce, code: 'EVALUATION_FAILED', reason: `evaluation failed: ${(error as Error).message}` };
    }
    this.passed += 1;
    const canonical = canonicalJson(result);
    this.hash.update(canonical).update('\n');
    return this.cu ? this.cu.check(nonce, result, canonical) : undefined;
  }
}
