import { AoError, type AoErrorCode } from '../errors.js';
import { seedHashChain } from '../hash-chain.js';
import type { LogEntry } from '../su/ports.js';
import type { EvalResult } from '../types.js';
import { limitsFor, type AoMessage, type EvalLimits, type EvaluatorRegistry, type ProcessEnv, type ProcessInstance } from './evaluator.js';
import { nextLink } from './chain-link.js';
import { Checkpointer, type CheckpointPorts, type CheckpointStats } from './checkpointer.js';
import type { CheckpointMeta, CheckpointSummary, CommittedResult, ComputeStore, ModuleLoader } from './ports.js';
import { toAoMessage, trustedPushers } from './to-ao-message.js';

const MODULE_FAILURES = new Set<AoErrorCode>(['MODULE_LOAD_FAILED', 'UNKNOWN_MODULE_FORMAT']);

/** The error for a process whose evaluation stopped for good; the recorded reason starts with its code unless the hash chain broke. */
export function stoppedError(reason: string, details: Record<string, unknown>, prefix = ''): AoError {
  const coded = /^(MODULE_LOAD_FAILED|UNKNOWN_MODULE_FORMAT): ([\s\S]*)$/.exec(reason);
  return coded ? new AoError(coded[1] as AoErrorCode, prefix + coded[2], details) : new AoError('BROKEN_HASH_CHAIN', prefix + reason, details);
}

export interface ComputeUnitOptions {
  /** Live process instances kept in memory (least recently used are closed). */
  maxLive: number;
  /** Log entries read and committed per round trip. */
  batchSize: number;
  defaults: EvalLimits;
  maxima: EvalLimits;
  /** Addresses trusted to push for other processes (the platform's MU wallet). */
  platformAddresses: string[];
  /**
   * Checkpoint the state after every nonce that is a multiple of this (and on eviction), so a cold
   * start replays fewer than this many entries. 0 or absent: never (needs checkpoint ports too).
   */
  checkpointInterval?: number;
  /** False for a read-only unit (e.g. the API's): it restores from checkpoints but never saves one. */
  saveCheckpoints?: boolean;
}

interface Live {
  instance: ProcessInstance;
  /** Last nonce folded into the instance (-1 before slot 0). */
  nonce: number;
  lastAssignmentId?: string;
  lastHashChain?: string;
  /** Timestamp of the entry at `nonce`. */
  timestamp: number;
  moduleId: string;
  trusted: Set<string>;
  env: ProcessEnv;
  /** Nonce of the newest checkpoint of this state's history (-1: none). */
  lastCheckpoint: number;
  /** The background save of the last checkpoint: awaited before committing past it. */
  saving?: Promise<boolean>;
  /** A state hash already computed for the current nonce. */
  knownHash?: { nonce: number; hash: string };
  /** Calls using the instance right now; a busy instance is never evicted. */
  busy: number;
}

/** What one evaluation pass did. */
export interface EvaluationReport {
  processId: string;
  from: number;
  to: number;
  evaluated: number;
  results: CommittedResult[];
}

/**
 * The Compute Unit: a process's state is the fold of its module over its SU log. Keeps a bounded
 * set of live instances; evaluates new log entries in nonce order, verifying the hash chain as it
 * reads, and commits each result once. Callers serialize calls per process (a process lock).
 *
 * With checkpoint ports, the state after every `checkpointInterval`-th nonce is checkpointed (and
 * an evicted instance too, when newer than its last checkpoint); a process that is not live is
 * resumed from its newest verified checkpoint and replayed forward from there, so a cold start
 * replays fewer than `checkpointInterval` entries. Commits past a checkpoint wait for its save.
 */
export class ComputeUnit {
  private readonly live = new Map<string, Live>();
  private readonly checkpointer?: Checkpointer;
  private readonly interval: number;

  constructor(
    private readonly store: ComputeStore,
    private readonly modules: ModuleLoader,
    private readonly evaluators: EvaluatorRegistry,
    private readonly options: ComputeUnitOptions,
    checkpoints?: CheckpointPorts,
  ) {
    if (checkpoints) this.checkpointer = new Checkpointer(checkpoints, options.saveCheckpoints !== false);
    this.interval = checkpoints && options.saveCheckpoints !== false ? Math.max(0, Math.floor(options.checkpointInterval ?? 0)) : 0;
  }

