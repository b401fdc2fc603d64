/**
 * What a verifier reads from a gateway. It trusts none of it: every item is parsed, its id and
 * signature checked, and the log rebuilt from the Scheduler's signed assignments.
 */
export interface LogReader {
  /** The ANS-104 bytes of each id the gateway holds; ids it does not know are absent from the map. */
  items(ids: readonly string[]): Promise<Map<string, Uint8Array>>;
  /**
   * Pages of the Assignment items tagged `Process: processId` owned by `scheduler`, in any order;
   * with `fromNonce`, a reader may leave out those tagged with a lower nonce (the verifier ignores them).
   */
  assignments(processId: string, scheduler: string, fromNonce?: number): AsyncIterable<Uint8Array[]>;
  /** The Assignment items tagged `Process: processId` and `Nonce: nonce` owned by `scheduler`. */
  assignmentsAt(processId: string, scheduler: string, nonce: number): Promise<Uint8Array[]>;
  /** The `Type: Checkpoint` items tagged `Process: processId`, as the gateway indexes them (unverified). */
  checkpoints(processId: string): Promise<CheckpointRef[]>;
}

/** A Checkpoint item as a gateway lists it: its id, the nonce it claims and its owner's address; nothing checked yet. */
export interface CheckpointRef {
  id: string;
  /** The `Nonce` tag (NaN when it is not an integer). */
  nonce: number;
  /** The owner's ao address, computed from the indexed public key. */
  signer: string;
}

/** One result a Compute Unit serves, keyed by the nonce of its message. */
export interface ServedResult {
  nonce: number;
  result: unknown;
}

/** What a Compute Unit says about a process, to compare a replay with. */
export interface ResultSource {
  /** Results after `afterNonce` (exclusive; from the start when undefined), in nonce order, at most `limit`. */
  results(processId: string, afterNonce: number | undefined, limit: number): Promise<ServedResult[]>;
  /** The CU's latest evaluated nonce and its state hash. */
  state(processId: string): Promise<{ nonce: number; stateHash: string }>;
}

/** Why a log does not verify. */
export type VerifyFailureCode =
  | 'BAD_PROCESS'
  | 'BAD_MODULE'
  | 'MISSING_NONCE'
  | 'BAD_ASSIGNMENT_SIGNATURE'
  | 'CONFLICTING_ASSIGNMENTS'
  | 'BAD_ASSIGNMENT'
  | 'OUT_OF_ORDER'
  | 'BAD_HASH_CHAIN'
  | 'MISSING_MESSAGE'
  | 'BAD_MESSAGE'
  | 'MESSAGE_MISMATCH'
  | 'BAD_MESSAGE_SIGNATURE'
  | 'EVALUATION_FAILED'
  | 'CU_MISMATCH'
  | 'NO_CHECKPOINT'
  | 'BAD_CHECKPOINT';

/** The first nonce at which the log (or the CU compared with it) is wrong, and why. */
export interface VerifyFailure {
  nonce: number;
  code: VerifyFailureCode;
  reason: string;
}

/** Progress of a verification: assignments are collected first, then messages checked and evaluated. */
export interface VerifyProgress {
  phase: 'assignments' | 'messages';
  done: number;
  total?: number;
}

/** The outcome of `verifyProcess`. */
export interface VerifyReport {
  processId: string;
  ok: boolean;
  /** Log entries checked and evaluated, the Process item at nonce 0 included. */
  messages: number;
  /** Last nonce of the log on the gateway (-1 when there is none). */
  lastNonce: number;
  /** Hex SHA-256 of the state after the last nonce (absent when the log failed before evaluation ended). */
  stateHash?: string;
  /** Hex SHA-256 over every result's canonical JSON, in nonce order, each followed by a newline. */
  resultsHash?: string;
  /** Results compared with a CU, when one was given and the log itself verified. */
  cuCompared?: number;
  failure?: VerifyFailure;
  /** Items the gateway returned for the process that were not the Scheduler's assignments (ignored). */
  ignored: number;
  /** Only when asked to start from a checkpoint: which one was used, and which were not and why. */
  checkpoint?: CheckpointReport;
}

/** A Checkpoint item the verifier looked at and did not start from. */
export interface SkippedCheckpoint {
  id: string;
  nonce: number;
  signer: string;
  reason: string;
}

/**
 * How a verification that was asked to start from a checkpoint started. A checkpoint is a claim by
 * its signer that the state after nonce `k` is the image it carries: starting from one verifies
 * nothing at or below `k`, it trusts the signer for it.
 */
export interface CheckpointReport {
  /** What was asked: the newest checkpoint, or the newest at or below a nonce. */
  requested: 'newest' | number;
  /** The signers whose checkpoints were accepted as starting points. */
  trustedSigners: string[];
  /** The checkpoint the replay resumed from; absent when none was usable (then the replay started at genesis). */
  used?: { id: string; nonce: number; signer: string; stateHash: string };
  /** Trusted checkpoints that failed a check (newest first), each with why. */
  rejected: SkippedCheckpoint[];
  /** Checkpoints signed by someone not trusted (never downloaded). */
  untrusted: SkippedCheckpoint[];
  /** One sentence for people: where verification started, on whose word, and what it did not verify. */
  statement: string;
}
