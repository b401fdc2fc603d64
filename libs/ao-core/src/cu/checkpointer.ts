import { createHash } from 'node:crypto';
import { AoError } from '../errors.js';
import type { ProcessInstance } from './evaluator.js';
import type { CheckpointCodec, CheckpointMeta, CheckpointStore, CheckpointSummary } from './ports.js';

/** Stores images as they are (tests and tools; the platform compresses in its adapter). */
export const identityCodec: CheckpointCodec = {
  contentEncoding: 'identity',
  encode: async (raw) => raw,
  decode: async (encoded, contentEncoding) => {
    if (contentEncoding !== 'identity') throw new AoError('INVALID_REQUEST', `unknown checkpoint encoding ${contentEncoding}`);
    return encoded;
  },
};

/** Hex SHA-256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What happened to checkpoints, for logs and metrics (the core itself neither logs nor counts elsewhere). */
export interface CheckpointEvents {
  saved?(info: CheckpointMeta & { size: number; rawSize: number; captureMs: number; saveMs: number }): void;
  saveFailed?(info: { processId: string; nonce: number; error: Error }): void;
  /** A checkpoint failed verification and was skipped: the CU fell back to an older one or to genesis. */
  rejected?(info: { processId: string; nonce: number; reason: string }): void;
  restored?(info: { processId: string; nonce: number; ms: number }): void;
}

/** The checkpoint side of a Compute Unit: where to keep them, how to encode them, whom to tell. */
export interface CheckpointPorts {
  store: CheckpointStore;
  codec?: CheckpointCodec;
  events?: CheckpointEvents;
}

/** Running totals of one Compute Unit. */
export interface CheckpointStats {
  saved: number;
  saveFailures: number;
  restored: number;
  rejected: number;
  /** Cold starts (a process made live again) and the log entries the last one replayed. */
  coldStarts: number;
  lastColdStartReplayed: number;
  lastCaptureMs: number;
  lastSaveMs: number;
  lastSize: number;
  lastRawSize: number;
}

/** A live state to checkpoint: the instance and the log position it is at. */
export interface CheckpointSource {
  processId: string;
  moduleId: string;
  nonce: number;
  assignmentId: string;
  hashChain: string;
  timestamp: number;
  instance: ProcessInstance;
}

/** A captured state: its metadata now, its save in the background (`saved` never rejects). */
export interface Capture {
  meta: CheckpointMeta;
  saved: Promise<boolean>;
}

class Unusable extends Error {}

/**
 * Takes, saves and restores checkpoints for a Compute Unit. Saving (encoding and the store write)
 * runs in the background; a failure is counted and reported, never thrown, so checkpoints never
 * block evaluation. Restoring trusts nothing stored: the decoded image must match its SHA-256, the
 * recorded chain link must match the log, and the resumed instance must report the recorded state
 * hash; a candidate failing any check is rejected and the next older one tried.
 */
export class Checkpointer {
  readonly stats: CheckpointStats = {
    saved: 0,
    saveFailures: 0,
    restored: 0,
    rejected: 0,
    coldStarts: 0,
    lastColdStartReplayed: 0,
    lastCaptureMs: 0,
    lastSaveMs: 0,
    lastSize: 0,
    lastRawSize: 0,
  };
  private readonly inflight = new Set<Promise<boolean>>();
  private readonly codec: CheckpointCodec;

  constructor(
    private readonly ports: CheckpointPorts,
    /** False for a read-only unit: it restores but never saves. */
    readonly saves: boolean,
  ) {
    this.codec = ports.codec ?? identityCodec;
  }

  /** Captures the instance's current state (synchronously with respect to its calls) and saves it in the background. */
  async capture(source: CheckpointSource, knownStateHash?: string): Promise<Capture> {
    const started = performance.now();
    const raw = await source.instance.checkpoint();
    const stateHash = knownStateHash ?? (await source.instance.stateHash());
    const meta: CheckpointMeta = {
      processId: source.processId,
      nonce: source.nonce,
      moduleId: source.moduleId,
      stateHash,
      sha256: sha256Hex(raw),
      assignmentId: source.assignmentId,
      hashChain: source.hashChain,
      timestamp: source.timestamp,
      contentEncoding: this.codec.contentEncoding,
    };
    const captureMs = performance.now() - started;
    this.stats.lastCaptureMs = captureMs;
    const saved = this.save(meta, raw, captureMs);
    return { meta, saved };
  }

