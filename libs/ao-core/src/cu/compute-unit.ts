import { AoError, type AoErrorCode } from '../errors.js';
import type { EvalResult } from '../types.js';
import type { AoMessage, EvaluatorRegistry } from './evaluator.js';
import { Checkpointer, type CheckpointPorts, type CheckpointStats } from './checkpointer.js';
import { LiveProcesses, advance, checkLink, messageFor, type Live, type LiveProcessOptions } from './live-processes.js';
import type { CheckpointMeta, CheckpointSummary, CommittedResult, ComputeStore, ModuleLoader, PendingLog, ProcessCommit } from './ports.js';
import type { LogEntry } from '../su/ports.js';

const MODULE_FAILURES = new Set<AoErrorCode>(['MODULE_LOAD_FAILED', 'UNKNOWN_MODULE_FORMAT']);

/** The error for a process whose evaluation stopped for good; the recorded reason starts with its code unless the hash chain broke. */
export function stoppedError(reason: string, details: Record<string, unknown>, prefix = ''): AoError {
  const coded = /^(MODULE_LOAD_FAILED|UNKNOWN_MODULE_FORMAT|EVALUATION_STOPPED): ([\s\S]*)$/.exec(reason);
  return coded ? new AoError(coded[1] as AoErrorCode, prefix + coded[2], details) : new AoError('BROKEN_HASH_CHAIN', prefix + reason, details);
}

export interface ComputeUnitOptions extends LiveProcessOptions {
  /**
   * Checkpoint the state after every nonce that is a multiple of this (and on eviction), so a cold
   * start replays fewer than this many entries. 0 or absent: never (needs checkpoint ports too).
   */
  checkpointInterval?: number;
  /** False for a read-only unit (e.g. the API's): it restores from checkpoints but never saves one. */
  saveCheckpoints?: boolean;
  /**
   * A commit that ends an evaluation pass records the state hash (a full canonical serialization
   * of the state, often costlier than the messages themselves) only when this many ms have passed
   * since the process's last recorded hash; 0 or absent: every pass. The store keeps the nonce the
   * recorded hash belongs to. Results never depend on it.
   */
  stateHashIntervalMs?: number;
  /** Wall-clock ms for that throttle (never seen by evaluation); Date.now by default. */
  now?: () => number;
}

/** What one evaluation pass did. */
export interface EvaluationReport {
  processId: string;
  from: number;
  to: number;
  evaluated: number;
  /** Results with messages, spawns or assignments for the Messenger to relay. */
  relays: number;
  /** Results with an Error. */
  errors: number;
}

/** How one process of a batch (`ComputeUnit.evaluateMany`) fared: its pass, or why it failed. */
export type BatchOutcome = { processId: string; ok: true; report: EvaluationReport } | { processId: string; ok: false; error: Error };

/** One process of a batch, evaluated and waiting for the batch's commit. */
interface Prepared {
  processId: string;
  report: EvaluationReport;
  live: Live;
  results: CommittedResult[];
  stateHash: string | undefined;
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
  private readonly lives: LiveProcesses;
  private readonly checkpointer?: Checkpointer;

  constructor(
    private readonly store: ComputeStore,
    modules: ModuleLoader,
    evaluators: EvaluatorRegistry,
    private readonly options: ComputeUnitOptions,
    checkpoints?: CheckpointPorts,
  ) {
    if (checkpoints) this.checkpointer = new Checkpointer(checkpoints, options.saveCheckpoints !== false);
    const interval = checkpoints && options.saveCheckpoints !== false ? Math.max(0, Math.floor(options.checkpointInterval ?? 0)) : 0;
    this.lives = new LiveProcesses(store, modules, evaluators, options, this.checkpointer, interval);
  }

  /**
   * Evaluates every log entry not yet evaluated, committing results in batches. `committedHead`:
   * the evaluation head as this caller's previous pass left it, for a caller that has held the
   * process's evaluation lock since (nobody else can have moved it); it saves reading the head.
   */
  async evaluate(processId: string, committedHead?: number): Promise<EvaluationReport> {
    const head = committedHead === undefined ? await this.store.evaluationHead(processId) : { nonce: committedHead };
    if (head.error) throw stoppedError(head.error, { processId, nonce: head.nonce + 1 });
    return this.recordingModuleFailure(processId, head.nonce, () => this.lives.with(processId, head.nonce, async (live) => {
      // Counts only: a pass can be a whole log's replay, and the results are in the store.
      const report: EvaluationReport = { processId, from: head.nonce + 1, to: head.nonce, evaluated: 0, relays: 0, errors: 0 };
      // Each batch is committed once it is known whether more follow, so the last one goes in with
      // the state hash of the state it leaves (one hash per evaluation, not per batch).
      let pending: CommittedResult[] = [];
      for (;;) {
        const entries = await this.store.readLog(processId, live.nonce, this.options.batchSize);
        if (entries.length === 0) break;
        if (pending.length) await this.commit(live, processId, pending, undefined);
        pending = [];
        await this.fold(live, processId, entries, pending, report);
        report.to = live.nonce;
        // A short page is the end of the log for now: no read just to find nothing (a message
        // scheduled meanwhile has kicked another evaluation).
        if (entries.length < this.options.batchSize) break;
      }
      if (pending.length) await this.commit(live, processId, pending, await this.hashIfDue(live));
      return report;
    }));
  }