  /** Evaluates every log entry not yet evaluated, committing results in batches. */
  async evaluate(processId: string): Promise<EvaluationReport> {
    const head = await this.store.evaluationHead(processId);
    if (head.error) throw stoppedError(head.error, { processId, nonce: head.nonce + 1 });
    return this.recordingModuleFailure(processId, head.nonce, () => this.withLive(processId, head.nonce, async (live) => {
      const report: EvaluationReport = { processId, from: head.nonce + 1, to: head.nonce, evaluated: 0, results: [] };
      // Each batch is committed when the next read shows whether more follow, so the last one goes
      // in with the state hash of the state it leaves (one hash per evaluation, not per batch).
      let pending: CommittedResult[] = [];
      for (;;) {
        const entries = await this.store.readLog(processId, live.nonce, this.options.batchSize);
        if (entries.length === 0) break;
        if (pending.length) await this.commit(live, processId, pending, undefined);
        pending = [];
        for (const entry of entries) {
          const broken = this.checkLink(live, entry, processId);
          if (broken) {
            if (pending.length) await this.commit(live, processId, pending, undefined);
            await this.store.markBroken(processId, entry.nonce, broken);
            this.drop(processId);
            throw new AoError('BROKEN_HASH_CHAIN', broken, { processId, nonce: entry.nonce });
          }
          let result: EvalResult;
          try {
            result = await live.instance.evaluate(this.message(live, entry, processId));
          } catch (error) {
            // The VM failed outside the module's own error handling: nothing of this message is
            // committed, the instance is discarded, and the job retries from the last commit.
            this.drop(processId);
            throw error;
          }
          this.advance(live, entry);
          pending.push({ nonce: entry.nonce, messageId: entry.messageId ?? processId, result });
          if (this.checkpointDue(live, -1)) await this.captureInBackground(processId, live);
        }
        report.results.push(...pending);
        report.evaluated += pending.length;
        report.to = live.nonce;
      }
      if (pending.length) await this.commit(live, processId, pending, await this.hashOf(live));
      return report;
    }));
  }

