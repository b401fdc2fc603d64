import { AoError } from '../errors.js';
import { nextHashChain, seedHashChain } from '../hash-chain.js';
import type { LogEntry } from '../su/ports.js';
import type { EvalResult } from '../types.js';
import { limitsFor, type AoMessage, type EvalLimits, type EvaluatorRegistry, type ProcessEnv, type ProcessInstance } from './evaluator.js';
import type { CommittedResult, ComputeStore, ModuleLoader } from './ports.js';
import { toAoMessage, trustedPushers } from './to-ao-message.js';

export interface ComputeUnitOptions {
  /** Live process instances kept in memory (least recently used are closed). */
  maxLive: number;
  /** Log entries read and committed per round trip. */
  batchSize: number;
  defaults: EvalLimits;
  maxima: EvalLimits;
  /** Addresses trusted to push for other processes (the platform's MU wallet). */
  platformAddresses: string[];
}

interface Live {
  instance: ProcessInstance;
  /** Last nonce folded into the instance (-1 before slot 0). */
  nonce: number;
  lastAssignmentId?: string;
  lastHashChain?: string;
  moduleId: string;
  trusted: Set<string>;
  env: ProcessEnv;
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
 */
export class ComputeUnit {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly store: ComputeStore,
    private readonly modules: ModuleLoader,
    private readonly evaluators: EvaluatorRegistry,
    private readonly options: ComputeUnitOptions,
  ) {}

  /** Evaluates every log entry not yet evaluated, committing results in batches. */
  async evaluate(processId: string): Promise<EvaluationReport> {
    const head = await this.store.evaluationHead(processId);
    if (head.error) throw new AoError('BROKEN_HASH_CHAIN', head.error, { processId, nonce: head.nonce + 1 });
    const live = await this.liveAt(processId, head.nonce);
    const report: EvaluationReport = { processId, from: head.nonce + 1, to: head.nonce, evaluated: 0, results: [] };
    // Each batch is committed when the next read shows whether more follow, so the last one goes
    // in with the state hash of the state it leaves (one hash per evaluation, not per batch).
    let pending: CommittedResult[] = [];
    for (;;) {
      const entries = await this.store.readLog(processId, live.nonce, this.options.batchSize);
      if (entries.length === 0) break;
      if (pending.length) await this.store.commit(processId, pending, undefined);
      pending = [];
      for (const entry of entries) {
        const broken = this.checkLink(live, entry, processId);
        if (broken) {
          if (pending.length) await this.store.commit(processId, pending, undefined);
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
      }
      report.results.push(...pending);
      report.evaluated += pending.length;
      report.to = live.nonce;
    }
    if (pending.length) await this.store.commit(processId, pending, await live.instance.stateHash());
    return report;
  }

  /** Evaluates a message against the latest evaluated state without changing it. */
  async dryRun(processId: string, message: Omit<AoMessage, 'Read-Only'>): Promise<EvalResult> {
    const head = await this.store.evaluationHead(processId);
    const live = await this.liveAt(processId, head.nonce);
    return live.instance.dryRun({ ...message, 'Read-Only': true });
  }

  /** The state hash of the latest evaluated state. */
  async stateHash(processId: string): Promise<{ nonce: number; hash: string }> {
    const head = await this.store.evaluationHead(processId);
    const live = await this.liveAt(processId, head.nonce);
    return { nonce: live.nonce, hash: await live.instance.stateHash() };
  }

  /** Closes every live instance. */
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
    const expected = entry.nonce === 0 ? seedHashChain(processId) : nextHashChain(live.lastAssignmentId!, live.lastHashChain!);
    if (entry.hashChain !== expected) return `hash chain broken at nonce ${entry.nonce}`;
    return undefined;
  }

  private advance(live: Live, entry: LogEntry): void {
    live.nonce = entry.nonce;
    live.lastAssignmentId = entry.assignmentId;
    live.lastHashChain = entry.hashChain;
  }

  /**
   * A live instance whose state is exactly the fold up to `nonce`: the cached one, caught up by
   * replaying forward if another worker moved the head, or a fresh one replayed from genesis.
   * Replayed entries are not committed again (their results exist; evaluation is deterministic).
   */
  private async liveAt(processId: string, nonce: number): Promise<Live> {
    let live = this.live.get(processId);
    if (live && live.nonce > nonce) {
      this.drop(processId);
      live = undefined;
    }
    if (live) this.live.delete(processId);
    live ??= await this.fresh(processId);
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
        }
      }
    } catch (error) {
      live.instance.close();
      throw error;
    }
    this.live.set(processId, live);
    while (this.live.size > this.options.maxLive) {
      const oldest = this.live.keys().next().value as string;
      this.drop(oldest);
    }
    return live;
  }

  private async fresh(processId: string): Promise<Live> {
    const process = await this.store.getProcess(processId);
    if (!process) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    const mod = await this.modules.load(process.module);
    const env: ProcessEnv = {
      Process: { Id: process.id, Owner: process.owner, Tags: process.tags },
      Module: { Id: mod.id, Owner: mod.owner, Tags: mod.tags },
    };
    const limits = limitsFor(mod, env, this.options.defaults, this.options.maxima);
    const instance = await this.evaluators.create(mod, env, limits);
    return { instance, nonce: -1, moduleId: mod.id, trusted: trustedPushers(process.tags, this.options.platformAddresses), env };
  }

  private drop(processId: string): void {
    const live = this.live.get(processId);
    if (!live) return;
    this.live.delete(processId);
    live.instance.close();
  }
}