  /**
   * One evaluation pass over many processes, with the per-message fixed costs paid once for them
   * all: every process's head and log past it in one read, each process folded in nonce order with
   * its hash chain checked (as `evaluate` does), then every result and head in one commit. A process
   * whose VM fails, whose chain breaks or whose module cannot load is reported failed (recorded
   * like `evaluate` records it) and the others still commit; a failed read or commit fails them
   * all (nothing of theirs is committed). Callers hold every process's lock, as for `evaluate`;
   * a process listed twice is evaluated once. Outcomes come in the order of `processIds`.
   */
  async evaluateMany(processIds: string[]): Promise<BatchOutcome[]> {
    const ids = [...new Set(processIds)];
    let logs: Map<string, PendingLog>;
    try {
      logs = await this.readPending(ids);
    } catch (error) {
      return ids.map((processId) => ({ processId, ok: false, error: error as Error }));
    }
    const outcomes = new Map<string, BatchOutcome>();
    const prepared: Prepared[] = [];
    for (const processId of ids) {
      try {
        prepared.push(await this.prepare(processId, logs.get(processId) ?? { head: { nonce: -1 }, entries: [] }));
      } catch (error) {
        outcomes.set(processId, { processId, ok: false, error: error as Error });
      }
    }
    const committing = prepared.filter((p) => p.results.length > 0);
    try {
      // Nothing past a checkpoint is committed before the checkpoint is saved (see commit).
      for (const { live } of committing) if (live.saving) await live.saving;
      await this.commitAll(committing.map(({ processId, results, stateHash }) => ({ processId, results, stateHash })));
      for (const { processId, report } of prepared) outcomes.set(processId, { processId, ok: true, report });
    } catch (error) {
      // The live states are past the head now: the next pass finds them ahead and starts over.
      const lost = new Set(committing.map((p) => p.processId));
      for (const { processId, report } of prepared) {
        outcomes.set(processId, lost.has(processId) ? { processId, ok: false, error: error as Error } : { processId, ok: true, report });
      }
    }
    return ids.map((processId) => outcomes.get(processId)!);
  }

  /**
   * Folds one page of log entries into a live process, each after its hash-chain link is checked,
   * appending each result to `results` (not yet committed) and counting it in `report`. A broken
   * link commits what came before it, marks the process broken and throws; a VM failure outside
   * the module's own error handling discards the instance and throws, committing nothing of the
   * message (the pass is retried from the last commit).
   */
  private async fold(live: Live, processId: string, page: readonly LogEntry[], results: CommittedResult[], report: EvaluationReport): Promise<void> {
    for (const entry of page) {
      const broken = checkLink(live, entry, processId);
      if (broken) {
        if (results.length) await this.commit(live, processId, results, undefined);
        await this.store.markBroken(processId, entry.nonce, broken);
        this.lives.drop(processId);
        throw new AoError('BROKEN_HASH_CHAIN', broken, { processId, nonce: entry.nonce });
      }
      let result: EvalResult;
      try {
        result = await live.instance.evaluate(messageFor(live, entry, processId));
      } catch (error) {
        this.lives.drop(processId);
        throw error;
      }
      advance(live, entry);
      results.push({ nonce: entry.nonce, messageId: entry.messageId ?? processId, result });
      report.evaluated += 1;
      if (result.Error !== undefined) report.errors += 1;
      else if (result.Messages.length || result.Spawns.length || result.Assignments.length) report.relays += 1;
      if (this.lives.checkpointDue(live, -1)) await this.lives.captureInBackground(processId, live);
    }
  }

  /** Folds the entries read past a process's head into its live state (reading on past a full page); commits nothing but pages before the last. */
  private async prepare(processId: string, { head, entries }: PendingLog): Promise<Prepared> {
    if (head.error) throw stoppedError(head.error, { processId, nonce: head.nonce + 1 });
    const { batchSize } = this.options;
    return this.recordingModuleFailure(processId, head.nonce, () =>
      this.lives.with(processId, head.nonce, async (live) => {
        const report: EvaluationReport = { processId, from: head.nonce + 1, to: head.nonce, evaluated: 0, relays: 0, errors: 0 };
        let results: CommittedResult[] = [];
        let page = entries;
        for (;;) {
          await this.fold(live, processId, page, results, report);
          report.to = live.nonce;
          // A short page is the end of the log for now (a message scheduled meanwhile kicked another pass).
          if (page.length < batchSize) break;
          // A long log: what is folded so far goes in now, on its own, and the next page is read.
          await this.commit(live, processId, results, undefined);
          results = [];
          page = await this.store.readLog(processId, live.nonce, batchSize);
        }
        const stateHash = results.length ? await this.hashIfDue(live) : undefined;
        return { processId, report, live, results, stateHash };
      }),
    );
  }

