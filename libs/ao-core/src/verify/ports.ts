/**
 * What a verifier reads from a gateway. It trusts none of it: every item is parsed, its id and
 * signature checked, and the log rebuilt from the Scheduler's signed assignments.
 */
export interface LogReader {
  /** The ANS-104 bytes of each id the gateway holds; ids it does not know are absent from the map. */
  items(ids: readonly string[]): Promise<Map<string, Uint8Array>>;
  /** Pages of the Assignment items tagged `Process: processId` owned by `scheduler`, in any order. */
  assignments(processId: string, scheduler: string): AsyncIterable<Uint8Array[]>;
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
  | 'CU_MISMATCH';

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
}