  /**
   * A module that cannot run (invalid, or of an unknown format) never will: recorded on the process
   * like a broken chain, so readers get the reason instead of waiting. Transient failures (gateway
   * unreachable) are not recorded.
   */
  private async recordingModuleFailure<T>(processId: string, nonce: number, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof AoError && error.kind === 'permanent' && MODULE_FAILURES.has(error.code)) {
        await this.store.markBroken(processId, nonce + 1, `${error.code}: ${error.message}`);
      }
      throw error;
    }
  }

  /** Evaluates a message against the latest evaluated state without changing it. */
  async dryRun(processId: string, message: Omit<AoMessage, 'Read-Only'>): Promise<EvalResult> {
    const head = await this.store.evaluationHead(processId);
    return this.withLive(processId, head.nonce, (live) => live.instance.dryRun({ ...message, 'Read-Only': true }));
  }

  /** The state hash of the latest evaluated state. */
  async stateHash(processId: string): Promise<{ nonce: number; hash: string }> {
    const head = await this.store.evaluationHead(processId);
    return this.withLive(processId, head.nonce, async (live) => ({ nonce: live.nonce, hash: await this.hashOf(live) }));
  }

  /** Checkpoints the latest evaluated state now and waits until it is saved; undefined before slot 0. */
  async checkpointNow(processId: string): Promise<CheckpointMeta | undefined> {
    const checkpointer = this.checkpointer;
    if (!checkpointer?.saves) throw new AoError('INVALID_REQUEST', 'this Compute Unit does not save checkpoints');
    const head = await this.store.evaluationHead(processId);
    return this.withLive(processId, head.nonce, async (live) => {
      if (live.nonce < 0) return undefined;
      const capture = await checkpointer.capture(this.source(processId, live), live.knownHash?.nonce === live.nonce ? live.knownHash.hash : undefined);
      live.lastCheckpoint = live.nonce;
      if (!(await capture.saved)) throw new AoError('INTERNAL', `the checkpoint of ${processId} at nonce ${live.nonce} could not be saved`, {}, 'transient');
      return capture.meta;
    });
  }

  /** The kept checkpoints of a process, newest first (empty without checkpoint ports). */
  async checkpoints(processId: string): Promise<CheckpointSummary[]> {
    return this.checkpointer ? this.checkpointer.list(processId) : [];
  }

  /** Checkpoint counters (zeros without checkpoint ports). */
  get checkpointStats(): CheckpointStats | undefined {
    return this.checkpointer?.stats;
  }

  /** Waits for checkpoints still being saved in the background. */
  async flush(): Promise<void> {
    await this.checkpointer?.flush();
  }

  /** Closes every live instance (checkpoints being saved finish on their own; see flush). */
  close(): void {
    for (const id of [...this.live.keys()]) this.drop(id);
  }

  /** Number of live instances (for metrics). */
  get liveCount(): number {
    return this.live.size;
  }

  private message(live: Live, entry: LogEntry, processId: string): AoMessage {
    return toAoMessage(entry, { processId, moduleId: live.moduleId, trustedPushers: live.trusted });
  }

  private checkLink(live: Live, entry: LogEntry, processId: string): string | undefined {
    if (entry.nonce !== live.nonce + 1) return `nonce ${entry.nonce} follows ${live.nonce}: the log has a gap`;
    const expected = entry.nonce === 0 ? seedHashChain(processId) : nextLink(live.lastAssignmentId!, live.lastHashChain!);
    if (entry.hashChain !== expected) return `hash chain broken at nonce ${entry.nonce}`;
    return undefined;
  }

  private advance(live: Live, entry: LogEntry): void {
    live.nonce = entry.nonce;
    live.lastAssignmentId = entry.assignmentId;
    live.lastHashChain = entry.hashChain;
    live.timestamp = entry.timestamp;
  }

  private async commit(live: Live, processId: string, results: CommittedResult[], stateHash: string | undefined): Promise<void> {
    // Nothing past a checkpoint is committed before the checkpoint is saved (or has failed), so a
    // restart never finds the head more than one interval past the newest checkpoint.
    if (live.saving) await live.saving;
    await this.store.commit(processId, results, stateHash);
  }

  private async hashOf(live: Live): Promise<string> {
    if (live.knownHash?.nonce === live.nonce) return live.knownHash.hash;
    const hash = await live.instance.stateHash();
    live.knownHash = { nonce: live.nonce, hash };
    return hash;
  }

  /**
   * Whether the state is at a multiple of the interval not yet checkpointed; `until` limits it to
   * the last such nonce before `until` (a catch-up replay checkpoints once, not at every multiple).
   */
  private checkpointDue(live: Live, until: number): boolean {
    const interval = this.interval;
    if (!interval || live.nonce <= 0 || live.nonce % interval !== 0) return false;
    return live.nonce > live.lastCheckpoint && live.nonce + interval > until;
  }

  private async captureInBackground(processId: string, live: Live): Promise<void> {
    const checkpointer = this.checkpointer!;
    const nonce = live.nonce;
    try {
      const hash = await this.hashOf(live);
      const capture = await checkpointer.capture(this.source(processId, live), hash);
      const previous = live.lastCheckpoint;
      live.lastCheckpoint = nonce;
      live.saving = capture.saved;
      void capture.saved.then((ok) => {
        if (!ok && live.lastCheckpoint === nonce) live.lastCheckpoint = previous;
      });
    } catch (error) {
      // A checkpoint never stops evaluation: counted and reported, the next one may succeed.
      checkpointer.captureFailed(processId, nonce, error);
    }
  }

  private source(processId: string, live: Live) {
    return {
      processId,
      moduleId: live.moduleId,
      nonce: live.nonce,
      assignmentId: live.lastAssignmentId ?? '',
      hashChain: live.lastHashChain ?? '',
      timestamp: live.timestamp,
      instance: live.instance,
    };
  }

  /** Runs `fn` on the live instance at `nonce`; the instance cannot be evicted meanwhile. */
  private async withLive<T>(processId: string, nonce: number, fn: (live: Live) => Promise<T>): Promise<T> {
    const live = await this.liveAt(processId, nonce);
    try {
      return await fn(live);
    } finally {
      live.busy -= 1;
    }
  }

  /**
   * A live instance whose state is exactly the fold up to `nonce`: the cached one, caught up by
   * replaying forward if another worker moved the head, or a fresh one (from the newest verified
   * checkpoint at or below `nonce`, else genesis) replayed forward. Replayed entries are not
   * committed again (their results exist; evaluation is deterministic). Returned marked busy.
   */
  private async liveAt(processId: string, nonce: number): Promise<Live> {
    let live = this.live.get(processId);
    if (live && live.nonce > nonce) {
      this.drop(processId);
      live = undefined;
    }
    if (live) this.live.delete(processId);
    const cold = !live;
    live ??= await this.fresh(processId, nonce);
    const from = live.nonce;
    try {
      while (live.nonce < nonce) {
        const entries = await this.store.readLog(processId, live.nonce, this.options.batchSize);
        if (entries.length === 0) break;
        for (const entry of entries) {
          if (entry.nonce > nonce) break;
          const broken = this.checkLink(live, entry, processId);
          if (broken) throw new AoError('BROKEN_HASH_CHAIN', broken, { processId, nonce: entry.nonce });
          await live.instance.evaluate(this.message(live, entry, processId));
          this.advance(live, entry);
          // Heals a missing checkpoint (a failed save, or a log older than checkpoints).
          if (this.checkpointDue(live, nonce)) await this.captureInBackground(processId, live);
        }
      }
    } catch (error) {
      live.instance.close();
      throw error;
    }
    if (cold && this.checkpointer) {
      this.checkpointer.stats.coldStarts += 1;
      this.checkpointer.stats.lastColdStartReplayed = live.nonce - from;
    }
    live.busy += 1;
    this.live.set(processId, live);
    await this.evictOverflow();
    return live;
  }

  private async fresh(processId: string, nonce: number): Promise<Live> {
    const process = await this.store.getProcess(processId);
    if (!process) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    const mod = await this.modules.load(process.module);
    const env: ProcessEnv = {
      Process: { Id: process.id, Owner: process.owner, Tags: process.tags },
      Module: { Id: mod.id, Owner: mod.owner, Tags: mod.tags },
    };
    const limits = limitsFor(mod, env, this.options.defaults, this.options.maxima);
    const base = { moduleId: mod.id, trusted: trustedPushers(process.tags, this.options.platformAddresses), env, busy: 0 };
    if (this.checkpointer && nonce >= 0) {
      const restored = await this.checkpointer.restore(
        processId,
        mod.id,
        nonce,
        (raw) => this.evaluators.create(mod, env, limits, raw),
        (meta) => this.linkMismatch(processId, meta),
      );
      if (restored) {
        const { instance, meta } = restored;
        return {
          ...base,
          instance,
          nonce: meta.nonce,
          lastAssignmentId: meta.assignmentId,
          lastHashChain: meta.hashChain,
          timestamp: meta.timestamp,
          lastCheckpoint: meta.nonce,
          knownHash: { nonce: meta.nonce, hash: meta.stateHash },
        };
      }
    }
    const instance = await this.evaluators.create(mod, env, limits);
    return { ...base, instance, nonce: -1, timestamp: 0, lastCheckpoint: -1 };
  }

  /** Why a checkpoint's recorded chain link is not the log's entry at its nonce (the chain check resumes from it). */
  private async linkMismatch(processId: string, meta: CheckpointSummary): Promise<string | undefined> {
    const [entry] = await this.store.readLog(processId, meta.nonce - 1, 1);
    if (!entry || entry.nonce !== meta.nonce) return `the log has no entry at nonce ${meta.nonce}`;
    if (entry.assignmentId !== meta.assignmentId || entry.hashChain !== meta.hashChain) {
      return `its assignment or hash chain differs from the log's at nonce ${meta.nonce}`;
    }
    return undefined;
  }

  /** Closes the least recently used idle instances beyond `maxLive`, checkpointing each first when newer than its last checkpoint. */
  private async evictOverflow(): Promise<void> {
    while (this.live.size > this.options.maxLive) {
      const victim = [...this.live].find(([, l]) => l.busy === 0);
      if (!victim) return;
      const [id, live] = victim;
      this.live.delete(id);
      if (this.interval > 0 && live.nonce > live.lastCheckpoint && live.nonce > 0) {
        await this.captureInBackground(id, live);
      }
      live.instance.close();
    }
  }

  private drop(processId: string): void {
    const live = this.live.get(processId);
    if (!live) return;
    this.live.delete(processId);
    live.instance.close();
  }
}
