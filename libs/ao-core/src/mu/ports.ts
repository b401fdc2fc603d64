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

/** What the MU reads and records. */
export interface PushStore {
  /** The result at `nonce`, whatever its crank status. */
  result(processId: string, nonce: number): Promise<CrankEntry | undefined>;
  /** Results of a process whose outbox is still to be relayed (crank status pending), in nonce order, at most `limit`. */
  pendingResults(processId: string, limit: number): Promise<CrankEntry[]>;
  /** The pushes already recorded for these results of a process, by id (one read for them all). */
  pushesOf(processId: string, nonces: number[]): Promise<Map<string, PushRecord>>;
  /** Records pushes once each (a second record with the same id is ignored). */
  recordPushes(pushes: PushRecord[]): Promise<void>;
  /** For each item id, how many hops from a user message it is; ids absent from the answer are a user's own messages (0). */
  depthsOf(messageIds: string[]): Promise<Map<string, number>>;
  /** Marks results' outboxes as relayed (or failed, with the reason on the result). */
  finishCranks(processId: string, outcomes: CrankOutcome[]): Promise<void>;
}
