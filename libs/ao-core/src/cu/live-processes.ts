import { AoError } from '../errors.js';
import { seedHashChain } from '../hash-chain.js';
import type { LogEntry, ProcessRecord } from '../su/ports.js';
import { nextLink } from './chain-link.js';
import type { CheckpointSource, Checkpointer } from './checkpointer.js';
import { limitsFor, type AoMessage, type EvalLimits, type EvaluatorRegistry, type ModuleDef, type ProcessEnv, type ProcessInstance } from './evaluator.js';
import type { CheckpointSummary, ComputeStore, ModuleLoader } from './ports.js';
import { toAoMessage, trustedPushers } from './to-ao-message.js';

/** How live instances are kept, made and fed (part of `ComputeUnitOptions`). */
export interface LiveProcessOptions {
  /** Live process instances kept in memory (least recently used are closed). */
  maxLive: number;
  /** Log entries read and committed per round trip. */
  batchSize: number;
  defaults: EvalLimits;
  maxima: EvalLimits;
  /** Addresses trusted to push for other processes (the platform's MU wallet). */
  platformAddresses: string[];
  /**
   * How long after a process's creation (its Timestamp) a module that cannot be found is still
   * waited for; past it the process is recorded like one with an unloadable module. Absent: for ever.
   */
  moduleWaitMs?: number;
  /** Wall-clock ms for moduleWaitMs (never seen by evaluation); Date.now by default. */
  now?: () => number;
}

/** A process instance and the log position its state is at. */
export interface Live {
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
  /** When (wall-clock ms) a state hash was last recorded with a commit; see ComputeUnitOptions.stateHashIntervalMs. */
  hashRecordedAt?: number;
  /** Calls using the instance right now; a busy instance is never evicted. */
  busy: number;
}

/** The message a live process evaluates for a log entry. */
export function messageFor(live: Live, entry: LogEntry, processId: string): AoMessage {
  return toAoMessage(entry, { processId, moduleId: live.moduleId, trustedPushers: live.trusted });
}

/** Why `entry` cannot follow the live state (a gap, a broken hash-chain link), or undefined. */
export function checkLink(live: Live, entry: LogEntry, processId: string): string | undefined {
  if (entry.nonce !== live.nonce + 1) return `nonce ${entry.nonce} follows ${live.nonce}: the log has a gap`;
  const expected = entry.nonce === 0 ? seedHashChain(processId) : nextLink(live.lastAssignmentId!, live.lastHashChain!);
  if (entry.hashChain !== expected) return `hash chain broken at nonce ${entry.nonce}`;
  return undefined;
}

/** Moves the live state's position past `entry` (once it is folded in). */
export function advance(live: Live, entry: LogEntry): void {
  live.nonce = entry.nonce;
  live.lastAssignmentId = entry.assignmentId;
  live.lastHashChain = entry.hashChain;
  live.timestamp = entry.timestamp;
}

/**
 * The Compute Unit's bounded set of live instances: a process not live is made live from its
 * newest verified checkpoint (else genesis) and replayed forward to the wanted nonce; the least
 * recently used idle ones are closed beyond `maxLive`, checkpointed first when newer than their
 * last checkpoint. With a checkpoint interval, the states at its multiples are checkpointed.
 */
export class LiveProcesses {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly store: ComputeStore,
    private readonly modules: ModuleLoader,
    private readonly evaluators: EvaluatorRegistry,
    private readonly options: LiveProcessOptions,
    readonly checkpointer: Checkpointer | undefined,
    /** Checkpoint every this many nonces; 0: never (then `checkpointer` only restores). */
    private readonly interval: number,
  ) {}

  /** Number of live instances. */
  get size(): number {
    return this.live.size;
  }

  /** Runs `fn` on the live instance at `nonce`; the instance cannot be evicted meanwhile. */
  async with<T>(processId: string, nonce: number, fn: (live: Live) => Promise<T>): Promise<T> {
    const live = await this.liveAt(processId, nonce);
    try {
      return await fn(live);
    } finally {
      live.busy -= 1;
    }
  }

  /** Closes and forgets a process's live instance. */
  drop(processId: string): void {
    const live = this.live.get(processId);
    if (!live) return;
    this.live.delete(processId);
    live.instance.close();
  }

  /** Closes every live instance. */
  closeAll(): void {
    for (const id of [...this.live.keys()]) this.drop(id);
  }

  /** The state hash at the live state's nonce (computed once per nonce). */
  async hashOf(live: Live): Promise<string> {
    if (live.knownHash?.nonce === live.nonce) return live.knownHash.hash;
    const hash = await live.instance.stateHash();
    live.knownHash = { nonce: live.nonce, hash };
    return hash;
  }

  /**
   * Whether the state is at a multiple of the interval not yet checkpointed; `until` limits it to
   * the last such nonce before `until` (a catch-up replay checkpoints once, not at every multiple).
   */
  checkpointDue(live: Live, until: number): boolean {
    const interval = this.interval;
    if (!interval || live.nonce <= 0 || live.nonce % interval !== 0) return false;
    return live.nonce > live.lastCheckpoint && live.nonce + interval > until;
  }

  /** Captures the live state now and saves it in the background (never throws: failures are counted). */
  async captureInBackground(processId: string, live: Live): Promise<void> {
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

  /** The live state as a checkpoint source. */
  source(processId: string, live: Live): CheckpointSource {
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
          const broken = checkLink(live, entry, processId);
          if (broken) throw new AoError('BROKEN_HASH_CHAIN', broken, { processId, nonce: entry.nonce });
          await live.instance.evaluate(messageFor(live, entry, processId));
          advance(live, entry);
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

  /** The process's module; a module still missing `moduleWaitMs` after the process's creation fails for good. */
  private async loadModule(process: ProcessRecord): Promise<ModuleDef> {
    try {
      return await this.modules.load(process.module);
    } catch (error) {
      const wait = this.options.moduleWaitMs;
      const waited = (this.options.now ?? Date.now)() - process.timestamp;
      if (error instanceof AoError && error.code === 'MODULE_LOAD_FAILED' && error.kind === 'transient' && wait !== undefined && waited > wait) {
        throw new AoError('MODULE_LOAD_FAILED', `${error.message}, ${Math.round(waited / 1000)} s after the process was created (the wait is ${wait} ms)`, {
          ...error.details,
          waitedMs: waited,
        });
      }
      throw error;
    }
  }

  private async fresh(processId: string, nonce: number): Promise<Live> {
    const process = await this.store.getProcess(processId);
    if (!process) throw new AoError('NOT_FOUND', `Process ${processId} not found`, { processId });
    const mod = await this.loadModule(process);
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
      // Slot 0 counts too: booting (the Process message, its On-Boot code) can be the costliest message.
      if (this.interval > 0 && live.nonce > live.lastCheckpoint) {
        await this.captureInBackground(id, live);
      }
      live.instance.close();
    }
  }
}
