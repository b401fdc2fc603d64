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

/** What the MU reads and records. */
export interface PushStore {
  result(processId: string, nonce: number): Promise<{ messageId: string; result: EvalResult } | undefined>;
  /** The pushes already recorded for a result, by id (one read for the whole outbox). */
  pushesOf(processId: string, nonce: number): Promise<Map<string, PushRecord>>;
  /** Records pushes once each (a second record with the same id is ignored). */
  recordPushes(pushes: PushRecord[]): Promise<void>;
  /** How many hops from a user message the item `messageId` is (0 for a user's own message). */
  depthOf(messageId: string): Promise<number>;
  /** Marks the result's outbox as relayed (or failed, with the reason on the result). */
  finishCrank(processId: string, nonce: number, status: 'done' | 'failed', error?: string): Promise<void>;
}
