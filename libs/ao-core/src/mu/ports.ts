import type { EvalResult } from '../types.js';

/** A push's deterministic identity and outcome: one row per (sender, nonce, kind, index). */
export interface PushRecord {
  id: string;
  fromProcess: string;
  fromNonce: number;
  kind: 'message' | 'spawn' | 'spawned' | 'assign';
  idx: number;
  itemId?: string;
  target?: string;
  pushedFor?: string;
  depth: number;
  status: 'done' | 'failed';
  error?: string;
}

/** A committed result whose outbox the MU relays. */
export interface CrankEntry {
  nonce: number;
  /** The message the result answers. */
  messageId: string;
  result: EvalResult;
}

/** How a result's crank ended: `done`, or `failed` with the reasons (recorded on the result). */
export interface CrankOutcome {
  nonce: number;
  status: 'done' | 'failed';
  error?: string;
}

/** Results to crank with everything the crank needs to know about them, read at once. */
export interface CrankBatch {
  /** In nonce order. */
  entries: CrankEntry[];
  /** The pushes already recorded for these results, by id. */
  pushes: Map<string, PushRecord>;
  /** Hops from a user message of each answered message that was itself pushed (absent: 0, a user's own). */
  depths: Map<string, number>;
  /** The `Pushed-For` tag of each answered message that has one. */
  pushedFor: Map<string, string>;
}

/** One sender's part of a batched finish: its results' outcomes and the pushes its crank recorded. */
export interface CrankFinish {
  processId: string;
  outcomes: CrankOutcome[];
  pushes: PushRecord[];
}

/** What the MU reads and records. */
export interface PushStore {
  /** Up to `limit` results of a process still to be relayed (crank status pending), oldest first. */
  pendingCranks(processId: string, limit: number): Promise<CrankBatch>;
  /** The result at `nonce` whatever its crank status (no entries when there is none yet). */
  crankOf(processId: string, nonce: number): Promise<CrankBatch>;
  /** Records pushes once each (a second record with the same id is ignored). */
  recordPushes(pushes: PushRecord[]): Promise<void>;
  /**
   * `pendingCranks` for many processes, read at once (one statement where the store can); a process
   * with nothing pending may be absent. Optional: without it, each is read on its own.
   */
  pendingCranksMany?(processIds: string[], limit: number): Promise<Map<string, CrankBatch>>;
  /** `finishCranks` for many senders in one write. Optional: without it, each is its own. */
  finishCranksMany?(finishes: CrankFinish[]): Promise<void>;
  /** Records `pushes` (once each) and marks results' outboxes relayed or failed (with the reason on the result), in one write. */
  finishCranks(processId: string, outcomes: CrankOutcome[], pushes?: PushRecord[]): Promise<void>;
}
