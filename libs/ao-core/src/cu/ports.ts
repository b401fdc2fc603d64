import type { EvalResult } from '../types.js';
import type { LogEntry, ProcessRecord } from '../su/ports.js';
import type { ModuleDef } from './evaluator.js';

/** How far a process is evaluated: the last committed nonce (-1 before slot 0), or where it broke. */
export interface EvaluationHead {
  nonce: number;
  error?: string;
}

/** A result to commit, with the message it belongs to. */
export interface CommittedResult {
  nonce: number;
  messageId: string;
  result: EvalResult;
}

/** A process's evaluation head and the log entries past it, as one batched read gives them. */
export interface PendingLog {
  head: EvaluationHead;
  /** Up to the read's limit, in nonce order; none when the head has an error. */
  entries: LogEntry[];
}

/** One process's part of a batched commit. */
export interface ProcessCommit {
  processId: string;
  results: CommittedResult[];
  stateHash: string | undefined;
}

/** What the CU reads and writes. Commits are idempotent: a result per (process, nonce) once. */
export interface ComputeStore {
  getProcess(processId: string): Promise<ProcessRecord | undefined>;
  /** Log entries after `afterNonce` (exclusive), in nonce order. */
  readLog(processId: string, afterNonce: number, limit: number): Promise<LogEntry[]>;
  evaluationHead(processId: string): Promise<EvaluationHead>;
  /** Stores results and moves the head to the last one, atomically, with the state hash after the last one when known. */
  commit(processId: string, results: CommittedResult[], stateHash: string | undefined): Promise<void>;
  /** Records that evaluation stopped at `nonce` for good (e.g. a broken hash chain). */
  markBroken(processId: string, nonce: number, error: string): Promise<void>;
  /**
   * For each process, its evaluation head and up to `limit` log entries past it (exclusive), in
   * nonce order, read at once (one statement for them all where the store can). Optional: without
   * it, `ComputeUnit.evaluateMany` reads each head and log on its own.
   */
  readPending?(processIds: string[], limit: number): Promise<Map<string, PendingLog>>;
  /**
   * Many processes' commits at once, each atomic (one statement for them all where the store can);
   * commits with no results are ignored. Optional: without it, each is a `commit`.
   */
  commitMany?(commits: ProcessCommit[]): Promise<void>;
}

/** Loads a module (a `Type: Module` item) by id. */
export interface ModuleLoader {
  load(moduleId: string): Promise<ModuleDef>;
}

/** What identifies a checkpoint and lets the CU trust it: the state after `nonce`, and the chain link it continues from. */
export interface CheckpointMeta {
  processId: string;
  /** The last log entry folded into the state. */
  nonce: number;
  moduleId: string;
  /** `ProcessInstance.stateHash()` of the state. */
  stateHash: string;
  /** Hex SHA-256 of the raw (decoded) state image. */
  sha256: string;
  /** Assignment id and hash chain of the entry at `nonce`, so the chain check continues after a restore. */
  assignmentId: string;
  hashChain: string;
  /** Timestamp (ms) of the entry at `nonce`. */
  timestamp: number;
  /** How `bytes` are encoded (`identity`, `gzip`): the `Content-Encoding` of a published checkpoint. */
  contentEncoding: string;
}

/** A checkpoint as stored: metadata and the encoded image. */
export interface StoredCheckpoint extends CheckpointMeta {
  bytes: Uint8Array;
}

/** A checkpoint as listed: metadata, stored size, and the id of its published `Checkpoint` item once posted. */
export interface CheckpointSummary extends CheckpointMeta {
  size: number;
  gatewayId?: string;
  createdAt?: Date;
}

/**
 * Where checkpoints are kept. `save` is idempotent per (process, nonce) and may prune old ones;
 * nothing read back is trusted: the CU checks every image against its recorded hashes.
 */
export interface CheckpointStore {
  save(checkpoint: StoredCheckpoint): Promise<void>;
  /** Usable candidates at or below `atOrBelowNonce`, newest first (metadata only). */
  latest(processId: string, atOrBelowNonce: number): Promise<CheckpointSummary[]>;
  /** The stored (encoded) bytes of one checkpoint, or undefined when it is gone. */
  read(processId: string, nonce: number): Promise<Uint8Array | undefined>;
  /** Every kept checkpoint of a process, newest first. */
  list(processId: string): Promise<CheckpointSummary[]>;
  /** Marks a checkpoint that failed verification, so it is not offered again. */
  reject(processId: string, nonce: number, reason: string): Promise<void>;
}

/** Turns a raw state image into stored bytes and back (compression lives outside the core). */
export interface CheckpointCodec {
  readonly contentEncoding: string;
  encode(raw: Uint8Array): Promise<Uint8Array>;
  /** Decodes bytes stored with `contentEncoding`; throws when they are not valid. */
  decode(encoded: Uint8Array, contentEncoding: string): Promise<Uint8Array>;
}

/** An Arweave item as a gateway indexes it, for the runtime's reads (`ao.read`). Nothing in it is trusted but for deciding admissibility. */
export interface IndexedItem {
  id: string;
  /** Height of the block that confirmed it (for a bundled item, its bundle's); undefined while pending. */
  blockHeight?: number;
  /** Bytes of its data, as indexed. */
  dataSize: number;
  /** An ANS-104 data item (carried in a bundle), as opposed to a base-layer transaction. */
  bundled: boolean;
}

/**
 * Where the CU reads Arweave items for processes. The CU decides admissibility from `height` and
 * `lookup` and checks every byte `raw` returns against the id (signature and deep hash).
 */
export interface ArweaveItemSource {
  /** Whether the source has indexed every block up to `height` (nothing is decided about a later message before). */
  reached(height: number): Promise<boolean>;
  /** The item as indexed, or undefined when the source does not know it. */
  lookup(id: string): Promise<IndexedItem | undefined>;
  /** The item's ANS-104 bytes, or undefined when the source cannot serve them. */
  raw(id: string): Promise<Uint8Array | undefined>;
}