  /** Every process's head and log past it, at once when the store can. */
  private async readPending(ids: string[]): Promise<Map<string, PendingLog>> {
    const { batchSize } = this.options;
    if (this.store.readPending) return this.store.readPending(ids, batchSize);
    const logs = new Map<string, PendingLog>();
    for (const id of ids) {
      const head = await this.store.evaluationHead(id);
      logs.set(id, { head, entries: head.error ? [] : await this.store.readLog(id, head.nonce, batchSize) });
    }
    return logs;
  }

  /** Many processes' commits, in one write when the store can. */
  private async commitAll(commits: ProcessCommit[]): Promise<void> {
    if (commits.length === 0) return;
    if (this.store.commitMany) return this.store.commitMany(commits);
    for (const c of commits) await this.store.commit(c.processId, c.results, c.stateHash);
  }

  /**
   * Stops a process for good at its next message (recorded like a broken chain, so readers get
   * `reason` and no sweep evaluates it again): for a message the wall-clock backstop cut more than
   * once, an outcome gas could not reach deterministically.
   */
  async stop(processId: string, reason: string): Promise<void> {
    const head = await this.store.evaluationHead(processId);
    if (head.error) return;
    this.lives.drop(processId);
    await this.store.markBroken(processId, head.nonce + 1, `EVALUATION_STOPPED: ${reason}`);
  }

  /**
   * A module that cannot run (invalid, or of an unknown format) never will, nor a log with a broken
   * hash chain: recorded on the process
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
      // A break found while replaying up to the head (a checkpoint refused, a cold start) is
      // recorded like one found past it, so no sweep evaluates the process again.
      if (error instanceof AoError && error.code === 'BROKEN_HASH_CHAIN' && typeof error.details?.nonce === 'number') {
        await this.store.markBroken(processId, error.details.nonce, error.message);
      }
      throw error;
    }
  }

  /** Evaluates a message against the latest evaluated state without changing it. */
  async dryRun(processId: string, message: Omit<AoMessage, 'Read-Only'>): Promise<EvalResult> {
    const head = await this.store.evaluationHead(processId);
    return this.lives.with(processId, head.nonce, (live) => live.instance.dryRun({ ...message, 'Read-Only': true }));
  }

  /** The state hash of the latest evaluated state. */
  async stateHash(processId: string): Promise<{ nonce: number; hash: string }> {
    const head = await this.store.evaluationHead(processId);
    return this.lives.with(processId, head.nonce, async (live) => ({ nonce: live.nonce, hash: await this.lives.hashOf(live) }));
  }

  /** Checkpoints the latest evaluated state now and waits until it is saved; undefined before slot 0. */
  async checkpointNow(processId: string): Promise<CheckpointMeta | undefined> {
    const checkpointer = this.checkpointer;
    if (!checkpointer?.saves) throw new AoError('INVALID_REQUEST', 'this Compute Unit does not save checkpoints');
    const head = await this.store.evaluationHead(processId);
    return this.lives.with(processId, head.nonce, async (live) => {
      if (live.nonce < 0) return undefined;
      const capture = await checkpointer.capture(this.lives.source(processId, live), live.knownHash?.nonce === live.nonce ? live.knownHash.hash : undefined);
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
    this.lives.closeAll();
  }

  /** Number of live instances (for metrics). */
  get liveCount(): number {
    return this.lives.size;
  }

  /** The state hash to record with a pass's last commit, if one is due (see stateHashIntervalMs). */
  private async hashIfDue(live: Live): Promise<string | undefined> {
    const interval = this.options.stateHashIntervalMs ?? 0;
    const now = (this.options.now ?? Date.now)();
    const known = live.knownHash?.nonce === live.nonce;
    if (!known && interval > 0 && live.hashRecordedAt !== undefined && now - live.hashRecordedAt < interval) return undefined;
    live.hashRecordedAt = now;
    return this.lives.hashOf(live);
  }

  private async commit(live: Live, processId: string, results: CommittedResult[], stateHash: string | undefined): Promise<void> {
    // Nothing past a checkpoint is committed before the checkpoint is saved (or has failed), so a
    // restart never finds the head more than one interval past the newest checkpoint.
    if (live.saving) await live.saving;
    await this.store.commit(processId, results, stateHash);
  }
}