  /** Records a capture that could not be taken. */
  captureFailed(processId: string, nonce: number, error: unknown): void {
    this.stats.saveFailures += 1;
    this.ports.events?.saveFailed?.({ processId, nonce, error: error instanceof Error ? error : new Error(String(error)) });
  }

  /**
   * The newest checkpoint at or below `atOrBelowNonce` that passes every check, resumed by
   * `create`; undefined when none does. `checkLink` answers why a checkpoint's chain link does
   * not match the log, or undefined. Store read errors propagate (they are not the checkpoint's fault).
   */
  async restore(
    processId: string,
    moduleId: string,
    atOrBelowNonce: number,
    create: (raw: Uint8Array) => Promise<ProcessInstance>,
    checkLink: (meta: CheckpointSummary) => Promise<string | undefined>,
  ): Promise<{ instance: ProcessInstance; meta: CheckpointSummary } | undefined> {
    const candidates = await this.ports.store.latest(processId, atOrBelowNonce);
    for (const meta of candidates) {
      if (meta.nonce > atOrBelowNonce) continue;
      const started = performance.now();
      let instance: ProcessInstance | undefined;
      try {
        if (meta.moduleId !== moduleId) throw new Unusable(`made by module ${meta.moduleId}, the process runs ${moduleId}`);
        const stored = await this.ports.store.read(processId, meta.nonce);
        if (!stored) continue;
        let raw: Uint8Array;
        try {
          raw = await this.codec.decode(stored, meta.contentEncoding);
        } catch (error) {
          throw new Unusable(`cannot decode (${meta.contentEncoding}): ${(error as Error).message}`);
        }
        if (sha256Hex(raw) !== meta.sha256) throw new Unusable('SHA-256 of the image differs from the recorded one');
        const link = await checkLink(meta);
        if (link) throw new Unusable(link);
        try {
          instance = await create(raw);
        } catch (error) {
          throw new Unusable(`cannot resume: ${(error as Error).message}`);
        }
        let hash: string;
        try {
          hash = await instance.stateHash();
        } catch (error) {
          throw new Unusable(`cannot hash the resumed state: ${(error as Error).message}`);
        }
        if (hash !== meta.stateHash) throw new Unusable('state hash of the resumed state differs from the recorded one');
        this.stats.restored += 1;
        this.ports.events?.restored?.({ processId, nonce: meta.nonce, ms: performance.now() - started });
        return { instance, meta };
      } catch (error) {
        instance?.close();
        if (!(error instanceof Unusable)) throw error;
        this.stats.rejected += 1;
        this.ports.events?.rejected?.({ processId, nonce: meta.nonce, reason: error.message });
        await this.ports.store.reject(processId, meta.nonce, error.message).catch(() => undefined);
      }
    }
    return undefined;
  }

  /** Kept checkpoints of a process, newest first. */
  list(processId: string): Promise<CheckpointSummary[]> {
    return this.ports.store.list(processId);
  }

  /** Waits for every background save. */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private save(meta: CheckpointMeta, raw: Uint8Array, captureMs: number): Promise<boolean> {
    const started = performance.now();
    const saving = (async () => {
      const bytes = await this.codec.encode(raw);
      await this.ports.store.save({ ...meta, bytes });
      const saveMs = performance.now() - started;
      Object.assign(this.stats, { saved: this.stats.saved + 1, lastSaveMs: saveMs, lastSize: bytes.length, lastRawSize: raw.length });
      this.ports.events?.saved?.({ ...meta, size: bytes.length, rawSize: raw.length, captureMs, saveMs });
      return true;
    })().catch((error: unknown) => {
      this.captureFailed(meta.processId, meta.nonce, error);
      return false;
    });
    this.inflight.add(saving);
    void saving.finally(() => this.inflight.delete(saving));
    return saving;
  }
}
